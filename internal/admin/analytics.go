package admin

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/store"
)

// usageRow is one group of GET /admin/v1/analytics/usage.
type usageRow struct {
	Bucket           *time.Time        `json:"bucket,omitempty"`
	Group            map[string]string `json:"group,omitempty"`
	Requests         int64             `json:"requests"`
	Errors           int64             `json:"errors"`
	ErrorRate        float64           `json:"error_rate"`
	PromptTokens     int64             `json:"prompt_tokens"`
	CompletionTokens int64             `json:"completion_tokens"`
	CachedTokens     int64             `json:"cached_tokens"`
	CostMicroUSD     int64             `json:"cost_micro_usd"`
	AvgLatencyMs     float64           `json:"avg_latency_ms"`
}

// latencyRow is one model of GET /admin/v1/analytics/latency.
type latencyRow struct {
	Model      string `json:"model"`
	Requests   int64  `json:"requests"`
	LatencyP50 int64  `json:"latency_ms_p50"`
	LatencyP90 int64  `json:"latency_ms_p90"`
	LatencyP99 int64  `json:"latency_ms_p99"`
	Streams    int64  `json:"streams"`
	TTFTP50    int64  `json:"ttft_ms_p50,omitzero"`
	TTFTP90    int64  `json:"ttft_ms_p90,omitzero"`
	TTFTP99    int64  `json:"ttft_ms_p99,omitzero"`
}

type listOf[T any] struct {
	Object string `json:"object"`
	// Source says what answered: "rollup" (hourly rollups; percentiles are estimates) or
	// "log" (the raw request log).
	Source string `json:"source,omitempty"`
	Data   []T    `json:"data"`
}

// analyticsFilter is logFilter, with from/to as aliases of since/until and metadata.<tag>=v
// filters.
func analyticsFilter(r *http.Request, p *auth.Principal) (store.RequestLogFilter, error) {
	q := r.URL.Query()
	for alias, name := range map[string]string{"from": "since", "to": "until"} {
		if v := q.Get(alias); v != "" && q.Get(name) == "" {
			q.Set(name, v)
		}
	}
	r.URL.RawQuery = q.Encode()
	return logFilter(r, p)
}

func (a *API) analyticsUsage(r *http.Request, p *auth.Principal) (int, any, error) {
	f, err := analyticsFilter(r, p)
	if err != nil {
		return 0, nil, err
	}
	q := r.URL.Query()
	aq := store.AnalyticsQuery{Filter: f, Bucket: q.Get("bucket"), OrderBy: q.Get("order_by"), Source: q.Get("source")}
	if g := q.Get("group_by"); g != "" {
		aq.GroupBy = strings.Split(g, ",")
	}
	if v := q.Get("top"); v != "" {
		if aq.Limit, err = strconv.Atoi(v); err != nil || aq.Limit < 1 {
			return 0, nil, api.Errorf("invalid_request", "top must be a positive number")
		}
	}
	res, err := a.store.AnalyzeUsage(r.Context(), aq)
	if err != nil {
		return 0, nil, err
	}
	out := listOf[usageRow]{Object: "list", Source: res.Source, Data: make([]usageRow, 0, len(res.Rows))}
	for _, row := range res.Rows {
		u := usageRow{Requests: row.Requests, Errors: row.Errors, PromptTokens: row.PromptTokens,
			CompletionTokens: row.CompletionTokens, CachedTokens: row.CachedTokens, CostMicroUSD: row.CostMicroUSD}
		if row.Requests > 0 {
			u.ErrorRate = float64(row.Errors) / float64(row.Requests)
			u.AvgLatencyMs = float64(row.LatencyMsTotal) / float64(row.Requests)
		}
		if aq.Bucket != "" {
			b := row.Bucket
			u.Bucket = &b
		}
		if len(row.Group) > 0 {
			u.Group = make(map[string]string, len(row.Group))
			for i, d := range aq.GroupBy {
				u.Group[d] = row.Group[i]
			}
		}
		out.Data = append(out.Data, u)
	}
	return http.StatusOK, out, nil
}

func (a *API) analyticsLatency(r *http.Request, p *auth.Principal) (int, any, error) {
	f, err := analyticsFilter(r, p)
	if err != nil {
		return 0, nil, err
	}
	res, err := a.store.AnalyzeLatency(r.Context(), store.LatencyQuery{Filter: f, Source: r.URL.Query().Get("source")})
	if err != nil {
		return 0, nil, err
	}
	out := listOf[latencyRow]{Object: "list", Source: res.Source, Data: make([]latencyRow, 0, len(res.Models))}
	for _, m := range res.Models {
		out.Data = append(out.Data, latencyRow{Model: m.Model, Requests: m.Requests, LatencyP50: m.LatencyP50,
			LatencyP90: m.LatencyP90, LatencyP99: m.LatencyP99, Streams: m.Streams, TTFTP50: m.TTFTP50,
			TTFTP90: m.TTFTP90, TTFTP99: m.TTFTP99})
	}
	return http.StatusOK, out, nil
}

// metadataFilter reads metadata.<tag>=value query parameters.
func metadataFilter(q map[string][]string, f *store.RequestLogFilter) error {
	for k, v := range q {
		tag, ok := strings.CutPrefix(k, store.DimMetadataPrefix)
		if !ok || len(v) == 0 {
			continue
		}
		if !store.ValidMetadataTag(tag) {
			return api.Errorf("invalid_request", "metadata tag %q must be 1 to 64 letters, digits, '_', '-' or '.'", tag)
		}
		if f.Metadata == nil {
			f.Metadata = map[string]string{}
		}
		f.Metadata[tag] = v[0]
	}
	return nil
}

// rollupRebuild is the answer of POST /admin/v1/analytics/rollups/rebuild.
type rollupRebuild struct {
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Rows        int64     `json:"rows"`
	CoveredFrom time.Time `json:"covered_from"`
}

// rebuildRollups recomputes the rollups of ?from= to ?to= (RFC 3339, rounded out to whole
// hours) from the request log. Admins only: it rewrites every team's figures.
func (a *API) rebuildRollups(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	var out rollupRebuild
	for name, t := range map[string]*time.Time{"from": &out.From, "to": &out.To} {
		v := r.URL.Query().Get(name)
		if v == "" {
			return 0, nil, api.Errorf("invalid_request", "%s is required (RFC 3339)", name)
		}
		var err error
		if *t, err = time.Parse(time.RFC3339, v); err != nil {
			return 0, nil, api.Errorf("invalid_request", "%s must be an RFC 3339 time, not %q", name, v)
		}
	}
	n, err := a.store.RebuildRollups(r.Context(), out.From, out.To)
	if err != nil {
		return 0, nil, err
	}
	out.Rows = n
	if out.CoveredFrom, err = a.store.RollupCoverage(r.Context()); err != nil {
		return 0, nil, err
	}
	if err := a.audit(r, p, "rollups.rebuild", "rollups", "", nil, out); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, out, nil
}
