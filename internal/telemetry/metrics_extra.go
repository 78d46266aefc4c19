package telemetry

import (
	"context"
	"net/http"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/usage"
)

// extra are the collectors added with tracing: errors by code, upstream responses by
// status, cache results, requests in flight and the request log queue's depth.
type extra struct {
	errors   *prometheus.CounterVec
	upstream *prometheus.CounterVec
	cache    *prometheus.CounterVec
	inFlight prometheus.Gauge
	// By team: team ids come from the store, so the label is bounded by the teams an
	// administrator creates; requests of no team count under "".
	teamRequests, teamTokens, teamCost *prometheus.CounterVec
}

func (m *Metrics) registerExtra(rec *usage.Recorder) {
	m.extra.errors = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_errors_total",
		Help: "Failed requests by serving provider, route and error code (the README's error table)."},
		[]string{"provider", "route", "code"})
	m.extra.upstream = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_upstream_responses_total",
		Help: "Upstream HTTP attempts by provider account and status code; status \"error\" when no response came."},
		[]string{"provider", "status"})
	m.extra.cache = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_cache_requests_total",
		Help: "Chat requests by response-cache result (hit, semantic-hit, miss, bypass)."}, []string{"result"})
	m.extra.inFlight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "sluice_requests_in_flight",
		Help: "API requests being served, streams included."})
	m.extra.teamRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_team_requests_total",
		Help: "API requests by the caller's team id and status class (2xx, 4xx, 5xx)."}, []string{"team", "class"})
	m.extra.teamTokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_team_tokens_total",
		Help: "Prompt and completion tokens by the caller's team id."}, []string{"team", "kind"})
	m.extra.teamCost = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_team_cost_usd_total",
		Help: "Cost of priced requests in US dollars by the caller's team id."}, []string{"team"})
	m.reg.MustRegister(m.extra.errors, m.extra.upstream, m.extra.cache, m.extra.inFlight,
		m.extra.teamRequests, m.extra.teamTokens, m.extra.teamCost)
	if rec != nil {
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sluice_request_log_queue_depth",
			Help: "Records waiting for the request log writer."}, func() float64 { return float64(rec.Depth()) }))
	}
}

func (m *Metrics) observeExtra(r *store.RequestLog, provider, route string) {
	m.extra.teamRequests.WithLabelValues(r.TeamID, statusClass(r.Status)).Inc()
	if r.PromptTokens > 0 || r.CompletionTokens > 0 {
		m.extra.teamTokens.WithLabelValues(r.TeamID, "prompt").Add(float64(r.PromptTokens))
		m.extra.teamTokens.WithLabelValues(r.TeamID, "completion").Add(float64(r.CompletionTokens))
	}
	if r.CostMicroUSD > 0 {
		m.extra.teamCost.WithLabelValues(r.TeamID).Add(float64(r.CostMicroUSD) / 1e6)
	}
	if r.ErrorCode != "" {
		m.extra.errors.WithLabelValues(provider, route, r.ErrorCode).Inc()
	}
	switch r.CacheResult {
	case "":
	case "hit", "semantic-hit", "miss", "bypass":
		m.extra.cache.WithLabelValues(r.CacheResult).Inc()
	default:
		m.extra.cache.WithLabelValues("other").Inc()
	}
}

// InFlight counts h's requests while they are served.
func (m *Metrics) InFlight(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.extra.inFlight.Inc()
		defer m.extra.inFlight.Dec()
		h.ServeHTTP(w, r)
	})
}

// Transport counts one provider account's upstream responses by status code. provider
// names a configured account, so the label is bounded; so are status codes.
func (m *Metrics) Transport(provider, _ string, rt http.RoundTripper) http.RoundTripper {
	return &countingTransport{next: rt, byStatus: m.extra.upstream.MustCurryWith(prometheus.Labels{"provider": provider})}
}

type countingTransport struct {
	next     http.RoundTripper
	byStatus *prometheus.CounterVec
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(req)
	status := "error"
	if err == nil {
		status = strconv.Itoa(resp.StatusCode)
	}
	c.byStatus.WithLabelValues(status).Inc()
	return resp, err
}

// Instrumentation is the gateway's per-request hook: requests in flight, and spans.
type Instrumentation struct {
	Metrics *Metrics
	Tracing *Tracing
}

// Middleware implements gateway.Tracer.
func (i Instrumentation) Middleware(h http.Handler) http.Handler {
	return i.Metrics.InFlight(i.Tracing.Middleware(h))
}

// Finish implements gateway.Tracer.
func (i Instrumentation) Finish(ctx context.Context, rec *store.RequestLog) {
	i.Tracing.Finish(ctx, rec)
}

// statusClass keeps the team series few: a status class, not every code.
func statusClass(status int) string {
	switch {
	case status >= 500:
		return "5xx"
	case status >= 400:
		return "4xx"
	default:
		return "2xx"
	}
}
