-- Guardrail policies managed through the admin API; spec is the JSON of a config
-- guardrails.policies[] entry. Every version is kept in guardrail_policy_versions, which
-- outlives a deleted policy so its history stays readable and a re-created policy goes on
-- numbering from where it stopped.
CREATE TABLE guardrail_policies (
	name       TEXT PRIMARY KEY,
	version    INTEGER NOT NULL,
	spec       TEXT NOT NULL,
	updated_at INTEGER NOT NULL,
	updated_by TEXT NOT NULL
) STRICT;

CREATE TABLE guardrail_policy_versions (
	name    TEXT NOT NULL,
	version INTEGER NOT NULL,
	spec    TEXT NOT NULL,
	at      INTEGER NOT NULL,
	actor   TEXT NOT NULL,
	PRIMARY KEY (name, version)
) STRICT;
