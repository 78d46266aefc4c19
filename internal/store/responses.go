package store

import (
	"context"
	"time"
)

// StoredResponse is a response of the Responses API kept so a later request can continue it
// (previous_response_id) or read it back (GET /v1/responses/{id}). Tenant is the namespace of
// whoever created it (a team, or a key without a team); another tenant never sees it.
type StoredResponse struct {
	ID        string // "resp_..."
	Tenant    string
	CreatedAt time.Time // the current time when zero
	ExpiresAt time.Time
	// Response is the response object as JSON.
	Response []byte
	// Items is the JSON array of input items the response answered: the items of the
	// responses it continued, then its request's own input.
	Items []byte
}

// ResponseStore keeps Responses API responses for their retention period. Like request logs
// they are data, not configuration: no method bumps Version.
type ResponseStore interface {
	// PutResponse stores r; ErrConflict when its ID is taken.
	PutResponse(ctx context.Context, r StoredResponse) error
	// GetResponse returns the tenant's response; ErrNotFound when it is missing, expired or
	// another tenant's.
	GetResponse(ctx context.Context, tenant, id string) (StoredResponse, error)
	// DeleteResponse removes the tenant's response; ErrNotFound as for GetResponse.
	DeleteResponse(ctx context.Context, tenant, id string) error
	// DeleteExpiredResponses removes responses whose ExpiresAt is not after now and returns
	// how many it removed.
	DeleteExpiredResponses(ctx context.Context, now time.Time) (int64, error)
}
