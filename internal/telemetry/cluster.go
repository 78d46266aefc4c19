package telemetry

import "github.com/prometheus/client_golang/prometheus"

// ClusterStats are the NATS control plane's state and counters.
type ClusterStats struct {
	Connected           bool
	Published, Received uint64
	// NotSent are messages dropped because NATS was unreachable or refused them; QueueFull
	// are spend and rate-limit notices dropped because a broadcast queue was full.
	NotSent, QueueFull uint64
}

// WatchCluster exports the control plane's state, read at scrape time.
func (m *Metrics) WatchCluster(stats func() ClusterStats) {
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sluice_cluster_connected",
		Help: "1 while this node is connected to the NATS control plane, else 0 (it then converges by polling the store)."},
		func() float64 {
			if stats().Connected {
				return 1
			}
			return 0
		}))
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_cluster_messages_published_total",
		Help: "Control-plane messages (change notices, spend and rate-limit consumption) this node handed to NATS."},
		func() float64 { return float64(stats().Published) }))
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_cluster_messages_received_total",
		Help: "Control-plane messages received from other nodes."},
		func() float64 { return float64(stats().Received) }))
	for reason, f := range map[string]func(ClusterStats) uint64{
		"not_sent":   func(s ClusterStats) uint64 { return s.NotSent },
		"queue_full": func(s ClusterStats) uint64 { return s.QueueFull },
	} {
		m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sluice_cluster_messages_dropped_total",
			Help:        "Control-plane messages not sent: NATS unreachable (not_sent) or the spend or rate-limit queue full (queue_full).",
			ConstLabels: prometheus.Labels{"reason": reason}},
			func() float64 { return float64(f(stats())) }))
	}
}
