-- Identity and governance schema. IDs use the "C" collation so that "id > cursor" pages in
-- byte order, the same as SQLite, whatever the database's locale.

CREATE TABLE organizations (
	id         text COLLATE "C" PRIMARY KEY,
	name       text NOT NULL,
	created_at timestamptz NOT NULL DEFAULT now()
);

INSERT INTO organizations (id, name) VALUES ('org_default', 'Default');

-- One row: the change counter every mutation bumps. Its trigger announces each new value
-- on the sluice_store_version channel (store.VersionChannel) when the transaction commits.
CREATE TABLE store_version (
	id      integer PRIMARY KEY CHECK (id = 1),
	version bigint NOT NULL
);

INSERT INTO store_version (id, version) VALUES (1, 0);

CREATE FUNCTION store_version_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	PERFORM pg_notify('sluice_store_version', NEW.version::text);
	RETURN NULL;
END
$$;

CREATE TRIGGER store_version_notify AFTER UPDATE ON store_version
	FOR EACH ROW EXECUTE FUNCTION store_version_notify();

CREATE TABLE teams (
	id         text COLLATE "C" PRIMARY KEY,
	org_id     text COLLATE "C" NOT NULL REFERENCES organizations (id),
	name       text NOT NULL,
	metadata   jsonb NOT NULL DEFAULT '{}',
	created_at timestamptz NOT NULL,
	UNIQUE (org_id, name)
);

CREATE TABLE projects (
	id         text COLLATE "C" PRIMARY KEY,
	org_id     text COLLATE "C" NOT NULL REFERENCES organizations (id),
	team_id    text COLLATE "C" NOT NULL REFERENCES teams (id),
	name       text NOT NULL,
	created_at timestamptz NOT NULL,
	UNIQUE (team_id, name)
);

CREATE TABLE users (
	id         text COLLATE "C" PRIMARY KEY,
	org_id     text COLLATE "C" NOT NULL REFERENCES organizations (id),
	email      text NOT NULL,
	name       text NOT NULL,
	role       text NOT NULL CHECK (role IN ('admin', 'team_admin', 'member', 'viewer')),
	created_at timestamptz NOT NULL,
	UNIQUE (org_id, email)
);

CREATE TABLE user_teams (
	user_id text COLLATE "C" NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	team_id text COLLATE "C" NOT NULL REFERENCES teams (id) ON DELETE CASCADE,
	PRIMARY KEY (user_id, team_id)
);

CREATE INDEX user_teams_team ON user_teams (team_id, user_id);

-- user_id duplicates owner_id for user keys so a foreign key can guard it.
CREATE TABLE api_keys (
	id              text COLLATE "C" PRIMARY KEY,
	org_id          text COLLATE "C" NOT NULL REFERENCES organizations (id),
	prefix          text NOT NULL,
	hash            bytea NOT NULL UNIQUE,
	name            text NOT NULL,
	owner_kind      text NOT NULL CHECK (owner_kind IN ('user', 'team', 'project')),
	owner_id        text COLLATE "C" NOT NULL,
	team_id         text COLLATE "C" REFERENCES teams (id),
	project_id      text COLLATE "C" REFERENCES projects (id),
	user_id         text COLLATE "C" REFERENCES users (id),
	models          jsonb NOT NULL DEFAULT '[]',
	expires_at      timestamptz,
	revoked_at      timestamptz,
	rpm             bigint NOT NULL DEFAULT 0,
	tpm             bigint NOT NULL DEFAULT 0,
	budget_id       text,
	tags            jsonb NOT NULL DEFAULT '{}',
	created_at      timestamptz NOT NULL,
	last_rotated_at timestamptz
);

CREATE INDEX api_keys_team ON api_keys (team_id, id);
CREATE INDEX api_keys_owner ON api_keys (owner_kind, owner_id, id);
CREATE INDEX api_keys_project ON api_keys (project_id);
CREATE INDEX api_keys_user ON api_keys (user_id);

CREATE TABLE provider_credentials (
	id         text COLLATE "C" PRIMARY KEY,
	org_id     text COLLATE "C" NOT NULL REFERENCES organizations (id),
	provider   text NOT NULL,
	name       text NOT NULL,
	ciphertext bytea NOT NULL,
	nonce      bytea NOT NULL,
	created_at timestamptz NOT NULL,
	UNIQUE (org_id, provider, name)
);

-- No foreign keys: the log outlives what it describes. before/after are json, not jsonb,
-- to keep each document exactly as recorded.
CREATE TABLE audit_events (
	id            text COLLATE "C" PRIMARY KEY,
	org_id        text COLLATE "C" NOT NULL,
	at            timestamptz NOT NULL,
	actor         text NOT NULL,
	actor_kind    text NOT NULL,
	action        text NOT NULL,
	resource_kind text NOT NULL,
	resource_id   text NOT NULL,
	before_json   json,
	after_json    json,
	source_ip     text NOT NULL,
	request_id    text NOT NULL
);

CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_actor ON audit_events (actor, id);
CREATE INDEX audit_events_action ON audit_events (action, id);
CREATE INDEX audit_events_resource ON audit_events (resource_kind, resource_id, id);
