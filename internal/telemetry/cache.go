package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicehq/sluice/internal/cache"
)

// WatchCache exposes the response cache's counters: consultations by result and the provider
// cost that hits saved.
func (m *Metrics) WatchCache(c *cache.Cache) {
	results := []struct {
		result string
		count  func(cache.Stats) uint64
	}{
		{cache.ResultHit, func(s cache.Stats) uint64 { return s.Hits }},
		{cache.ResultSemanticHit, func(s cache.Stats) uint64 { return s.SemanticHits }},
		{cache.ResultMiss, func(s cache.Stats) uint64 { return s.Misses }},
		{cache.ResultBypass, func(s cache.Stats) uint64 { return s.Bypasses }},
	}
	for _, r := range results {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_cache_requests_total",
			Help: "Chat requests by cache result (hit, semantic-hit, miss, bypass).", ConstLabels: prometheus.Labels{"result": r.result}},
			func() float64 { return float64(r.count(c.Stats())) }))
	}
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_cache_saved_usd_total",
		Help: "Provider cost, in US dollars, of the answers served from the cache."},
		func() float64 { return float64(c.Stats().SavedMicroUSD) / 1e6 }))
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_cache_errors_total",
		Help: "Cache backend or embedding failures, each served as a miss."},
		func() float64 { return float64(c.Stats().Errors) }))
}
