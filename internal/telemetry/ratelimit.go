package telemetry

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluicehq/sluice/internal/ratelimit"
)

// WatchRateLimits exports the limiter's refusals as sluice_rate_limited_total{scope}, read
// from its own counters at scrape time so the request path pays nothing for the metric.
func (m *Metrics) WatchRateLimits(l *ratelimit.Limiter) {
	for _, s := range ratelimit.Scopes {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_rate_limited_total",
			Help:        "Requests refused by Sluice's own rate limits, by the scope whose limit refused.",
			ConstLabels: prometheus.Labels{"scope": s.String()}},
			func() float64 { return float64(l.Rejected(s)) }))
	}
}
