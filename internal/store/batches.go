package store

import (
	"context"
	"time"
)

// ID prefixes of the Batch API's rows, OpenAI's own ("file-abc", "batch_abc") so that SDKs
// and scripts that look at them see what they expect.
const (
	PrefixFile  = "file-"
	PrefixBatch = "batch_"
)

// File is an uploaded (or batch-produced) file of the Files API. Tenant is the namespace of
// whoever created it, as for StoredResponse; another tenant never sees it.
type File struct {
	ID        string
	Tenant    string
	Purpose   string // "batch", "batch_output", "user_data", ...
	Filename  string
	Bytes     int64     // len(Content), filled by PutFile
	CreatedAt time.Time // the current time when zero
	// ExpiresAt is when the file is deleted; zero means never.
	ExpiresAt time.Time
	// Content is the file's bytes; GetFile and ListFiles leave it nil (FileContent reads it).
	Content []byte
}

// Batch states, OpenAI's: validating -> in_progress -> finalizing -> completed, or failed,
// expired, and cancelling -> cancelled.
const (
	BatchValidating = "validating"
	BatchInProgress = "in_progress"
	BatchFinalizing = "finalizing"
	BatchCompleted  = "completed"
	BatchFailed     = "failed"
	BatchExpired    = "expired"
	BatchCancelling = "cancelling"
	BatchCancelled  = "cancelled"
)

// BatchDone reports whether status is final: the worker no longer drives the batch.
func BatchDone(status string) bool {
	switch status {
	case BatchCompleted, BatchFailed, BatchExpired, BatchCancelled:
		return true
	}
	return false
}

// Batch is one batch job and the worker's progress on it.
type Batch struct {
	ID     string
	Tenant string
	Status string
	// Record is the batch as the API shows it (JSON), written by the gateway and the worker.
	Record []byte
	// State is the worker's private progress (JSON): upstream jobs and finished lines. Only
	// ClaimBatch reads it; the other methods return it nil.
	State     []byte
	CreatedAt time.Time // the current time when zero
	// CancelRequestedAt is when a client asked to cancel; nil when nobody has.
	CancelRequestedAt *time.Time
	// LeaseOwner drives the batch until LeaseUntil; afterwards any worker may claim it.
	LeaseOwner string
	LeaseUntil time.Time
}

// BatchStore keeps files and batches. Like request logs they are data, not configuration: no
// method bumps Version.
type BatchStore interface {
	// PutFile stores f; ErrConflict when its ID is taken.
	PutFile(ctx context.Context, f File) (File, error)
	// GetFile returns the tenant's file without its content; ErrNotFound when it is missing,
	// expired or another tenant's.
	GetFile(ctx context.Context, tenant, id string) (File, error)
	// FileContent returns the content of the tenant's file; ErrNotFound as for GetFile.
	FileContent(ctx context.Context, tenant, id string) ([]byte, error)
	// ListFiles lists the tenant's files (of purpose, unless ""), newest first; After is the
	// ID of the last file of the previous page.
	ListFiles(ctx context.Context, tenant, purpose string, opts ListOptions) (Page[File], error)
	// DeleteFile removes the tenant's file; ErrNotFound as for GetFile.
	DeleteFile(ctx context.Context, tenant, id string) error
	// DeleteExpiredFiles removes files whose ExpiresAt is set and not after now.
	DeleteExpiredFiles(ctx context.Context, now time.Time) (int64, error)

	// CreateBatch stores b; ErrConflict when its ID is taken.
	CreateBatch(ctx context.Context, b Batch) (Batch, error)
	// GetBatch returns the tenant's batch; ErrNotFound when it is missing or another
	// tenant's.
	GetBatch(ctx context.Context, tenant, id string) (Batch, error)
	// ListBatches lists the tenant's batches newest first; After as for ListFiles.
	ListBatches(ctx context.Context, tenant string, opts ListOptions) (Page[Batch], error)
	// RequestBatchCancel stamps CancelRequestedAt on the tenant's unfinished batch (once) and
	// returns it; ErrNotFound as for GetBatch, ErrConflict when the batch is finished.
	RequestBatchCancel(ctx context.Context, tenant, id string, at time.Time) (Batch, error)
	// ClaimBatch leases to owner, until until, the oldest unfinished batch whose lease has
	// expired by now, in one atomic step: of several workers (on several nodes) only one gets
	// a given batch. ErrNotFound when there is none.
	ClaimBatch(ctx context.Context, owner string, now, until time.Time) (Batch, error)
	// SaveBatch writes b's Status, Record, State and LeaseUntil, and stores files, in one
	// transaction, provided owner still holds the lease; ErrConflict when it does not (the
	// lease expired and another worker claimed the batch). It returns the batch as stored
	// (without State), with a CancelRequestedAt a client may have set meanwhile.
	SaveBatch(ctx context.Context, b Batch, owner string, files ...File) (Batch, error)
}
