// Package coalesce is the queue between a request path that marks state as changed and a
// goroutine that reports the changes in batches: the budget ledger's spend broadcasts and
// the rate limiter's consumption reports use it. Marking never blocks and never allocates;
// a burst of marks becomes one batch.
package coalesce

import (
	"context"
	"sync/atomic"
	"time"
)

// Queue holds items marked as changed until Run hands them on. The nil Queue is off: Add
// does nothing and Run only waits for its context.
type Queue[T any] struct {
	ch      chan T
	dropped atomic.Uint64
}

// New returns a Queue with room for size items (at least one).
func New[T any](size int) *Queue[T] { return &Queue[T]{ch: make(chan T, max(size, 1))} }

// Add queues item unless its flag says it is queued already. When the queue is full the
// mark is dropped (counted) and the flag cleared, so the item's next change queues it again:
// callers report cumulative state, which a later batch carries.
func (q *Queue[T]) Add(item T, queued *atomic.Bool) {
	if q == nil || !queued.CompareAndSwap(false, true) {
		return
	}
	select {
	case q.ch <- item:
	default:
		queued.Store(false)
		q.dropped.Add(1)
	}
}

// Dropped counts the marks dropped because the queue was full.
func (q *Queue[T]) Dropped() uint64 {
	if q == nil {
		return 0
	}
	return q.dropped.Load()
}

// Run hands batches to handle until ctx is done. After an item arrives it waits coalesce for
// more, then takes everything queued. handle runs on this goroutine, never on a request's;
// it must clear each item's flag before reading the item's state, so that a change made
// meanwhile queues the item again rather than being lost.
func (q *Queue[T]) Run(ctx context.Context, coalesce time.Duration, handle func([]T)) {
	if q == nil {
		<-ctx.Done()
		return
	}
	var batch []T
	for {
		select {
		case <-ctx.Done():
			return
		case item := <-q.ch:
			batch = append(batch[:0], item)
		}
		if coalesce > 0 {
			t := time.NewTimer(coalesce)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
		handle(q.Take(batch))
	}
}

// Take appends every item queued now to dst, without waiting.
func (q *Queue[T]) Take(dst []T) []T {
	if q == nil {
		return dst
	}
	for {
		select {
		case item := <-q.ch:
			dst = append(dst, item)
		default:
			return dst
		}
	}
}
