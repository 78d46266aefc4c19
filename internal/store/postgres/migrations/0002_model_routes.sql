-- Models (routes) managed through the admin API; spec is the JSON of a config models[] entry,
-- kept as text so it comes back byte for byte.
CREATE TABLE model_routes (
	id         text COLLATE "C" PRIMARY KEY,
	org_id     text COLLATE "C" NOT NULL REFERENCES organizations (id),
	name       text NOT NULL,
	spec       text NOT NULL,
	created_at timestamptz NOT NULL,
	updated_at timestamptz NOT NULL,
	UNIQUE (org_id, name)
);
