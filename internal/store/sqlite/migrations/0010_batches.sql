-- The Batch API: files (uploaded inputs and produced outputs) and batch jobs, per tenant. Like
-- responses they have no foreign keys: the tenant column scopes every read. A batch's lease
-- (lease_owner until lease_until) makes one worker, on one node, drive it at a time.
CREATE TABLE files (
	id         TEXT PRIMARY KEY,
	org_id     TEXT NOT NULL,
	tenant     TEXT NOT NULL,
	purpose    TEXT NOT NULL,
	filename   TEXT NOT NULL,
	bytes      INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER,
	content    BLOB NOT NULL
) STRICT;

CREATE INDEX files_tenant ON files (tenant, id);
CREATE INDEX files_expires ON files (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE batches (
	id                  TEXT PRIMARY KEY,
	org_id              TEXT NOT NULL,
	tenant              TEXT NOT NULL,
	status              TEXT NOT NULL,
	created_at          INTEGER NOT NULL,
	cancel_requested_at INTEGER,
	lease_owner         TEXT NOT NULL DEFAULT '',
	lease_until         INTEGER NOT NULL,
	record              TEXT NOT NULL,
	state               BLOB NOT NULL
) STRICT;

CREATE INDEX batches_tenant ON batches (tenant, id);
CREATE INDEX batches_active ON batches (lease_until) WHERE status NOT IN ('completed', 'failed', 'expired', 'cancelled');
