package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/cache"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/pricing"
	"github.com/sluicehq/sluice/internal/router"
	"github.com/sluicehq/sluice/internal/store"
)

// WithCache answers repeated chat completions from c.
func WithCache(c *cache.Cache) Option { return func(g *Gateway) { g.cache = c } }

// cacheCall is what one request does with the cache: its key, whether it may read and write,
// and, after a hit, the entry that answered it.
type cacheCall struct {
	result    string // x-sluice-cache
	ns, key   string
	route     string    // the route name, for the log of a hit
	scope     string    // semantic: the request without its last message
	vec       []float32 // semantic: the normalized embedding of the last user message
	ttl       time.Duration
	store     bool
	entry     *cache.Entry
	collector *cache.Collector // a stream being assembled for storage
}

// cacheNamespace is the tenant whose answers a caller may see: its team, else its key, else
// its user, else its kind (the master key, anonymous callers). Keys of one team share answers;
// nothing is shared across teams.
func cacheNamespace(p *auth.Principal) string {
	switch {
	case p.TeamID != "":
		return "team:" + p.TeamID
	case p.KeyID != "":
		return "key:" + p.KeyID
	case p.UserID != "":
		return "user:" + p.UserID
	}
	return "kind:" + string(p.Kind)
}

// cacheLookup consults the cache before the upstream call and answers the request itself on
// a hit (served is true). On a miss it prepares c to store the answer.
func (g *Gateway) cacheLookup(ctx context.Context, w http.ResponseWriter, r *http.Request, table *router.Table, route *router.Route, req *api.ChatRequest, c *call) (served bool, err error) {
	cc := g.cache
	if cc == nil {
		return false, nil
	}
	lookup, store, ttl, err := cachePolicy(r, cc)
	if err != nil {
		return false, err
	}
	call := &cacheCall{result: cache.ResultMiss, ttl: ttl, store: store}
	c.cache = call
	if (!lookup && !store) || cc.Excluded(route.Name) {
		return false, g.cacheBypass(w, call)
	}
	call.ns, call.route = cacheNamespace(principal(r)), route.Name
	if call.key, err = cache.Key(call.ns, route.Name, req); err != nil {
		g.log.LogAttrs(ctx, slog.LevelWarn, "cache key", slog.Any("err", err))
		return false, g.cacheBypass(w, call)
	}
	if lookup {
		if e := g.cacheGet(ctx, call.key); e != nil {
			return true, g.serveCached(w, r, route, req, c, e, cache.ResultHit)
		}
	}
	if cc.Index != nil {
		g.prepareSemantic(ctx, table, route, req, call)
		if lookup && call.vec != nil {
			if key, _, ok := cc.Index.Lookup(call.ns, call.scope, call.vec); ok {
				if e := g.cacheGet(ctx, key); e != nil {
					return true, g.serveCached(w, r, route, req, c, e, cache.ResultSemanticHit)
				}
			}
		}
	}
	cc.Count(cache.ResultMiss, 0)
	w.Header().Set("X-Sluice-Cache", cache.ResultMiss)
	if req.Stream && store {
		call.collector = cache.NewCollector(cc.MaxEntryBytes)
	}
	return false, nil
}

func (g *Gateway) cacheBypass(w http.ResponseWriter, call *cacheCall) error {
	call.result, call.store = cache.ResultBypass, false
	g.cache.Count(cache.ResultBypass, 0)
	w.Header().Set("X-Sluice-Cache", cache.ResultBypass)
	return nil
}

// cachePolicy reads the request's cache headers: cache-control no-cache (do not read, do
// store) and no-store (neither), and x-sluice-cache-ttl (a duration or seconds, at most the
// configured max_ttl).
func cachePolicy(r *http.Request, cc *cache.Cache) (lookup, store bool, ttl time.Duration, err error) {
	lookup, store, ttl = true, true, cc.TTL
	for _, v := range r.Header.Values("Cache-Control") {
		for d := range strings.SplitSeq(v, ",") {
			switch strings.ToLower(strings.TrimSpace(d)) {
			case "no-cache":
				lookup = false
			case "no-store":
				lookup, store = false, false
			}
		}
	}
	if v := r.Header.Get("X-Sluice-Cache-Ttl"); v != "" {
		d, perr := time.ParseDuration(v)
		if perr != nil {
			secs, serr := strconv.ParseInt(v, 10, 64)
			if serr != nil {
				return false, false, 0, api.Errorf("invalid_request", "x-sluice-cache-ttl %q is not a duration (e.g. 10m) or a number of seconds", v)
			}
			d = time.Duration(secs) * time.Second
		}
		if d <= 0 || d > cc.MaxTTL {
			return false, false, 0, api.Errorf("invalid_request", "x-sluice-cache-ttl must be between 1s and %s", cc.MaxTTL)
		}
		ttl = d
	}
	return lookup, store, ttl, nil
}

// cacheGet returns the entry under key, nil on a miss. A backend failure is a miss: the
// cache must never fail a request a provider could answer.
func (g *Gateway) cacheGet(ctx context.Context, key string) *cache.Entry {
	b, err := g.cache.Backend.Get(ctx, key)
	if err == nil && b == nil {
		return nil
	}
	var e *cache.Entry
	if err == nil {
		e, err = cache.DecodeEntry(b)
	}
	if err != nil {
		g.cache.Failed()
		g.log.LogAttrs(ctx, slog.LevelWarn, "cache read failed", slog.Any("err", err))
		return nil
	}
	return e
}

