// Package telemetry exposes Sluice's Prometheus metrics: request counts, latency and time to
// first token, tokens and cost, by provider and route, and the request log's own health. It
// observes the same record the request log stores, so the two cannot disagree. Used by app.
package telemetry

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/usage"
)

// Metrics holds the collectors, registered on their own registry.
type Metrics struct {
	reg       *prometheus.Registry
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	ttft      *prometheus.HistogramVec
	tokens    *prometheus.CounterVec
	cost      *prometheus.CounterVec
	fallbacks *prometheus.CounterVec
	guards    *prometheus.CounterVec
	extra     extra
}

// latencyBuckets span a cached answer (ms) to a long generation (minutes).
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// New registers Sluice's metrics, the Go runtime's, and the request log's counters.
func New(rec *usage.Recorder) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	labels := []string{"provider", "route", "status"}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_requests_total",
		Help: "Requests by serving provider, route and HTTP status."}, labels)
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sluice_request_duration_seconds",
		Help: "Time from request to last byte, by provider and route.", Buckets: latencyBuckets}, []string{"provider", "route"})
	m.ttft = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "sluice_time_to_first_token_seconds",
		Help: "Streams: time from request to the first chunk sent to the client.", Buckets: latencyBuckets}, []string{"provider", "route"})
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_tokens_total",
		Help: "Tokens by provider, route and kind (prompt, completion, cached)."}, []string{"provider", "route", "kind"})
	m.cost = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_cost_usd_total",
		Help: "Cost of priced requests in US dollars."}, []string{"provider", "route"})
	m.fallbacks = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_fallbacks_total",
		Help: "Requests served after a failed attempt."}, []string{"provider", "route"})
	m.guards = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "sluice_guardrail_verdicts_total",
		Help: "Guardrail rules that fired, by rule, action (block, redact, flag) and stage (input, output)."}, []string{"rule", "action", "stage"})
	m.reg.MustRegister(m.requests, m.latency, m.ttft, m.tokens, m.cost, m.fallbacks, m.guards,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.registerExtra(rec)
	if rec != nil {
		stat := func(name, help string, f func(usage.Stats) uint64) {
			m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help},
				func() float64 { return float64(f(rec.Stats())) }))
		}
		stat("sluice_request_log_recorded_total", "Records accepted by the request log queue.", func(s usage.Stats) uint64 { return s.Recorded })
		stat("sluice_request_log_dropped_total", "Records dropped because the request log queue was full.", func(s usage.Stats) uint64 { return s.Dropped })
		stat("sluice_request_log_written_total", "Records written to the store.", func(s usage.Stats) uint64 { return s.Written })
		stat("sluice_request_log_failed_total", "Records whose batch could not be written.", func(s usage.Stats) uint64 { return s.Failed })
	}
	return m
}

// Handler serves the metrics in Prometheus's exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Register mounts GET /metrics.
func (m *Metrics) Register(mux *http.ServeMux) { mux.Handle("GET /metrics", m.Handler()) }

// Observe counts one finished request.
func (m *Metrics) Observe(r *store.RequestLog) {
	provider, route := r.Provider, routeLabel(r.Route)
	if provider == "" {
		provider = "none" // refused before routing: auth, validation, unknown model
	}
	m.requests.WithLabelValues(provider, route, strconv.Itoa(r.Status)).Inc()
	m.latency.WithLabelValues(provider, route).Observe(float64(r.LatencyMs) / 1000)
	if r.Stream && r.TTFTMs > 0 {
		m.ttft.WithLabelValues(provider, route).Observe(float64(r.TTFTMs) / 1000)
	}
	if r.PromptTokens > 0 || r.CompletionTokens > 0 {
		m.tokens.WithLabelValues(provider, route, "prompt").Add(float64(r.PromptTokens))
		m.tokens.WithLabelValues(provider, route, "completion").Add(float64(r.CompletionTokens))
		m.tokens.WithLabelValues(provider, route, "cached").Add(float64(r.CachedTokens))
	}
	if r.CostMicroUSD > 0 {
		m.cost.WithLabelValues(provider, route).Add(float64(r.CostMicroUSD) / 1e6)
	}
	if r.Fallback {
		m.fallbacks.WithLabelValues(provider, route).Inc()
	}
	// Rule names come from configuration, so the labels stay bounded.
	for _, v := range r.Guardrails {
		m.guards.WithLabelValues(v.Rule, v.Action, v.Stage).Add(float64(v.Count))
	}
	m.observeExtra(r, provider, route)
}

// routeLabel keeps label values bounded: configured model names are, but provider/model
// requests name any model a client makes up, so they share one value.
func routeLabel(route string) string {
	switch {
	case route == "":
		return "none"
	case strings.Contains(route, "/"):
		return "direct"
	}
	return route
}

// Recorder observes each record for the metrics, then hands it to the request log.
type Recorder struct {
	Metrics *Metrics
	Next    interface{ Record(store.RequestLog) bool }
}

// Record implements the gateway's Recorder.
func (t Recorder) Record(r store.RequestLog) bool {
	t.Metrics.Observe(&r)
	return t.Next.Record(r)
}
