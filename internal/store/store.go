package store

import (
	"context"
	"errors"
	"time"
)

// Errors returned (wrapped with context) by every implementation. Check with errors.Is.
var (
	// ErrNotFound: the row, or a row it refers to, does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique value is taken (team name, user email, key hash, ...), a row
	// is still referenced (deleting a team that has projects), or the state forbids the
	// change (rotating a revoked key).
	ErrConflict = errors.New("conflict")
	// ErrInvalid: the input failed validation; the message lists every problem.
	ErrInvalid = errors.New("invalid")
	// ErrSchemaTooNew: the database was migrated by a newer Sluice than this binary.
	ErrSchemaTooNew = errors.New("database schema is newer than this binary")
)

// VersionChannel is the PostgreSQL NOTIFY channel that carries each new Version, so nodes
// can LISTEN instead of polling.
const VersionChannel = "sluice_store_version"

// Paging limits.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// ListOptions pages a list by ID. Limit 0 means DefaultLimit, and larger than MaxLimit
// means MaxLimit. After is the Next cursor of the previous page ("" for the first page).
type ListOptions struct {
	Limit int
	After string
}

// Page is one page of a list, in ascending ID order. Next is "" on the last page.
type Page[T any] struct {
	Items []T
	Next  string
}

// KeyFilter narrows ListKeys; empty fields match everything.
type KeyFilter struct {
	TeamID    string
	OwnerKind OwnerKind
	OwnerID   string
	// IncludeRevoked lists revoked keys too; by default they are left out.
	IncludeRevoked bool
}

// AuditFilter narrows ListAudit; empty fields match everything. Since is inclusive and
// Until exclusive.
type AuditFilter struct {
	Actor        string
	Action       string
	ResourceKind string
	ResourceID   string
	Since        time.Time
	Until        time.Time
}

// RequestLogFilter narrows ListRequestLogs; zero fields match everything. Since is
// inclusive and Until exclusive.
type RequestLogFilter struct {
	Since     time.Time
	Until     time.Time
	KeyID     string
	TeamID    string
	Model     string // the requested model
	Provider  string
	Status    int
	ErrorType string
	UserID    string
	// Metadata matches logs whose client tags include every one of these tag=value pairs.
	Metadata map[string]string
}

