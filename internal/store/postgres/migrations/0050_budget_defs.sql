-- Budgets managed through the admin API (the config file's budgets live in the file). The
-- columns are a config budgets[] entry with defaults applied; thresholds is a JSON array.
-- Alert webhooks are not stored: their URLs carry credentials and stay in the file.
CREATE TABLE budget_defs (
	id             text COLLATE "C" PRIMARY KEY,
	name           text NOT NULL,
	scope          text NOT NULL,
	scope_id       text NOT NULL,
	limit_usd      double precision NOT NULL,
	limit_tokens   bigint NOT NULL,
	period         text NOT NULL,
	timezone       text NOT NULL,
	thresholds     text NOT NULL,
	on_exceed      text NOT NULL,
	reroute_to     text NOT NULL,
	reserve_tokens bigint NOT NULL,
	version        bigint NOT NULL,
	created_at     timestamptz NOT NULL,
	updated_at     timestamptz NOT NULL,
	updated_by     text NOT NULL
);
