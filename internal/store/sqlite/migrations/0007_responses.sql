-- Responses API responses kept for previous_response_id and GET /v1/responses/{id}, per
-- tenant, until expires_at. Like request logs they have no foreign keys: a response outlives
-- the key that made it until its retention ends, and the tenant column scopes every read.
CREATE TABLE responses (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL,
	tenant     TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	response   TEXT NOT NULL,
	items      TEXT NOT NULL
) STRICT;

CREATE INDEX responses_expires ON responses (expires_at);