// Store persists identity and governance data. Every method is safe for concurrent use.
// Create methods fill ID (when empty) and CreatedAt, and return the stored value. Update
// methods change only the fields their doc names and return the stored value. Times come
// back in UTC with microsecond precision; empty maps and slices come back nil.
type Store interface {
	GetOrganization(ctx context.Context, id string) (Organization, error)

	CreateTeam(ctx context.Context, t Team) (Team, error)
	GetTeam(ctx context.Context, id string) (Team, error)
	// UpdateTeam changes Name and Metadata.
	UpdateTeam(ctx context.Context, t Team) (Team, error)
	// DeleteTeam removes the team and its memberships; ErrConflict while projects or
	// keys refer to it.
	DeleteTeam(ctx context.Context, id string) error
	ListTeams(ctx context.Context, opts ListOptions) (Page[Team], error)

	CreateProject(ctx context.Context, p Project) (Project, error)
	GetProject(ctx context.Context, id string) (Project, error)
	// UpdateProject changes Name.
	UpdateProject(ctx context.Context, p Project) (Project, error)
	// DeleteProject: ErrConflict while keys refer to it.
	DeleteProject(ctx context.Context, id string) error
	// ListProjects lists a team's projects, or all when teamID is "".
	ListProjects(ctx context.Context, teamID string, opts ListOptions) (Page[Project], error)

	CreateUser(ctx context.Context, u User) (User, error)
	GetUser(ctx context.Context, id string) (User, error)
	GetUserByEmail(ctx context.Context, email string) (User, error)
	// UpdateUser changes Email, Name, Role and TeamIDs.
	UpdateUser(ctx context.Context, u User) (User, error)
	// DeleteUser: ErrConflict while keys are owned by the user.
	DeleteUser(ctx context.Context, id string) error
	// ListUsers lists a team's members, or all users when teamID is "".
	ListUsers(ctx context.Context, teamID string, opts ListOptions) (Page[User], error)

	CreateKey(ctx context.Context, k APIKey) (APIKey, error)
	GetKey(ctx context.Context, id string) (APIKey, error)
	// GetKeyByHash finds a key whether or not it is revoked or expired.
	GetKeyByHash(ctx context.Context, hash []byte) (APIKey, error)
	// UpdateKey changes Name, Models, ExpiresAt, RPM, TPM, BudgetID and Tags.
	UpdateKey(ctx context.Context, k APIKey) (APIKey, error)
	// RevokeKey stamps RevokedAt. Revoking a revoked key changes nothing and succeeds.
	RevokeKey(ctx context.Context, id string) (APIKey, error)
	// RotateKey replaces Prefix and Hash in one step and stamps LastRotatedAt, so the old
	// secret stops working the moment the new one starts. ErrConflict for a revoked key.
	RotateKey(ctx context.Context, id, prefix string, hash []byte) (APIKey, error)
	// DeleteKey removes the key outright; revoking is the usual way to retire one.
	DeleteKey(ctx context.Context, id string) error
	ListKeys(ctx context.Context, f KeyFilter, opts ListOptions) (Page[APIKey], error)

	CreateCredential(ctx context.Context, c ProviderCredential) (ProviderCredential, error)
	GetCredential(ctx context.Context, id string) (ProviderCredential, error)
	// UpdateCredential changes Name, Ciphertext and Nonce.
	UpdateCredential(ctx context.Context, c ProviderCredential) (ProviderCredential, error)
	DeleteCredential(ctx context.Context, id string) error
	// ListCredentials lists one provider's credentials, or all when provider is "".
	ListCredentials(ctx context.Context, provider string, opts ListOptions) (Page[ProviderCredential], error)

	CreateModelRoute(ctx context.Context, m ModelRoute) (ModelRoute, error)
	GetModelRoute(ctx context.Context, id string) (ModelRoute, error)
	// UpdateModelRoute changes Name and Spec.
	UpdateModelRoute(ctx context.Context, m ModelRoute) (ModelRoute, error)
	DeleteModelRoute(ctx context.Context, id string) error
	ListModelRoutes(ctx context.Context, opts ListOptions) (Page[ModelRoute], error)

	// AppendAudit records an event; it does not bump Version.
	AppendAudit(ctx context.Context, e AuditEvent) (AuditEvent, error)
	// ListAudit lists events in ID (that is, append) order.
	ListAudit(ctx context.Context, f AuditFilter, opts ListOptions) (Page[AuditEvent], error)

	// InsertRequestLogs writes a batch of request logs in one transaction, all or none.
	// Like AppendAudit it does not bump Version: logs are not configuration. A log whose
	// ID is already stored is skipped, so retrying a batch that did commit is harmless.
	// At is filled with the current time when zero. It does not keep logs.
	InsertRequestLogs(ctx context.Context, logs []RequestLog) error
	// ListRequestLogs lists logs in (At, ID) order; the Next cursor is opaque.
	ListRequestLogs(ctx context.Context, f RequestLogFilter, opts ListOptions) (Page[RequestLog], error)
	// DeleteRequestLogsBefore removes logs with At before t (retention) and returns how
	// many it removed. It does not bump Version.
	DeleteRequestLogsBefore(ctx context.Context, t time.Time) (int64, error)
	// AnalyzeRequestLogs aggregates request logs: usage, cost and errors by dimensions and
	// time bucket, top N.
	AnalyzeRequestLogs(ctx context.Context, q AnalyticsQuery) ([]AnalyticsRow, error)
	// RequestLogLatency returns latency and time-to-first-token percentiles per requested
	// model over the logs f matches.
	RequestLogLatency(ctx context.Context, f RequestLogFilter) ([]ModelLatency, error)

	// AddBudgetSpend adds each delta (zero reads) to its (budget, period) total, creating
	// the row when missing, all in one transaction, and returns the totals after it in the
	// same order. It does not bump Version: spend is not configuration.
	AddBudgetSpend(ctx context.Context, deltas []BudgetSpendDelta) ([]BudgetSpend, error)
	// InsertBudgetEvent stores e unless an event for its (BudgetID, PeriodStart, Threshold)
	// exists; inserted reports which. It fills ID and At, and does not bump Version.
	InsertBudgetEvent(ctx context.Context, e BudgetEvent) (stored BudgetEvent, inserted bool, err error)
	// ListBudgetEvents lists events in ID (that is, insertion) order.
	ListBudgetEvents(ctx context.Context, f BudgetEventFilter, opts ListOptions) (Page[BudgetEvent], error)
	RollupStore
	ResponseStore
	BatchStore
	GuardrailPolicyStore
	BudgetDefStore
	RequestBodyStore

	// Snapshot reads the whole auth state in one transaction.
	Snapshot(ctx context.Context) (*Snapshot, error)
	// Version is the change counter: it grows by one with every committed mutation.
	Version(ctx context.Context) (int64, error)

	// Migrate brings the schema up to date; Open runs it. It is safe to run again, and
	// from several processes at once, and fails with ErrSchemaTooNew when the database
	// is ahead of the binary.
	Migrate(ctx context.Context) error
	Close() error
}
