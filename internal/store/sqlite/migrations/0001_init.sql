-- Identity and governance schema. Times are Unix microseconds (INTEGER); JSON is TEXT.
-- Tables are STRICT so a wrong type is an error, not a silent conversion.

CREATE TABLE organizations (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

INSERT INTO organizations (id, name, created_at)
VALUES ('org_default', 'Default', CAST(unixepoch('subsec') * 1000000 AS INTEGER));

-- One row: the change counter every mutation bumps.
CREATE TABLE store_version (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	version INTEGER NOT NULL
) STRICT;

INSERT INTO store_version (id, version) VALUES (1, 0);

CREATE TABLE teams (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES organizations (id),
	name       TEXT NOT NULL,
	metadata   TEXT NOT NULL DEFAULT '{}',
	created_at INTEGER NOT NULL,
	UNIQUE (org_id, name)
) STRICT;

CREATE TABLE projects (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES organizations (id),
	team_id    TEXT NOT NULL REFERENCES teams (id),
	name       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (team_id, name)
) STRICT;

CREATE TABLE users (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES organizations (id),
	email      TEXT NOT NULL,
	name       TEXT NOT NULL,
	role       TEXT NOT NULL CHECK (role IN ('admin', 'team_admin', 'member', 'viewer')),
	created_at INTEGER NOT NULL,
	UNIQUE (org_id, email)
) STRICT;

CREATE TABLE user_teams (
	user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	team_id TEXT NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	PRIMARY KEY (user_id, team_id)
) STRICT, WITHOUT ROWID;

CREATE INDEX user_teams_team ON user_teams (team_id, user_id);

-- user_id duplicates owner_id for user keys so a foreign key can guard it.
CREATE TABLE api_keys (
	id              TEXT PRIMARY KEY,
	org_id          TEXT NOT NULL REFERENCES organizations (id),
	prefix          TEXT NOT NULL,
	hash            BLOB NOT NULL UNIQUE,
	name            TEXT NOT NULL,
	owner_kind      TEXT NOT NULL CHECK (owner_kind IN ('user', 'team', 'project')),
	owner_id        TEXT NOT NULL,
	team_id         TEXT REFERENCES teams (id),
	project_id      TEXT REFERENCES projects (id),
	user_id         TEXT REFERENCES users (id),
	models          TEXT NOT NULL DEFAULT '[]',
	expires_at      INTEGER,
	revoked_at      INTEGER,
	rpm             INTEGER NOT NULL DEFAULT 0,
	tpm             INTEGER NOT NULL DEFAULT 0,
	budget_id       TEXT,
	tags            TEXT NOT NULL DEFAULT '{}',
	created_at      INTEGER NOT NULL,
	last_rotated_at INTEGER
) STRICT;

CREATE INDEX api_keys_team ON api_keys (team_id, id);
CREATE INDEX api_keys_owner ON api_keys (owner_kind, owner_id, id);
CREATE INDEX api_keys_project ON api_keys (project_id);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE provider_credentials (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES organizations (id),
	provider   TEXT NOT NULL,
	name       TEXT NOT NULL,
	ciphertext BLOB NOT NULL,
	nonce      BLOB NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (org_id, provider, name)
) STRICT;

-- No foreign keys: the log outlives what it describes.
CREATE TABLE audit_events (
	id            TEXT PRIMARY KEY,
	org_id        TEXT NOT NULL,
	at            INTEGER NOT NULL,
	actor         TEXT NOT NULL,
	actor_kind    TEXT NOT NULL,
	action        TEXT NOT NULL,
	resource_kind TEXT NOT NULL,
	resource_id   TEXT NOT NULL,
	before_json   TEXT,
	after_json    TEXT,
	source_ip     TEXT NOT NULL,
	request_id    TEXT NOT NULL
) STRICT;

CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_actor ON audit_events (actor, id);
CREATE INDEX audit_events_action ON audit_events (action, id);
CREATE INDEX audit_events_resource ON audit_events (resource_kind, resource_id, id);
