package coalesce

import (
	"context"
	"sync/atomic"
	"testing"
)

type item struct {
	n      int
	queued atomic.Bool
}

// A marked item is queued once until its flag is cleared; a full queue drops the mark and
// clears the flag, so the item's next change queues it again.
func TestAddQueuesOnceAndDropsWhenFull(t *testing.T) {
	q := New[*item](1)
	a, b := &item{n: 1}, &item{n: 2}
	q.Add(a, &a.queued)
	q.Add(a, &a.queued)
	q.Add(b, &b.queued)
	if got := q.Take(nil); len(got) != 1 || got[0] != a {
		t.Fatalf("Take = %v, want only a, once", got)
	}
	if q.Dropped() != 1 || b.queued.Load() {
		t.Errorf("dropped %d, b queued %v; want 1 drop and b's flag cleared", q.Dropped(), b.queued.Load())
	}
	q.Add(a, &a.queued) // a's flag is still set: the handler has not cleared it
	if got := q.Take(nil); len(got) != 0 {
		t.Errorf("Take = %v, want nothing while a's flag is set", got)
	}
	a.queued.Store(false)
	q.Add(b, &b.queued)
	if got := q.Take(nil); len(got) != 1 || got[0] != b {
		t.Errorf("Take = %v, want b", got)
	}
}

// Run hands on what was queued, in batches, until its context ends; the nil Queue is off.
func TestRunHandsOnBatches(t *testing.T) {
	q := New[*item](8)
	items := []*item{{n: 1}, {n: 2}, {n: 3}}
	for _, it := range items {
		q.Add(it, &it.queued)
	}
	ctx, cancel := context.WithCancel(context.Background())
	seen := 0
	done := make(chan struct{})
	go func() {
		defer close(done)
		q.Run(ctx, 0, func(batch []*item) {
			for _, it := range batch {
				it.queued.Store(false)
				seen += it.n
			}
			if seen == 6 {
				cancel()
			}
		})
	}()
	<-done
	if seen != 6 {
		t.Errorf("handled items summing to %d, want 6", seen)
	}
	var off *Queue[*item]
	it := &item{}
	off.Add(it, &it.queued)
	if off.Dropped() != 0 || len(off.Take(nil)) != 0 || it.queued.Load() {
		t.Error("the nil Queue must do nothing")
	}
	off.Run(ctx, 0, func([]*item) { t.Error("the nil Queue handed on a batch") }) // ctx is done: returns
}
