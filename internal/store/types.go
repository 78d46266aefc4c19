package store

import (
	"encoding/json"
	"time"
)

// DefaultOrgID is the organization every row belongs to until Sluice is multi-tenant. The
// schema keeps org_id columns so that change needs no data migration.
const DefaultOrgID = "org_default"

// Organization is the tenant that owns teams, users, keys and credentials.
type Organization struct {
	ID        string
	Name      string
	CreatedAt time.Time
}

// Team groups users, projects and keys for access control and spend.
type Team struct {
	ID        string
	Name      string // unique within the organization
	Metadata  map[string]string
	CreatedAt time.Time
}

// Project is a unit of work inside a team, for finer key ownership and reporting.
type Project struct {
	ID        string
	TeamID    string
	Name      string // unique within the team
	CreatedAt time.Time
}

// Role is a user's permission level in the admin API.
type Role string

// Roles, from most to least privileged.
const (
	RoleAdmin     Role = "admin"
	RoleTeamAdmin Role = "team_admin"
	RoleMember    Role = "member"
	RoleViewer    Role = "viewer"
)

// User is a person who administers Sluice or owns keys.
type User struct {
	ID        string
	Email     string // stored trimmed and lower-cased; unique within the organization
	Name      string
	Role      Role
	TeamIDs   []string // sorted; the teams the user belongs to
	CreatedAt time.Time
}

// OwnerKind says what an API key belongs to.
type OwnerKind string

// Owner kinds.
const (
	OwnerUser    OwnerKind = "user"
	OwnerTeam    OwnerKind = "team"
	OwnerProject OwnerKind = "project"
)

// APIKey is a credential that clients present to the gateway. The store keeps only its hash.
//
// Ownership is consistent by construction: a team key has TeamID == OwnerID; a project key
// has ProjectID == OwnerID and the project's TeamID (filled in when left empty); a user key
// may name one of the user's teams as TeamID for attribution.
type APIKey struct {
	ID        string
	Prefix    string // the first characters shown to humans, e.g. "sk-sluice-ab12"
	Hash      []byte // unique; see the auth package for the hash function
	Name      string
	OwnerKind OwnerKind
	OwnerID   string
	TeamID    string   // empty for a user key without a team
	ProjectID string   // set only for project keys
	Models    []string // allowed models or routes; empty allows all

	ExpiresAt *time.Time
	RevokedAt *time.Time

	// Limits attached to the key. RPM and TPM of 0 mean "no key-level limit" (team and
	// global limits still apply); BudgetID empty means no budget is attached.
	RPM      int64
	TPM      int64
	BudgetID string

	Tags          map[string]string
	CreatedAt     time.Time
	LastRotatedAt *time.Time // nil until the first RotateKey
}

// Revoked reports whether the key has been revoked.
func (k *APIKey) Revoked() bool { return k.RevokedAt != nil }

// Expired reports whether the key has expired at now. Snapshots keep expired keys (so auth
// can tell a client its key expired rather than that it is unknown), and a snapshot can
// outlive an expiry, so auth calls this on every request.
func (k *APIKey) Expired(now time.Time) bool {
	return k.ExpiresAt != nil && !now.Before(*k.ExpiresAt)
}

// ModelRoute is a public model managed through the admin API instead of the config file. Spec
// is that model's entry in JSON (name, strategy, targets, fallbacks, timeouts), the same
// fields as a config file's models[] item; the gateway validates and compiles it.
type ModelRoute struct {
	ID        string
	Name      string // unique; the name clients call
	Spec      json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ProviderCredential is an upstream provider's secret, encrypted by the caller.
type ProviderCredential struct {
	ID         string
	Provider   string // the provider name, e.g. "openai"
	Name       string // unique per provider
	Ciphertext []byte
	Nonce      []byte
	CreatedAt  time.Time
}

// AuditEvent records who changed what. Before and After hold JSON of the resource (with
// secrets already removed by the caller); either may be empty.
type AuditEvent struct {
	ID           string
	At           time.Time // filled with the current time when zero
	Actor        string    // a user ID, key ID or "system"
	ActorKind    string    // e.g. "user", "key", "system"
	Action       string    // e.g. "key.create"
	ResourceKind string    // e.g. "key"
	ResourceID   string
	Before       json.RawMessage
	After        json.RawMessage
	SourceIP     string
	RequestID    string
}

// Snapshot is everything the gateway's in-memory auth state needs, read in one
// transaction so that every key's team, project and user are present and Version names
// exactly this state. Revoked keys are left out; expired keys are kept (see
// APIKey.Expired). Every slice is sorted by ID.
type Snapshot struct {
	Version  int64
	TakenAt  time.Time
	Teams    []Team
	Projects []Project
	Users    []User
	Keys     []APIKey
}

// RequestLog is one gateway request as the usage pipeline records it. ID is the request's
// own ID ("req_..."), given by the caller so logs, traces and client errors agree.
type RequestLog struct {
	ID            string
	At            time.Time // when the request arrived; the current time when zero
	KeyID         string
	UserID        string
	TeamID        string
	ProjectID     string
	Model         string // as requested by the client
	Provider      string
	UpstreamModel string // as sent to the provider
	Route         string
	Attempts      int  // upstream calls made, retries and fallbacks included
	Fallback      bool // served by a fallback target
	Status        int  // HTTP status returned to the client
	ErrorType     string
	ErrorCode     string

	PromptTokens        int64
	CompletionTokens    int64
	CachedTokens        int64
	CacheCreationTokens int64
	ReasoningTokens     int64
	TokensEstimated     bool // counted by the gateway because the provider reported none
	CostMicroUSD        int64

	LatencyMs   int64
	TTFTMs      int64 // time to first token; 0 when not streamed
	Stream      bool
	CacheResult string            // e.g. "hit", "miss", "" when the cache was not consulted
	Metadata    map[string]string // client tags
	TraceID     string
	Guardrails  []GuardrailVerdict // rules that fired; never the matched text
	// Bodies is the kept prompt and answer (bodies.go); nil when the policy keeps none.
	// ListRequestLogs leaves it nil; GetRequestLog fills it.
	Bodies *RequestBodies
}

// GuardrailVerdict is one guardrail rule that fired on a request: what it did, at which
// stage, to what kind of data, and how many times.
type GuardrailVerdict struct {
	Rule   string `json:"rule"`
	Type   string `json:"type"`
	Action string `json:"action"` // block, redact, flag
	Stage  string `json:"stage"`  // input, output
	Count  int    `json:"count"`
}
