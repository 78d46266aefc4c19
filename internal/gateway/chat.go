package gateway

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/router"
)

// chat serves POST /v1/chat/completions.
func (g *Gateway) chat(w http.ResponseWriter, r *http.Request) (err error) {
	start := time.Now()
	snap := g.snapshot.Load()
	var req api.ChatRequest
	if err := decodeJSON(w, r, snap.MaxBodyBytes, &req); err != nil {
		return err
	}
	overrideModel(r, &req.Model)
	c := &call{start: start, model: req.Model, stream: req.Stream, req: &req}
	defer func() { g.record(w, r, c, err) }()
	if c.meta, err = metadata(r); err != nil {
		return err
	}
	c.meta = withUser(c.meta, req.User)
	route, ctx, cancel, err := g.prepareChat(w, r, snap.Routes, &req)
	if err != nil {
		return err
	}
	defer cancel()
	if err := g.admitRate(w, r, c, req.Model, chatTokens(&req)); err != nil {
		return err
	}
	defer g.settleRate(c)
	if err := g.inputGuardrails(ctx, w, r, snap, route, &req, c); err != nil {
		return err
	}
	if served, err := g.cacheLookup(ctx, w, r, snap.Routes, route, &req, c); served || err != nil {
		return err
	}
	if route, err = g.admitBudget(w, r, snap, route, c, chatEstimate(r, &req)); err != nil {
		return err
	}
	defer func() { g.settleBudget(c, err) }()
	if req.Stream {
		return g.relayStream(ctx, w, r, snap.Routes, route, &req, c)
	}
	resp, res, err := snap.Routes.Chat(ctx, route, &req)
	c.res = res
	setRoutingHeaders(w, res)
	if err != nil {
		return err
	}
	c.usage, c.resp = resp.Usage, resp
	if err := g.outputGuardrails(ctx, w, resp, c); err != nil {
		return err
	}
	g.setCostHeader(w, c)
	// Stored before the answer leaves: a client that repeats the request as soon as it has
	// the answer must find it cached.
	g.cacheStore(ctx, c, resp)
	return writeJSON(w, http.StatusOK, resp)
}

// prepareChat is the shared middle of every chat-shaped endpoint: validate, check access,
// apply the rules, resolve the route, and apply x-sluice-timeout.
func (g *Gateway) prepareChat(w http.ResponseWriter, r *http.Request, table *router.Table, req *api.ChatRequest) (*router.Route, context.Context, context.CancelFunc, error) {
	if err := req.Validate(); err != nil {
		return nil, nil, nil, api.NewError("invalid_request", err.Error(), err)
	}
	route, err := g.routeChat(w, r, table, req)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel, err := requestDeadline(r)
	if err != nil {
		return nil, nil, nil, err
	}
	return route, ctx, cancel, nil
}

// routeChat checks the caller may use the requested model, applies the routing rules and
// resolves the route.
func (g *Gateway) routeChat(w http.ResponseWriter, r *http.Request, table *router.Table, req *api.ChatRequest) (*router.Route, error) {
	who := principal(r)
	// Access is checked on the model the client asked for; rules are the operator's routing.
	if err := auth.Authorize(who, req.Model); err != nil {
		return nil, err
	}
	model, rule := table.Rewrite(req.Model, r.Header, router.Caller{Team: who.TeamName, KeyTags: who.Tags}, req)
	if rule != "" {
		w.Header().Set("X-Sluice-Rule", rule)
	}
	return table.Resolve(model)
}

// setRoutingHeaders tells the client which provider and model served it, and after how many
// attempts, so a misrouted request is visible without the logs.
func setRoutingHeaders(w http.ResponseWriter, res router.Result) {
	if res.Target == nil {
		return
	}
	h := w.Header()
	h.Set("X-Sluice-Provider", res.Target.Provider)
	h.Set("X-Sluice-Model", res.Target.Model)
	h.Set("X-Sluice-Route", res.Route)
	h.Set("X-Sluice-Attempts", strconv.Itoa(res.Attempts))
	if res.Fallback {
		h.Set("X-Sluice-Fallback", "true")
	}
}

// overrideModel applies the x-sluice-model header: operators switch an application to another
// model or route without touching its code or its request bodies.
func overrideModel(r *http.Request, model *string) {
	if m := r.Header.Get("X-Sluice-Model"); m != "" {
		*model = m
	}
}

// maxRequestTimeout caps x-sluice-timeout so a client cannot hold resources indefinitely.
const maxRequestTimeout = time.Hour

// requestDeadline applies the x-sluice-timeout header (a Go duration such as "30s", or
// seconds) as the request's total deadline across all attempts.
func requestDeadline(r *http.Request) (context.Context, context.CancelFunc, error) {
	v := r.Header.Get("X-Sluice-Timeout")
	if v == "" {
		return r.Context(), func() {}, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		secs, serr := strconv.ParseFloat(v, 64)
		if serr != nil {
			return nil, nil, api.Errorf("invalid_request", "x-sluice-timeout %q is not a duration (e.g. 30s) or a number of seconds", v)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d <= 0 || d > maxRequestTimeout {
		return nil, nil, api.Errorf("invalid_request", "x-sluice-timeout must be between 0 and %s", maxRequestTimeout)
	}
	ctx, cancel := context.WithTimeout(r.Context(), d)
	return ctx, cancel, nil
}
