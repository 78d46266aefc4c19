-- Budget spend per (budget, period), merged from every node's flushes: each node adds its
-- delta and reads the total back in one statement. period_start is Unix seconds (0 for a
-- budget that never resets). Budgets themselves come from the config file.
CREATE TABLE budget_spend (
	budget_id    TEXT NOT NULL,
	period_start INTEGER NOT NULL,
	spent        INTEGER NOT NULL,
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	PRIMARY KEY (budget_id, period_start)
) STRICT;

-- One row per alert raised. The unique key is what makes an alert fire once per threshold
-- per period across restarts and nodes: the insert that wins sends it.
CREATE TABLE budget_events (
	id           TEXT PRIMARY KEY,
	budget_id    TEXT NOT NULL,
	period_start INTEGER NOT NULL,
	threshold    INTEGER NOT NULL,
	at           INTEGER NOT NULL,
	spent        INTEGER NOT NULL,
	limit_amount INTEGER NOT NULL,
	unit         TEXT NOT NULL,
	message      TEXT NOT NULL,
	UNIQUE (budget_id, period_start, threshold)
) STRICT;