// serveCached answers from an entry, as JSON or as a replayed stream. The request costs
// nothing; what the answer cost when it was produced is reported as saved.
func (g *Gateway) serveCached(w http.ResponseWriter, r *http.Request, route *router.Route, req *api.ChatRequest, c *call, e *cache.Entry, result string) error {
	c.cache.result, c.cache.entry, c.cache.store = result, e, false
	g.cache.Count(result, e.CostMicroUSD)
	h := w.Header()
	h.Set("X-Sluice-Cache", result)
	h.Set("X-Sluice-Cost-Usd", pricing.FormatUSD(0))
	if e.CostMicroUSD > 0 {
		h.Set("X-Sluice-Cache-Saved-Usd", pricing.FormatUSD(e.CostMicroUSD))
	}
	h.Set("X-Sluice-Route", route.Name)
	h.Set("X-Sluice-Attempts", "0")
	if !req.Stream {
		return writeJSON(w, http.StatusOK, e.Response)
	}
	rc := startSSE(w)
	bufp := chunkBufPool.Get().(*[]byte)
	defer chunkBufPool.Put(bufp)
	err := cache.Replay(e.Response, req.WantsUsage(), func(ch *api.ChatChunk) error {
		buf := append((*bufp)[:0], "data: "...)
		buf, err := jsonx.AppendMarshal(buf, ch)
		if err != nil {
			return err
		}
		buf = append(buf, '\n', '\n')
		*bufp = buf
		if !c.send(w, rc, buf) {
			return context.Canceled
		}
		return nil
	})
	if err != nil {
		if c.failed(r, err) {
			g.writeStreamError(w, rc, r, err)
		}
		return nil
	}
	c.send(w, rc, doneEvent)
	return nil
}

// prepareSemantic embeds the request's last message, when it is the user's, for a semantic
// lookup and for storing under it later. Failures leave the request without a semantic cache.
func (g *Gateway) prepareSemantic(ctx context.Context, table *router.Table, route *router.Route, req *api.ChatRequest, call *cacheCall) {
	last := &req.Messages[len(req.Messages)-1]
	if last.Role != "user" {
		return
	}
	text := last.Content.String()
	if text == "" {
		return
	}
	scope, err := cache.Scope(call.ns, route.Name, req)
	if err == nil {
		call.vec, err = g.embed(ctx, table, text)
	}
	if err != nil {
		g.cache.Failed()
		g.log.LogAttrs(ctx, slog.LevelWarn, "semantic cache: embedding failed", slog.Any("err", err))
		call.vec = nil
		return
	}
	call.scope = scope
}

// embed returns the normalized embedding of text from the configured embeddings model,
// through the gateway's own routes (retries, fallbacks and credentials included).
func (g *Gateway) embed(ctx context.Context, table *router.Table, text string) ([]float32, error) {
	model := g.cache.SemanticModel
	route, err := table.Resolve(model)
	if err != nil {
		return nil, err
	}
	input, err := jsonx.Marshal(text)
	if err != nil {
		return nil, err
	}
	resp, _, err := table.Embeddings(ctx, route, &api.EmbeddingsRequest{Model: model, Input: input})
	if err != nil {
		return nil, err
	}
	if len(resp.Data) == 0 {
		return nil, api.Errorf("upstream_error", "embeddings model %q returned no vector", model)
	}
	var vec []float32
	if err := jsonx.Unmarshal(resp.Data[0].Embedding, &vec); err != nil {
		return nil, api.NewError("upstream_error", "embeddings model returned an unreadable vector", err)
	}
	if !cache.Normalize(vec) {
		return nil, api.Errorf("upstream_error", "embeddings model %q returned a zero vector", model)
	}
	return vec, nil
}

// collect feeds a relayed chunk to the stream's collector.
func (cc *cacheCall) collect(ch *api.ChatChunk) {
	if cc != nil && cc.collector != nil {
		cc.collector.Add(ch)
	}
}

// cacheStream stores a stream that completed, assembled as a non-streaming answer.
func (g *Gateway) cacheStream(ctx context.Context, c *call) {
	if cc := c.cache; cc != nil && cc.collector != nil {
		if resp := cc.collector.Response(); resp != nil {
			g.cacheStore(ctx, c, resp)
		}
	}
}

// cacheStore keeps a successful answer for later requests: under its key, and under its
// embedding in the semantic index.
func (g *Gateway) cacheStore(ctx context.Context, c *call, resp *api.ChatResponse) {
	cc := c.cache
	if cc == nil || !cc.store || cc.key == "" || c.res.Target == nil {
		return
	}
	// The client may leave once it has the answer; storing it is still worth finishing.
	ctx = context.WithoutCancel(ctx)
	cost, _ := g.cost(c)
	e := cache.Entry{Response: resp, Provider: c.res.Target.Provider, Model: c.res.Target.Model, CostMicroUSD: cost}
	b, err := e.Encode()
	if err == nil && len(b) > g.cache.MaxEntryBytes {
		return
	}
	if err == nil {
		err = g.cache.Backend.Set(ctx, cc.key, b, cc.ttl)
	}
	if err != nil {
		g.cache.Failed()
		g.log.LogAttrs(ctx, slog.LevelWarn, "cache write failed", slog.Any("err", err))
		return
	}
	if cc.vec != nil {
		g.cache.Index.Add(cc.ns, cc.scope, cc.key, cc.vec, cc.ttl)
	}
}

// record adds the cache's part to the request's log record: the result and, for an answer
// served from the cache, "cache" as its provider, the route, and no tokens or cost.
func (cc *cacheCall) record(rec *store.RequestLog) {
	if cc == nil {
		return
	}
	rec.CacheResult = cc.result
	if cc.entry != nil {
		rec.Provider, rec.UpstreamModel, rec.Route, rec.Attempts = "cache", cc.entry.Model, cc.route, 0
	}
}
