package gateway

import (
	"context"
	"net/http"

	"github.com/sluicehq/sluice/internal/store"
)

// Tracer puts each API request in a trace; *telemetry.Tracing.
type Tracer interface {
	// Middleware runs a handler inside the request's span.
	Middleware(http.Handler) http.Handler
	// Finish copies the request's outcome onto its span, and the trace id into rec.
	Finish(ctx context.Context, rec *store.RequestLog)
}

// WithTracer traces every API request through t.
func WithTracer(t Tracer) Option { return func(g *Gateway) { g.tracer = t } }
