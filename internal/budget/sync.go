package budget

import (
	"context"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// Run merges spend with the store every interval and delivers alerts, until ctx is done;
// then it flushes what is left. It is the one owner of both loops.
func (l *Ledger) Run(ctx context.Context, interval time.Duration) {
	client := &http.Client{Timeout: webhookTimeout}
	stop, done := make(chan struct{}), make(chan struct{})
	go func() { l.deliverAlerts(context.WithoutCancel(ctx), client, stop); close(done) }()
	l.peerTTL.CompareAndSwap(0, int64(3*interval))
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			// Spend settled during the drain must survive the restart that follows.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if err := l.Sync(fctx); err != nil {
				l.log.Warn("budget: final flush failed", "err", err)
			}
			cancel()
			close(stop)
			<-done
			return
		case <-t.C:
			if err := l.Sync(ctx); err != nil && ctx.Err() == nil {
				l.log.Warn("budget: sync failed; spend kept in memory for the next try", "err", err)
			}
		}
	}
}

// flushItem is one window's part of a sync.
type flushItem struct {
	e     *entry // nil for a retired window
	id    string
	w     *window
	delta int64
}

// Sync adds this node's unflushed spend to the store and adopts the merged totals, which
// include other nodes' spend. Call it once before serving to load spend after a restart.
func (l *Ledger) Sync(ctx context.Context) error {
	if l.store == nil {
		return nil
	}
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	s := l.set.Load()
	now := l.clock().UnixNano()
	l.mu.Lock()
	retired := l.retired
	l.retired = nil
	l.mu.Unlock()

	items := make([]flushItem, 0, len(s.byID)+len(retired))
	for id, e := range s.byID {
		items = append(items, flushItem{e: e, id: id, w: l.window(e, now)})
	}
	for _, r := range retired {
		items = append(items, flushItem{id: r.id, w: r.w})
	}
	deltas := make([]store.BudgetSpendDelta, len(items))
	for i := range items {
		it := &items[i]
		// Moved to merged before the write so that, meanwhile, the spend counts twice
		// rather than not at all: admission errs on the side of refusing.
		it.delta = it.w.pending.Load()
		it.w.merged.Add(it.delta)
		it.w.pending.Add(-it.delta)
		deltas[i] = store.BudgetSpendDelta{BudgetID: it.id, PeriodStart: time.Unix(0, it.w.start), Delta: it.delta}
	}
	totals, err := l.store.AddBudgetSpend(ctx, deltas)
	if err != nil {
		for i := range items {
			items[i].w.pending.Add(items[i].delta)
			items[i].w.merged.Add(-items[i].delta)
		}
		l.keepRetired(retired)
		return err
	}
	var still []retiredWindow
	ttl := time.Duration(l.peerTTL.Load())
	for i := range items {
		it := &items[i]
		total := totals[i].Spent
		if it.delta > 0 {
			it.w.recordFlush(it.delta, total)
		}
		// merged first: until peers are absorbed their flushed spend counts twice, not never.
		it.w.merged.Store(total)
		it.w.absorbPeers(total, now, ttl)
		if it.w.settled.Load() > 0 {
			l.bcast.Add(it.w, &it.w.dirty) // peers learn of the flush, and a lost update is repaired
		}
		if it.e == nil {
			if it.w.reserved.Load() != 0 || it.w.pending.Load() != 0 {
				still = append(still, retiredWindow{it.id, it.w})
			}
			continue
		}
		if it.e.b.Period == Total {
			it.w.since.CompareAndSwap(0, totals[i].CreatedAt.UnixNano())
		}
		// Other nodes' spend may have crossed a threshold.
		l.checkThresholds(it.e, it.w)
	}
	l.keepRetired(still)
	return nil
}

func (l *Ledger) keepRetired(rs []retiredWindow) {
	if len(rs) == 0 {
		return
	}
	l.mu.Lock()
	l.retired = append(l.retired, rs...)
	l.mu.Unlock()
}
