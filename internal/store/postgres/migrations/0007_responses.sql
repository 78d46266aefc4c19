-- Responses API responses kept for previous_response_id and GET /v1/responses/{id}, per
-- tenant, until expires_at. Like request logs they have no foreign keys: a response outlives
-- the key that made it until its retention ends, and the tenant column scopes every read.
-- The JSON is text, not jsonb, so a response reads back byte for byte as it was sent.
CREATE TABLE responses (
	id         text COLLATE "C" PRIMARY KEY,
	org_id     text COLLATE "C" NOT NULL,
	tenant     text COLLATE "C" NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	response   text NOT NULL,
	items      text NOT NULL
);

CREATE INDEX responses_expires ON responses (expires_at);
