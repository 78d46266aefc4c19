package gateway

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/pricing"
	"github.com/sluicehq/sluice/internal/ratelimit"
	"github.com/sluicehq/sluice/internal/router"
	"github.com/sluicehq/sluice/internal/store"
)

// Recorder takes a finished request's log record without blocking; *usage.Recorder.
type Recorder interface {
	Record(store.RequestLog) bool
}

// Pricer prices a request's usage in micro-dollars; *pricing.Catalog.
type Pricer interface {
	Cost(provider, format, model string, u *api.Usage) (int64, bool)
}

// WithRecorder logs every chat and embeddings request through rec.
func WithRecorder(rec Recorder) Option { return func(g *Gateway) { g.recorder = rec } }

// call is what the request path learns about one request, for its log record.
type call struct {
	start  time.Time
	model  string // as requested
	res    router.Result
	usage  *api.Usage
	stream bool
	ttft   time.Duration
	meta   map[string]string
	err    error // a failure after the response started (streams)

	// cost's memo: the price of pricedUsage.
	pricedUsage *api.Usage
	costMicro   int64
	costKnown   bool

	cache       *cacheCall // nil when the cache is off
	budget      budgetHold
	ticket      ratelimit.Ticket
	guard       *guardrail.Scanner // nil when no guardrail policy applies
	guardWindow int
	judge       *judgeCaller // accounts the guardrail judge calls made for this request
	// For estimating usage the provider did not report (estimate.go).
	req       *api.ChatRequest
	resp      *api.ChatResponse // a non-streaming answer
	answered  bool              // a stream delivered at least one chunk
	text      streamedText
	estimated bool
}

// maxMetadataBytes bounds the x-sluice-metadata header's JSON.
const maxMetadataBytes = 4 << 10

// metadata reads the client's tags from x-sluice-metadata: a JSON object of strings.
func metadata(r *http.Request) (map[string]string, error) {
	v := r.Header.Get("X-Sluice-Metadata")
	if v == "" {
		return nil, nil
	}
	var m map[string]string
	if len(v) > maxMetadataBytes || jsonx.Unmarshal([]byte(v), &m) != nil {
		return nil, api.Errorf("invalid_request", "x-sluice-metadata must be a JSON object of strings, at most %d bytes", maxMetadataBytes)
	}
	return m, nil
}

// cost prices the call's usage; ok is false when the model has no price.
func (g *Gateway) cost(c *call) (int64, bool) {
	if c.usage == nil || c.res.Target == nil {
		return 0, false
	}
	// The header, the budget, the cache's savings and the log all ask: price the usage once,
	// so they agree even if a reload swaps the price list mid-request.
	if c.pricedUsage == c.usage {
		return c.costMicro, c.costKnown
	}
	pricer := g.snapshot.Load().Pricer
	if pricer == nil {
		return 0, false
	}
	t := c.res.Target
	c.costMicro, c.costKnown = pricer.Cost(t.Provider, t.Adapter.Type(), t.Model, c.usage)
	c.pricedUsage = c.usage
	return c.costMicro, c.costKnown
}

// setCostHeader tells a non-streaming client what its request cost.
func (g *Gateway) setCostHeader(w http.ResponseWriter, c *call) {
	if micro, ok := g.cost(c); ok {
		w.Header().Set("X-Sluice-Cost-Usd", pricing.FormatUSD(micro))
	}
}

// setCostTrailer tells a streaming client what its request cost, in an HTTP trailer: the
// headers left with the first event, before the usage was known. Sent only when the provider
// reported usage; an estimate stays in the log.
func (g *Gateway) setCostTrailer(w http.ResponseWriter, c *call) {
	if micro, ok := g.cost(c); ok {
		w.Header().Set(http.TrailerPrefix+"X-Sluice-Cost-Usd", pricing.FormatUSD(micro))
	}
}

// record hands the call's log record to the recorder; it never blocks the request.
func (g *Gateway) record(w http.ResponseWriter, r *http.Request, c *call, err error) {
	if c != nil {
		defer c.text.release()
	}
	if g.recorder == nil || c == nil {
		return
	}
	if st := stateOf(r); st != nil {
		st.logged = true
	}
	p := principal(r)
	rec := store.RequestLog{
		ID: w.Header().Get("X-Request-Id"), At: c.start, KeyID: p.KeyID, UserID: p.UserID, TeamID: p.TeamID,
		ProjectID: p.ProjectID, Model: c.model, Route: c.res.Route, Attempts: c.res.Attempts, Fallback: c.res.Fallback,
		Status: http.StatusOK, LatencyMs: time.Since(c.start).Milliseconds(), Stream: c.stream, Metadata: c.meta,
		Guardrails: c.guardrailVerdicts(),
	}
	if t := c.res.Target; t != nil {
		rec.Provider, rec.UpstreamModel = t.Provider, t.Model
	}
	if c.stream && c.ttft > 0 {
		rec.TTFTMs = max(c.ttft.Milliseconds(), 1)
	}
	if err == nil {
		err = c.err
	}
	estimateUsage(w, c)
	rec.TokensEstimated = c.estimated
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		rec.Status, rec.ErrorType, rec.ErrorCode = 499, "client_closed", "client_closed_request"
	default:
		e := api.AsError(err)
		if c.err == nil { // a failure mid-stream keeps the 200 the client received
			rec.Status = e.Status
		}
		rec.ErrorType, rec.ErrorCode = e.Type, e.Code
	}
	if u := c.usage; u != nil {
		rec.PromptTokens, rec.CompletionTokens = int64(u.PromptTokens), int64(u.CompletionTokens)
		if d := u.PromptTokensDetails; d != nil {
			rec.CachedTokens, rec.CacheCreationTokens = int64(d.CachedTokens), int64(d.CacheCreationTokens)
		}
		if d := u.CompletionTokensDetails; d != nil {
			rec.ReasoningTokens = int64(d.ReasoningTokens)
		}
		rec.CostMicroUSD, _ = g.cost(c)
	}
	rec.Bodies = g.bodies(p, c)
	c.cache.record(&rec)
	if g.tracer != nil {
		g.tracer.Finish(r.Context(), &rec)
	}
	g.recorder.Record(rec)
}
