package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/cluster"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/ratelimit"
	"github.com/sluicehq/sluice/internal/telemetry"
)

// spendCoalesce is how long the spend broadcaster gathers settles into one message: short
// against the overshoot it bounds, long enough that a burst of requests makes one message.
const spendCoalesce = 5 * time.Millisecond

// spendQueue bounds the budget windows waiting to be broadcast; one per window, so only
// thousands of budgets spending at once could fill it (then notices drop and are counted).
const spendQueue = 4096

// openCluster connects to the NATS control plane when cluster.nats_url is set: the store
// is wrapped to announce each committed change, and other nodes' announcements and spend
// reach this node's resync and ledger. Without NATS at start the node still serves, on
// polling alone, and connects when NATS comes up.
func (a *App) openCluster(cfg *config.Config) error {
	a.storeKick = make(chan struct{}, 1)
	node, err := cluster.Connect(cluster.Options{
		URL: cfg.Cluster.NATSURL, Prefix: cfg.Cluster.SubjectPrefix, NodeName: cfg.Cluster.NodeName, Logger: a.log,
		OnChange: func(cluster.Change) { a.kickStore() },
		OnSpend:  a.budgets.ApplySpend,
		OnRateLimit: func(node string, cs []ratelimit.Consumption) {
			if err := a.limiter.ApplyRemote(cs); err != nil {
				a.log.Warn("cluster: ignoring bad rate-limit consumption", "node", node, "err", err)
			}
		},
		OnConnect: func() {
			a.kickStore() // changes announced while this node was away were lost
			a.budgets.BroadcastAll()
		},
	})
	if err != nil {
		return fmt.Errorf("app: cluster: %w", err)
	}
	a.cluster = node
	a.store = cluster.WrapStore(a.store, func(_ context.Context, v int64, kind string) {
		node.PublishChange(v, kind)
	})
	a.metrics.WatchCluster(func() telemetry.ClusterStats {
		s := node.Stats()
		return telemetry.ClusterStats{Connected: s.Connected, Published: s.Published, Received: s.Received,
			NotSent: s.Dropped, QueueFull: a.budgets.BroadcastDropped() + a.limiter.ShareDropped()}
	})
	return nil
}

// budgetOptions turns on spend broadcasts when there is a control plane to carry them.
func budgetOptions(cfg *config.Config, opts budget.Options) budget.Options {
	if cfg.Cluster.Enabled() {
		opts.BroadcastQueue = spendQueue
	}
	return opts
}

// kickStore asks watchStore to resync now; a kick already pending covers this one.
func (a *App) kickStore() {
	select {
	case a.storeKick <- struct{}{}:
	default:
	}
}

// runCluster broadcasts this node's spend and rate-limit consumption until ctx is done.
func (a *App) runCluster(ctx context.Context) {
	if a.cluster == nil {
		return
	}
	var wg sync.WaitGroup
	wg.Go(func() { a.limiter.Broadcast(ctx, spendCoalesce, a.cluster.PublishRateLimit) })
	a.budgets.Broadcast(ctx, spendCoalesce, a.cluster.PublishSpend)
	wg.Wait()
}

// closeCluster leaves the control plane.
func (a *App) closeCluster() {
	if a.cluster != nil {
		a.cluster.Close()
	}
}

// announceFinalSpend tells the other nodes, after the final budget flush, that this node's
// spend is all in the store now.
func (a *App) announceFinalSpend() {
	if a.cluster == nil {
		return
	}
	if ups := a.budgets.SpendUpdates(); len(ups) > 0 {
		a.cluster.PublishSpend(ups)
		if err := a.cluster.Flush(time.Second); err != nil {
			a.log.Debug("cluster: final spend not confirmed", "err", err)
		}
	}
}
