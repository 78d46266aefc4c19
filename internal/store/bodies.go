package store

import (
	"context"
	"time"
)

// Body modes: how much of a request's prompt and answer the log keeps.
const (
	BodiesOff      = "off"      // nothing
	BodiesMetadata = "metadata" // the shape (message count, roles, sizes, tool names), no text
	BodiesFull     = "full"     // the text, redacted and truncated
)

// RequestBodies is what the request log keeps of a request's prompt and answer, in the
// request_bodies table next to its RequestLog and deleted after its own retention.
type RequestBodies struct {
	Mode string // BodiesMetadata or BodiesFull
	// Request and Response are JSON in metadata mode. In full mode they are the request and
	// answer JSON with secrets and PII redacted (a stream's answer is its assembled text),
	// cut at a size limit: then Truncated is set and the text no longer parses as JSON.
	Request   string
	Response  string
	Truncated bool

	// Capture, when set, fills the fields above. The gateway sets it so that encoding and
	// redacting happen on the request log's writer goroutine rather than on the request
	// path; the writer calls it once and clears it before the insert.
	Capture func(*RequestBodies)
}

// RequestBodyStore reads single request logs with their bodies and deletes old bodies.
// InsertRequestLogs writes the bodies of logs whose Bodies is set, in the same transaction.
type RequestBodyStore interface {
	// GetRequestLog returns one request log with its Bodies (nil when none were kept or they
	// were deleted); ErrNotFound when there is no such log.
	GetRequestLog(ctx context.Context, id string) (RequestLog, error)
	// DeleteRequestBodiesBefore removes bodies of requests that arrived before t (retention)
	// and returns how many it removed; the logs themselves stay. It does not bump Version.
	DeleteRequestBodiesBefore(ctx context.Context, t time.Time) (int64, error)
}
