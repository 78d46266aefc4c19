-- One row per gateway request, written in batches by the usage pipeline. It is append-only
-- and trimmed by age, so it has no foreign keys: a log outlives the key or team it names,
-- and checking references would slow the batch insert for nothing.
CREATE TABLE request_logs (
	id                    text COLLATE "C" PRIMARY KEY,
	org_id                text COLLATE "C" NOT NULL,
	at                    timestamptz NOT NULL,
	key_id                text COLLATE "C" NOT NULL,
	user_id               text COLLATE "C" NOT NULL,
	team_id               text COLLATE "C" NOT NULL,
	project_id            text COLLATE "C" NOT NULL,
	model                 text NOT NULL,
	provider              text NOT NULL,
	upstream_model        text NOT NULL,
	route                 text NOT NULL,
	attempts              integer NOT NULL,
	fallback              boolean NOT NULL,
	status                integer NOT NULL,
	error_type            text NOT NULL,
	error_code            text NOT NULL,
	prompt_tokens         bigint NOT NULL,
	completion_tokens     bigint NOT NULL,
	cached_tokens         bigint NOT NULL,
	cache_creation_tokens bigint NOT NULL,
	reasoning_tokens      bigint NOT NULL,
	tokens_estimated      boolean NOT NULL,
	cost_micro_usd        bigint NOT NULL,
	latency_ms            bigint NOT NULL,
	ttft_ms               bigint NOT NULL,
	stream                boolean NOT NULL,
	cache_result          text NOT NULL,
	metadata              jsonb,
	trace_id              text NOT NULL
);

-- (at, id) is the list order and the retention scan; the others serve per-team and
-- per-key reports over a time range.
CREATE INDEX request_logs_at ON request_logs (at, id);
CREATE INDEX request_logs_team_at ON request_logs (team_id, at);
CREATE INDEX request_logs_key_at ON request_logs (key_id, at);
