-- Guardrail policies managed through the admin API; spec is the JSON of a config
-- guardrails.policies[] entry, kept as text so it comes back byte for byte. Every version is
-- kept in guardrail_policy_versions, which outlives a deleted policy so its history stays
-- readable and a re-created policy goes on numbering from where it stopped.
CREATE TABLE guardrail_policies (
	name       text COLLATE "C" PRIMARY KEY,
	version    bigint NOT NULL,
	spec       text NOT NULL,
	updated_at timestamptz NOT NULL,
	updated_by text NOT NULL
);

CREATE TABLE guardrail_policy_versions (
	name    text COLLATE "C" NOT NULL,
	version bigint NOT NULL,
	spec    text NOT NULL,
	at      timestamptz NOT NULL,
	actor   text NOT NULL,
	PRIMARY KEY (name, version)
);
