-- Budget spend per (budget, period), merged from every node's flushes: each node adds its
-- delta and reads the total back in one statement. period_start is Unix seconds (0 for a
-- budget that never resets). Budgets themselves come from the config file.
CREATE TABLE budget_spend (
	budget_id    text COLLATE "C" NOT NULL,
	period_start bigint NOT NULL,
	spent        bigint NOT NULL,
	created_at   timestamptz NOT NULL,
	updated_at   timestamptz NOT NULL,
	PRIMARY KEY (budget_id, period_start)
);

-- One row per alert raised. The unique key is what makes an alert fire once per threshold
-- per period across restarts and nodes: the insert that wins sends it.
CREATE TABLE budget_events (
	id           text COLLATE "C" PRIMARY KEY,
	budget_id    text COLLATE "C" NOT NULL,
	period_start bigint NOT NULL,
	threshold    integer NOT NULL,
	at           timestamptz NOT NULL,
	spent        bigint NOT NULL,
	limit_amount bigint NOT NULL,
	unit         text NOT NULL,
	message      text NOT NULL,
	UNIQUE (budget_id, period_start, threshold)
);
