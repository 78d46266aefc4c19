// Package gateway is the request path of the public API: one file per endpoint. Each handler
// reads top to bottom — decode, resolve, send through the router, write — and returns an
// error that one wrapper renders in OpenAI's shape. Used by server; imports router and api.
package gateway

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync/atomic"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/cache"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/ratelimit"
	"github.com/sluicehq/sluice/internal/router"
)

// Snapshot is everything a request needs from configuration, swapped whole on reload.
type Snapshot struct {
	Routes       *router.Table
	MaxBodyBytes int64
	// MaxUploadBytes caps multipart uploads (audio transcriptions); zero means the default.
	MaxUploadBytes int64
	// Pricer prices requests; nil means no cost header and no cost in the log.
	Pricer Pricer
	// RateLimits are the configured limits; nil means only keys' own rpm and tpm.
	RateLimits *ratelimit.Policy
	// Guardrails is content policy; nil means none.
	Guardrails *guardrail.Engine
}

// Gateway serves the OpenAI-compatible API.
type Gateway struct {
	snapshot atomic.Pointer[Snapshot]
	auth     Authenticator
	recorder Recorder           // nil: no request log
	limiter  *ratelimit.Limiter // nil: no rate limits
	stored   responseKeeper
	tracer   Tracer // nil: no spans, no trace ids
	log      *slog.Logger

	cache *cache.Cache // nil: no response cache
	// budgets is nil without budgets; prices caches routes' prices for their estimates.
	budgets *budget.Ledger
	prices  routePrices

	bodyLog bodyLogging // which prompts and answers the request log keeps (bodies.go)

	batches batchAPI // /v1/files and /v1/batches (files.go, batches.go); off without a store
}

// Authenticator tells who a request acts for; *auth.Authenticator in production.
type Authenticator interface {
	Authenticate(r *http.Request) (*auth.Principal, error)
}

// open lets every request in as anonymous; the gateway's default until WithAuth.
type open struct{}

func (open) Authenticate(*http.Request) (*auth.Principal, error) {
	return &auth.Principal{Kind: auth.KindAnonymous}, nil
}

// Option configures a Gateway.
type Option func(*Gateway)

// WithAuth makes every API request authenticate through a.
func WithAuth(a Authenticator) Option { return func(g *Gateway) { g.auth = a } }

// New returns a Gateway serving snap.
func New(snap *Snapshot, log *slog.Logger, opts ...Option) *Gateway {
	g := &Gateway{log: log, auth: open{}}
	for _, o := range opts {
		o(g)
	}
	g.snapshot.Store(snap)
	return g
}

// Swap installs a new snapshot for requests that start from now on and returns the old one;
// requests in flight finish on the snapshot they started with.
func (g *Gateway) Swap(snap *Snapshot) *Snapshot { return g.snapshot.Swap(snap) }

// Snapshot returns the snapshot in force.
func (g *Gateway) Snapshot() *Snapshot { return g.snapshot.Load() }

// Register adds the public API's routes to mux.
func (g *Gateway) Register(mux *http.ServeMux) {
	mux.Handle("POST /v1/chat/completions", g.handle(g.authenticated(g.chat)))
	mux.Handle("POST /v1/messages", g.handleWith(g.authenticated(g.messages), writeAnthropicError))
	mux.Handle("POST /v1/messages/count_tokens", g.handleWith(g.authenticated(g.messagesCountTokens), writeAnthropicError))
	mux.Handle("POST /v1beta/models/{target...}", g.handleWith(geminiKey(g.authenticated(g.gemini)), writeGeminiError))
	g.registerResponses(mux)
	g.registerBatches(mux)
	mux.Handle("POST /v1/embeddings", g.handle(g.authenticated(g.embeddings)))
	mux.Handle("POST /v1/images/generations", g.handle(g.authenticated(g.images)))
	mux.Handle("POST /v1/audio/transcriptions", g.handle(g.authenticated(g.transcription)))
	mux.Handle("POST /v1/audio/speech", g.handle(g.authenticated(g.speech)))
	mux.Handle("GET /v1/models", g.handle(g.authenticated(g.listModels)))
	mux.Handle("GET /v1/models/{id...}", g.handle(g.authenticated(g.getModel)))
	for _, path := range []string{"/v1/chat/completions", "/v1/embeddings", "/v1/images/generations",
		"/v1/audio/transcriptions", "/v1/audio/speech", "/v1/models"} {
		mux.Handle(path, g.handle(methodNotAllowed))
	}
	mux.Handle("/", g.handle(notFound))
}

