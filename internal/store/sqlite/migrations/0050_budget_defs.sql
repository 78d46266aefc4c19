-- Budgets managed through the admin API (the config file's budgets live in the file). The
-- columns are a config budgets[] entry with defaults applied; thresholds is a JSON array.
-- Alert webhooks are not stored: their URLs carry credentials and stay in the file.
CREATE TABLE budget_defs (
	id             TEXT PRIMARY KEY,
	name           TEXT NOT NULL,
	scope          TEXT NOT NULL,
	scope_id       TEXT NOT NULL,
	limit_usd      REAL NOT NULL,
	limit_tokens   INTEGER NOT NULL,
	period         TEXT NOT NULL,
	timezone       TEXT NOT NULL,
	thresholds     TEXT NOT NULL,
	on_exceed      TEXT NOT NULL,
	reroute_to     TEXT NOT NULL,
	reserve_tokens INTEGER NOT NULL,
	version        INTEGER NOT NULL,
	created_at     INTEGER NOT NULL,
	updated_at     INTEGER NOT NULL,
	updated_by     TEXT NOT NULL
) STRICT;
