-- Prompt and answer bodies of request logs, kept when the body policy asks (metadata or full)
-- and deleted after their own retention, usually shorter than the log's. A separate table so
-- log scans and analytics never read the large text, and so the purge leaves the log row.
CREATE TABLE request_bodies (
	request_id text COLLATE "C" PRIMARY KEY,
	org_id     text COLLATE "C" NOT NULL,
	at         timestamptz NOT NULL,
	mode       text NOT NULL,
	request    text NOT NULL,
	response   text NOT NULL,
	truncated  boolean NOT NULL
);

CREATE INDEX request_bodies_at ON request_bodies (at);
