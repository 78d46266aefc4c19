// Package usage is the asynchronous request-log pipeline: the request path hands each
// finished request's store.RequestLog to a Recorder, which queues it in a bounded
// in-memory buffer and returns at once; one writer goroutine (Run) batches the queue into
// the store. A full queue drops records and counts them, because a slow or unavailable
// database must never add latency to, or block, a request. Cancelling Run's context
// writes everything still queued before Run returns.
//
// The gateway records through it; app wiring owns the Recorder and its Run goroutine.
package usage

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// Defaults for Options' zero fields.
const (
	DefaultQueueSize     = 65536
	DefaultBatchSize     = 1000
	DefaultFlushInterval = 200 * time.Millisecond
)

// Retry policy for a failed batch write: a database restart or failover usually
// takes seconds, and while the writer waits the queue absorbs traffic (and then drops),
// so a few attempts with doubling backoff, then give up on that batch and move on.
const (
	writeAttempts  = 4
	initialBackoff = 250 * time.Millisecond
	// writeTimeout bounds one attempt, so a hung connection cannot stall the writer
	// (and, at shutdown, the drain) indefinitely.
	writeTimeout = 30 * time.Second
)

// Inserter is the part of store.Store the Recorder uses. InsertRequestLogs must not keep
// the slice: the Recorder reuses it for the next batch.
type Inserter interface {
	InsertRequestLogs(ctx context.Context, logs []store.RequestLog) error
}

// Options size the pipeline; zero fields take the defaults.
type Options struct {
	// QueueSize is how many records may wait for the writer; more are dropped. The
	// queue is allocated up front (about 350 bytes a record) so Record never allocates.
	QueueSize int
	// BatchSize is the most records one InsertRequestLogs call writes.
	BatchSize int
	// FlushInterval is the longest a queued record waits for its batch to fill.
	FlushInterval time.Duration
}

// Stats are the Recorder's counters since it was created. Recorded = Written + Failed +
// records still queued or being written.
type Stats struct {
	Recorded uint64 // accepted by Record
	Dropped  uint64 // refused by Record because the queue was full
	Written  uint64 // stored
	Failed   uint64 // in batches given up after every retry failed
}

// Recorder is the request-log queue and its writer. Record may be called from any number
// of goroutines; Run must be running in exactly one.
type Recorder struct {
	st    Inserter
	opts  Options
	log   *slog.Logger
	queue chan store.RequestLog

	// backoff is the first retry delay; tests shorten it.
	backoff time.Duration

	recorded, dropped, written, failed atomic.Uint64
}

// NewRecorder returns a Recorder writing to st. A nil log discards the writer's messages.
func NewRecorder(st Inserter, opts Options, log *slog.Logger) *Recorder {
	if opts.QueueSize <= 0 {
		opts.QueueSize = DefaultQueueSize
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = DefaultBatchSize
	}
	if opts.FlushInterval <= 0 {
		opts.FlushInterval = DefaultFlushInterval
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Recorder{
		st: st, opts: opts, log: log,
		queue:   make(chan store.RequestLog, opts.QueueSize),
		backoff: initialBackoff,
	}
}

// Record queues rec for writing and reports whether it was accepted. It never blocks:
// when the queue is full it counts a drop and returns false. It does not allocate.
// Records queued after Run has returned are not written, so the owner stops recording
// before it cancels Run.
func (r *Recorder) Record(rec store.RequestLog) bool {
	select {
	case r.queue <- rec:
		r.recorded.Add(1)
		return true
	default:
		r.dropped.Add(1)
		return false
	}
}

// Depth is how many records wait for the writer.
func (r *Recorder) Depth() int { return len(r.queue) }

// Stats returns the counters. Each is read atomically; together they are not one instant.
func (r *Recorder) Stats() Stats {
	return Stats{
		Recorded: r.recorded.Load(),
		Dropped:  r.dropped.Load(),
		Written:  r.written.Load(),
		Failed:   r.failed.Load(),
	}
}

// Run is the writer: it writes a batch when BatchSize records are waiting, or when
// FlushInterval passes with any waiting. When ctx ends it writes everything queued, then
// returns.
func (r *Recorder) Run(ctx context.Context) {
	batch := make([]store.RequestLog, 0, r.opts.BatchSize)
	tick := time.NewTicker(r.opts.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			r.drain(ctx, batch)
			return
		case rec := <-r.queue:
			batch = r.fill(append(batch, rec))
			if len(batch) == r.opts.BatchSize {
				batch = r.flush(ctx, batch)
			}
		case <-tick.C:
			if len(batch) > 0 {
				batch = r.flush(ctx, batch)
			}
		}
	}
}

// fill takes records already queued, without waiting, until batch is full or the queue
// empty, so a busy writer does one select per batch rather than per record.
func (r *Recorder) fill(batch []store.RequestLog) []store.RequestLog {
	for len(batch) < r.opts.BatchSize {
		select {
		case rec := <-r.queue:
			batch = append(batch, rec)
		default:
			return batch
		}
	}
	return batch
}

// drain writes batch and everything still queued.
func (r *Recorder) drain(ctx context.Context, batch []store.RequestLog) {
	for {
		batch = r.fill(batch)
		if len(batch) == 0 {
			return
		}
		batch = r.flush(ctx, batch)
	}
}

// flush writes batch, retrying with backoff, and returns it emptied for reuse. Writes
// run without ctx's cancellation: cancelling Run means "finish up", and aborting the
// write in flight would lose the very records the drain is meant to keep. Retrying a
// batch whose commit reply was lost is harmless: the store skips stored IDs and adds only
// the logs it inserted to the analytics rollups, in the same transaction.
func (r *Recorder) flush(ctx context.Context, batch []store.RequestLog) []store.RequestLog {
	wctx := context.WithoutCancel(ctx)
	r.captureBodies(batch)
	delay := r.backoff
	var err error
	for attempt := 1; attempt <= writeAttempts; attempt++ {
		if err = r.write(wctx, batch); err == nil {
			r.written.Add(uint64(len(batch)))
			break
		}
		if attempt == writeAttempts {
			r.failed.Add(uint64(len(batch)))
			r.log.Error("usage: request logs lost after retries",
				"records", len(batch), "attempts", attempt, "err", err)
			break
		}
		r.log.Warn("usage: write request logs failed; retrying",
			"records", len(batch), "attempt", attempt, "retry_in", delay, "err", err)
		time.Sleep(delay) // the writer has nothing else to do; Record is unaffected
		delay *= 2
	}
	clear(batch) // drop references to strings and maps so the GC can reclaim them
	return batch[:0]
}

func (r *Recorder) write(ctx context.Context, batch []store.RequestLog) error {
	ctx, cancel := context.WithTimeout(ctx, writeTimeout)
	defer cancel()
	return r.st.InsertRequestLogs(ctx, batch)
}
