-- Models (routes) managed through the admin API; spec is the JSON of a config models[] entry.
CREATE TABLE model_routes (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL REFERENCES organizations (id),
	name       TEXT NOT NULL,
	spec       TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	UNIQUE (org_id, name)
) STRICT;
