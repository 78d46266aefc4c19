package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicehq/sluice/internal/cache"
)

// WatchCache exposes the response cache's own counters: the provider cost that hits saved and
// backend failures. Requests by cache result are counted from the request record
// (sluice_cache_requests_total), like every other per-request metric.
func (m *Metrics) WatchCache(c *cache.Cache) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_cache_saved_usd_total",
		Help: "Provider cost, in US dollars, of the answers served from the cache."},
		func() float64 { return float64(c.Stats().SavedMicroUSD) / 1e6 }))
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_cache_errors_total",
		Help: "Cache backend or embedding failures, each served as a miss."},
		func() float64 { return float64(c.Stats().Errors) }))
}
