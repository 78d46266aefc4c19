package budget

import (
	"context"
	"sync"
	"time"
)

// Spend broadcasts between nodes. The store stays the source of truth: every sync interval
// each node adds its unflushed spend to the shared total and adopts the result. Broadcasts
// only let a node see another's spend before that sync, and are built so that the sync
// never counts it twice:
//
//   - An update carries cumulative values for one window incarnation on the sender —
//     everything it settled there (Settled), the part of that it has added to the store
//     (Flushed), and the store's total right after the flush that brought Flushed
//     (FlushTotal). Cumulative values make lost, repeated or reordered messages harmless:
//     the receiver keeps the largest it has seen, and the next update repairs a lost one.
//   - The receiver counts a peer's Settled minus the part of it already inside its own
//     merged total. The store's total of a window only grows and every flush adds a
//     positive amount, so a peer's flush is inside a total T read from the store exactly
//     when that flush's FlushTotal ≤ T. At each sync the receiver folds the flushes it
//     has heard of with FlushTotal ≤ the total it just read; a flush heard of later is
//     folded as it arrives. Until a flush's notice arrives (the delivery delay) it is
//     counted twice, which errs on refusing, never on overspending.
//   - A peer not heard of for PeerTTL is forgotten: it died (its unflushed spend died with
//     it) or the control plane is down, and then the store alone converges the nodes, as
//     without broadcasts.

// SpendUpdate is one window's spend on the node that sends it (see the comment above).
type SpendUpdate struct {
	BudgetID    string `json:"budget"`
	PeriodStart int64  `json:"period"` // Unix nanoseconds
	// Window names the sender's incarnation of the window: a budget reloaded with a new
	// calendar starts a new one with counters from zero.
	Window     uint64 `json:"window"`
	Settled    int64  `json:"settled"`
	Flushed    int64  `json:"flushed"`
	FlushTotal int64  `json:"flush_total"`
}

// maxFlushes bounds the flushes a peer keeps that are not yet inside merged; dropping the
// oldest only delays folding them (counting more, not less).
const maxFlushes = 8

// peers is a window's view of the other nodes' spend.
type peers struct {
	mu sync.Mutex
	// storeTotal is the store's total read at this node's last sync (what merged was set to).
	storeTotal int64
	// flushed is this node's cumulative flushed spend, flushTotal the store's total right
	// after its last flush: what this node's updates carry.
	flushed, flushTotal int64
	byNode              map[peerKey]*peer
}

type peerKey struct {
	node   string
	window uint64
}

type peer struct {
	settled int64
	base    int64   // the part of settled inside merged
	flushes []flush // heard of but not yet known to be inside merged, oldest first
	heard   int64   // clock, Unix nanoseconds
	counted int64   // settled − base, as added to window.remote
}

type flush struct{ flushed, total int64 }

// BroadcastDropped counts settle notices dropped because the broadcast queue was full:
// updates are cumulative, so the window's next settle or the next sync sends its spend anyway.
func (l *Ledger) BroadcastDropped() uint64 { return l.bcast.Dropped() }

// Broadcast hands this node's spend to publish until ctx is done. After a window is queued
// it waits coalesce for more, so a burst of settles makes one call. publish runs on this
// goroutine, never on a request's.
func (l *Ledger) Broadcast(ctx context.Context, coalesce time.Duration, publish func([]SpendUpdate)) {
	l.bcast.Run(ctx, coalesce, func(batch []*window) {
		ups := make([]SpendUpdate, 0, len(batch))
		for _, w := range batch {
			w.dirty.Store(false) // a settle from now on queues w again
			ups = append(ups, w.update())
		}
		publish(ups)
	})
}

// BroadcastAll queues every current window this node has spent in, e.g. after the control
// plane reconnected and peers may have missed updates.
func (l *Ledger) BroadcastAll() {
	for _, e := range l.set.Load().byID {
		if w := e.st.cur.Load(); w != nil && w.settled.Load() > 0 {
			l.bcast.Add(w, &w.dirty)
		}
	}
}

