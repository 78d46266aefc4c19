-- One row per gateway request, written in batches by the usage pipeline. It is append-only
-- and trimmed by age, so it has no foreign keys: a log outlives the key or team it names,
-- and checking references would slow the batch insert for nothing.
CREATE TABLE request_logs (
	id                    TEXT PRIMARY KEY,
	org_id                TEXT NOT NULL,
	at                    INTEGER NOT NULL,
	key_id                TEXT NOT NULL,
	user_id               TEXT NOT NULL,
	team_id               TEXT NOT NULL,
	project_id            TEXT NOT NULL,
	model                 TEXT NOT NULL,
	provider              TEXT NOT NULL,
	upstream_model        TEXT NOT NULL,
	route                 TEXT NOT NULL,
	attempts              INTEGER NOT NULL,
	fallback              INTEGER NOT NULL,
	status                INTEGER NOT NULL,
	error_type            TEXT NOT NULL,
	error_code            TEXT NOT NULL,
	prompt_tokens         INTEGER NOT NULL,
	completion_tokens     INTEGER NOT NULL,
	cached_tokens         INTEGER NOT NULL,
	cache_creation_tokens INTEGER NOT NULL,
	reasoning_tokens      INTEGER NOT NULL,
	tokens_estimated      INTEGER NOT NULL,
	cost_micro_usd        INTEGER NOT NULL,
	latency_ms            INTEGER NOT NULL,
	ttft_ms               INTEGER NOT NULL,
	stream                INTEGER NOT NULL,
	cache_result          TEXT NOT NULL,
	metadata              TEXT,
	trace_id              TEXT NOT NULL
) STRICT;

-- (at, id) is the list order and the retention scan; the others serve per-team and
-- per-key reports over a time range.
CREATE INDEX request_logs_at ON request_logs (at, id);
CREATE INDEX request_logs_team_at ON request_logs (team_id, at);
CREATE INDEX request_logs_key_at ON request_logs (key_id, at);
