-- Prompt and answer bodies of request logs, kept when the body policy asks (metadata or full)
-- and deleted after their own retention, usually shorter than the log's. A separate table so
-- log scans and analytics never read the large text, and so the purge leaves the log row.
CREATE TABLE request_bodies (
	request_id TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL,
	at         INTEGER NOT NULL,
	mode       TEXT NOT NULL,
	request    TEXT NOT NULL,
	response   TEXT NOT NULL,
	truncated  INTEGER NOT NULL
) STRICT;

CREATE INDEX request_bodies_at ON request_bodies (at);