type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type principalKey struct{}

// authenticated runs h with the caller's principal in the request context.
func (g *Gateway) authenticated(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		p, err := g.auth.Authenticate(r)
		if err != nil {
			return err
		}
		if st := stateOf(r); st != nil {
			st.p = p
		}
		return h(w, r.WithContext(withQuotaPriority(context.WithValue(r.Context(), principalKey{}, p), p)))
	}
}

// principal returns the caller; anonymous outside an authenticated handler.
func principal(r *http.Request) *auth.Principal {
	if p, ok := r.Context().Value(principalKey{}).(*auth.Principal); ok {
		return p
	}
	return &auth.Principal{Kind: auth.KindAnonymous}
}

// prepared is a decoded request ready to send: the snapshot it started on, its route, and its
// deadline (cancel when the response is done).
type prepared struct {
	snap   *Snapshot
	route  *router.Route
	ctx    context.Context
	cancel context.CancelFunc
}

// prepareJSON is the common front of the JSON endpoints: decode within the size limit, apply
// x-sluice-model, validate, check access, resolve the route, apply x-sluice-timeout.
func (g *Gateway) prepareJSON(w http.ResponseWriter, r *http.Request, req interface{ Validate() error }, model *string) (prepared, error) {
	snap := g.snapshot.Load()
	if err := decodeJSON(w, r, snap.MaxBodyBytes, req); err != nil {
		return prepared{}, err
	}
	overrideModel(r, model)
	if err := req.Validate(); err != nil {
		return prepared{}, api.NewError("invalid_request", err.Error(), err)
	}
	route, err := g.resolve(r, snap.Routes, *model)
	if err != nil {
		return prepared{}, err
	}
	ctx, cancel, err := requestDeadline(r)
	if err != nil {
		return prepared{}, err
	}
	return prepared{snap: snap, route: route, ctx: ctx, cancel: cancel}, nil
}

// resolve checks the caller may use model, then finds its route.
func (g *Gateway) resolve(r *http.Request, table *router.Table, model string) (*router.Route, error) {
	if err := auth.Authorize(principal(r), model); err != nil {
		return nil, err
	}
	return table.Resolve(model)
}

// handle renders a handler's error in OpenAI's shape. A client that went away gets nothing:
// there is nobody to tell, and its cancellation already stopped the upstream request.
func (g *Gateway) handle(h handlerFunc) http.Handler { return g.handleWith(h, writeError) }

// handleWith is handle with another error shape, for endpoints that speak another API.
func (g *Gateway) handleWith(h handlerFunc, render func(http.ResponseWriter, *api.Error)) http.Handler {
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Request-Id", newRequestID())
		r, st := g.withState(r)
		err := h(w, r)
		g.recordUnlogged(w, r, st, err)
		if err == nil {
			return
		}
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			return
		}
		e := api.AsError(err)
		if e.Status >= 500 {
			g.log.LogAttrs(r.Context(), slog.LevelWarn, "request failed",
				slog.String("path", r.URL.Path), slog.String("code", e.Code), slog.Any("err", e.Err))
		}
		render(w, e)
	})
	if g.tracer != nil {
		return g.tracer.Middleware(handler)
	}
	return handler
}

func writeError(w http.ResponseWriter, e *api.Error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	setRetryAfter(w, e)
	body := e.AppendJSON(make([]byte, 0, 256))
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(e.Status)
	_, _ = w.Write(body)
}

// setRetryAfter tells a client refused for a while (rate limits, budgets, upstream quota) when
// to come back, in whole seconds, whatever the error's shape.
func setRetryAfter(w http.ResponseWriter, e *api.Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(e.RetryAfter.Seconds()+0.5))))
	}
}

func methodNotAllowed(w http.ResponseWriter, r *http.Request) error {
	return api.Errorf("method_not_allowed", "%s is not allowed on %s", r.Method, r.URL.Path)
}

func notFound(w http.ResponseWriter, r *http.Request) error {
	return api.Errorf("not_found", "no endpoint %s %s", r.Method, r.URL.Path)
}

const hexDigits = "0123456789abcdef"

// newRequestID returns a random 16-hex-digit id; rand/v2's source is lock-free per thread.
func newRequestID() string {
	var b [20]byte
	copy(b[:], "req_")
	n := rand.Uint64()
	for i := 19; i >= 4; i-- {
		b[i] = hexDigits[n&0xf]
		n >>= 4
	}
	return string(b[:])
}
