package budget

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// FuzzPeerSpendIsExactOnceDelivered drives two peers and a receiver sharing one store through
// any interleaving of settles, flushes, receiver syncs and (delayed) deliveries. Whenever
// every notice sent so far has arrived, the receiver must see exactly the spend settled on
// all three nodes: no flush counted twice, none missed.
func FuzzPeerSpendIsExactOnceDelivered(f *testing.F) {
	f.Add([]byte{0, 2, 3, 5, 1, 6, 3, 7, 5, 4, 3, 5})
	f.Add([]byte{0, 0, 2, 5, 3, 1, 7, 3, 5, 2, 3, 5, 4, 8, 5})
	f.Add([]byte{10, 2, 3, 3, 5, 15, 12, 8, 5, 3, 5})
	s := sqliteStore(f, "")
	var run atomic.Int64
	f.Fuzz(func(t *testing.T, ops []byte) {
		if len(ops) > 200 {
			return
		}
		ctx := t.Context()
		id := fmt.Sprintf("b%d", run.Add(1))
		clock := newClock(time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC))
		mk := func() *Ledger {
			return New([]*Budget{tokenBudget(id, 1<<40)}, Options{Clock: clock.now, Store: s, BroadcastQueue: 8})
		}
		a, peers := mk(), [2]*Ledger{mk(), mk()}
		var inbox [2][][]SpendUpdate // sent, not yet delivered
		var total int64
		collect := func() {
			for i, p := range peers {
				if ups := p.takeUpdates(); len(ups) > 0 {
					inbox[i] = append(inbox[i], ups)
				}
			}
		}
		for _, b := range ops {
			n := int64(b/5%7 + 1)
			switch b % 5 {
			case 0, 1: // a peer settles
				spend(t, peers[b%5], n)
				total += n
			case 2: // a peer flushes
				if err := peers[b/5%2].Sync(ctx); err != nil {
					t.Fatal(err)
				}
			case 3: // the receiver syncs (its own spend too)
				if b/5%2 == 1 {
					spend(t, a, n)
					total += n
				}
				if err := a.Sync(ctx); err != nil {
					t.Fatal(err)
				}
			case 4: // everything sent arrives, in order
				collect()
				for i := range inbox {
					for _, ups := range inbox[i] {
						a.ApplySpend(fmt.Sprint("peer", i), ups)
					}
					inbox[i] = nil
				}
				if got := spentOf(t, a, id); got != total {
					t.Fatalf("ops %v: with every notice delivered the receiver sees %d, want %d", ops, got, total)
				}
				continue
			}
			collect()
		}
	})
}