// SpendUpdates returns the updates of every current window this node has spent in: what a
// node stopping sends after its final flush, so peers stop counting its spend beside the
// store's total at once rather than when they forget it.
func (l *Ledger) SpendUpdates() []SpendUpdate {
	var ups []SpendUpdate
	for _, e := range l.set.Load().byID {
		if w := e.st.cur.Load(); w != nil && w.settled.Load() > 0 {
			ups = append(ups, w.update())
		}
	}
	return ups
}

func (w *window) update() SpendUpdate {
	w.peers.mu.Lock()
	f, t := w.peers.flushed, w.peers.flushTotal
	w.peers.mu.Unlock()
	// Read after flushed: settled only grows and always includes what was flushed.
	return SpendUpdate{BudgetID: w.id, PeriodStart: w.start, Window: w.seq, Settled: w.settled.Load(), Flushed: f, FlushTotal: t}
}

// ApplySpend adds another node's spend to this node's view at once. node names the sending
// process and must differ between runs. Updates for a budget this node does not have, or
// for another period than its current one, are ignored: the store sync brings those.
func (l *Ledger) ApplySpend(node string, ups []SpendUpdate) {
	s := l.set.Load()
	now := l.clock().UnixNano()
	for _, u := range ups {
		if u.Settled < 0 || u.Flushed < 0 || u.Flushed > u.Settled {
			continue // not what a Sluice node sends
		}
		e := s.byID[u.BudgetID]
		if e == nil {
			continue
		}
		w := l.window(e, now)
		if w.start != u.PeriodStart {
			continue
		}
		w.applyPeer(peerKey{node, u.Window}, &u, now)
		l.checkThresholds(e, w)
	}
}

func (w *window) applyPeer(k peerKey, u *SpendUpdate, now int64) {
	p := &w.peers
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byNode == nil {
		p.byNode = map[peerKey]*peer{}
	}
	pr := p.byNode[k]
	if pr == nil {
		pr = &peer{}
		p.byNode[k] = pr
	}
	pr.heard = now
	pr.settled = max(pr.settled, u.Settled)
	if u.Flushed > pr.base {
		if u.FlushTotal <= p.storeTotal {
			pr.base = u.Flushed // inside the total this node read at its last sync
		} else if n := len(pr.flushes); n == 0 || pr.flushes[n-1].flushed < u.Flushed {
			if n == maxFlushes {
				pr.flushes = append(pr.flushes[:0], pr.flushes[1:]...)
			}
			pr.flushes = append(pr.flushes, flush{u.Flushed, u.FlushTotal})
		}
	}
	w.recount(pr)
}

// recount folds pr's flushes inside storeTotal into its base and updates remote; p.mu held.
func (w *window) recount(pr *peer) {
	keep := pr.flushes[:0]
	for _, f := range pr.flushes {
		if f.total <= w.peers.storeTotal {
			pr.base = max(pr.base, f.flushed)
		} else if f.flushed > pr.base {
			keep = append(keep, f)
		}
	}
	pr.flushes = keep
	c := max(pr.settled-pr.base, 0)
	w.remote.Add(c - pr.counted)
	pr.counted = c
}

// recordFlush notes that this node added delta to the store, which then held total.
func (w *window) recordFlush(delta, total int64) {
	w.peers.mu.Lock()
	w.peers.flushed += delta
	w.peers.flushTotal = total
	w.peers.mu.Unlock()
}

// absorbPeers follows a sync that set merged to total: peers' flushes inside it stop
// counting separately, and peers not heard of within ttl (when > 0) are forgotten.
func (w *window) absorbPeers(total, now int64, ttl time.Duration) {
	p := &w.peers
	p.mu.Lock()
	defer p.mu.Unlock()
	p.storeTotal = total
	for k, pr := range p.byNode {
		if ttl > 0 && now-pr.heard > int64(ttl) {
			w.remote.Add(-pr.counted)
			delete(p.byNode, k)
			continue
		}
		w.recount(pr)
	}
}
