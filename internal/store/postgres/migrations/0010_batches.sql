-- The Batch API: files (uploaded inputs and produced outputs) and batch jobs, per tenant. Like
-- responses they have no foreign keys: the tenant column scopes every read. A batch's lease
-- (lease_owner until lease_until) makes one worker, on one node, drive it at a time.
CREATE TABLE files (
	id         text COLLATE "C" PRIMARY KEY,
	org_id     text COLLATE "C" NOT NULL,
	tenant     text COLLATE "C" NOT NULL,
	purpose    text NOT NULL,
	filename   text NOT NULL,
	bytes      bigint NOT NULL,
	created_at timestamptz NOT NULL,
	expires_at timestamptz,
	content    bytea NOT NULL
);

CREATE INDEX files_tenant ON files (tenant, id);
CREATE INDEX files_expires ON files (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE batches (
	id                  text COLLATE "C" PRIMARY KEY,
	org_id              text COLLATE "C" NOT NULL,
	tenant              text COLLATE "C" NOT NULL,
	status              text NOT NULL,
	created_at          timestamptz NOT NULL,
	cancel_requested_at timestamptz,
	lease_owner         text NOT NULL DEFAULT '',
	lease_until         timestamptz NOT NULL,
	record              text NOT NULL,
	state               bytea NOT NULL
);

CREATE INDEX batches_tenant ON batches (tenant, id);
CREATE INDEX batches_active ON batches (lease_until) WHERE status NOT IN ('completed', 'failed', 'expired', 'cancelled');
