package usage

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// fakeInserter records batch sizes and IDs; fail makes the next calls fail, block makes
// them wait until released.
type fakeInserter struct {
	mu      sync.Mutex
	batches []int
	ids     []string
	fail    int           // calls still to fail
	block   chan struct{} // when non-nil, each call waits for it to close
	calls   chan int      // when non-nil, receives each call's batch size
}

func (f *fakeInserter) InsertRequestLogs(_ context.Context, logs []store.RequestLog) error {
	if f.calls != nil {
		f.calls <- len(logs)
	}
	if f.block != nil {
		<-f.block
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return errors.New("database unavailable")
	}
	f.batches = append(f.batches, len(logs))
	for _, l := range logs {
		f.ids = append(f.ids, l.ID)
	}
	return nil
}

func (f *fakeInserter) snapshot() (batches []int, ids []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]int(nil), f.batches...), append([]string(nil), f.ids...)
}

func rec(i int) store.RequestLog {
	return store.RequestLog{ID: fmt.Sprintf("req_%d", i), Model: "gpt-4o", Status: 200, PromptTokens: 10}
}

// start runs r.Run and returns a stop that cancels it and waits for it to return.
func start(t *testing.T, r *Recorder) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				t.Fatalf("Run did not return within 10s of cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func TestRecordDropsExactlyWhatDoesNotFit(t *testing.T) {
	r := NewRecorder(&fakeInserter{}, Options{QueueSize: 10}, nil) // no writer: nothing drains
	accepted := 0
	for i := range 25 {
		if r.Record(rec(i)) {
			accepted++
		}
	}
	want := Stats{Recorded: 10, Dropped: 15}
	if accepted != 10 || r.Stats() != want {
		t.Fatalf("25 Records into a queue of 10: accepted %d, Stats %+v; want 10, %+v", accepted, r.Stats(), want)
	}
}

func TestBatchesNeverExceedBatchSize(t *testing.T) {
	f := &fakeInserter{}
	r := NewRecorder(f, Options{QueueSize: 1000, BatchSize: 7, FlushInterval: time.Hour}, nil)
	for i := range 100 { // queued before Run, so the writer sees full batches at once
		r.Record(rec(i))
	}
	stop := start(t, r)
	waitFor(t, "98 records written in full batches", func() bool { return r.Stats().Written == 98 })
	stop()
	batches, ids := f.snapshot()
	for i, n := range batches {
		if n > 7 || (i < 14 && n != 7) {
			t.Fatalf("batch sizes %v: want fourteen batches of 7, then the drained 2", batches)
		}
	}
	if len(ids) != 100 || ids[0] != "req_0" || ids[99] != "req_99" {
		t.Fatalf("written %d records (first %q, last %q); want 100 in Record order", len(ids), ids[0], ids[len(ids)-1])
	}
}

func TestPartialBatchIsWrittenAfterFlushInterval(t *testing.T) {
	f := &fakeInserter{}
	r := NewRecorder(f, Options{BatchSize: 1000, FlushInterval: 20 * time.Millisecond}, nil)
	start(t, r)
	began := time.Now()
	for i := range 3 {
		r.Record(rec(i))
	}
	waitFor(t, "3 records written", func() bool { return r.Stats().Written == 3 })
	if d := time.Since(began); d > 2*time.Second {
		t.Fatalf("a partial batch took %v to be written; want about the 20ms FlushInterval", d)
	}
	if batches, _ := f.snapshot(); len(batches) != 1 || batches[0] != 3 {
		t.Fatalf("batches = %v, want one batch of 3", batches)
	}
}

func TestShutdownWritesEverythingQueued(t *testing.T) {
	f := &fakeInserter{}
	r := NewRecorder(f, Options{QueueSize: 10_000, BatchSize: 100, FlushInterval: time.Hour}, nil)
	stop := start(t, r)
	for i := range 5050 {
		if !r.Record(rec(i)) {
			t.Fatalf("Record(%d) dropped with room in the queue", i)
		}
	}
	stop()
	if _, ids := f.snapshot(); len(ids) != 5050 {
		t.Fatalf("after stop, %d records written; want all 5050", len(ids))
	}
	if s := r.Stats(); s != (Stats{Recorded: 5050, Written: 5050}) {
		t.Fatalf("Stats after stop = %+v; want 5050 recorded and written", s)
	}
}

func TestFailingStoreRetriesThenCountsBatchFailed(t *testing.T) {
	f := &fakeInserter{fail: writeAttempts} // the first batch fails every attempt
	r := NewRecorder(f, Options{BatchSize: 5, FlushInterval: time.Hour}, nil)
	r.backoff = time.Millisecond
	for i := range 10 {
		r.Record(rec(i))
	}
	stop := start(t, r)
	waitFor(t, "one batch failed and one written", func() bool {
		s := r.Stats()
		return s.Failed == 5 && s.Written == 5
	})
	stop()
	if _, ids := f.snapshot(); len(ids) != 5 || ids[0] != "req_5" {
		t.Fatalf("written IDs = %v; want the second batch req_5..req_9", ids)
	}
}

func TestRetriedWriteSucceeds(t *testing.T) {
	f := &fakeInserter{fail: writeAttempts - 1}
	r := NewRecorder(f, Options{BatchSize: 5, FlushInterval: time.Hour}, nil)
	r.backoff = time.Millisecond
	for i := range 5 {
		r.Record(rec(i))
	}
	start(t, r)
	waitFor(t, "batch written on the last attempt", func() bool { return r.Stats().Written == 5 })
	if s := r.Stats(); s.Failed != 0 {
		t.Fatalf("Stats = %+v; want no failures", s)
	}
}

func TestStuckStoreDoesNotBlockRecord(t *testing.T) {
	f := &fakeInserter{block: make(chan struct{}), calls: make(chan int, 16)}
	r := NewRecorder(f, Options{QueueSize: 4, BatchSize: 2, FlushInterval: time.Hour}, nil)
	start(t, r)
	r.Record(rec(0))
	r.Record(rec(1))
	<-f.calls // the writer now holds a batch of 2 and is stuck in the store
	began := time.Now()
	accepted := 0
	for i := range 1000 {
		if r.Record(rec(2 + i)) {
			accepted++
		}
	}
	if d := time.Since(began); d > time.Second {
		t.Fatalf("1000 Records with the store stuck took %v; Record must not block", d)
	}
	if s := r.Stats(); accepted != 4 || s.Dropped != 996 {
		t.Fatalf("with the writer stuck: accepted %d, Stats %+v; want 4 accepted (queue size) and 996 dropped", accepted, s)
	}
	close(f.block)
	waitFor(t, "all 6 accepted records written", func() bool { return r.Stats().Written == 6 })
}

func TestRecordDoesNotAllocate(t *testing.T) {
	r := NewRecorder(&fakeInserter{}, Options{QueueSize: 1}, nil)
	l := rec(1)
	l.Metadata = map[string]string{"team": "a"}
	if n := testing.AllocsPerRun(1000, func() { r.Record(l) }); n != 0 {
		t.Fatalf("Record allocates %v times per call; want 0", n)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// BenchmarkRecordAccepted times only Records that are accepted: the queue is emptied,
// with the timer stopped, whenever it fills.
func BenchmarkRecordAccepted(b *testing.B) {
	r := NewRecorder(&fakeInserter{}, Options{}, nil)
	l := rec(1)
	b.ReportAllocs()
	for range b.N {
		if !r.Record(l) {
			b.StopTimer()
			for len(r.queue) > 0 {
				<-r.queue
			}
			b.StartTimer()
			r.Record(l)
		}
	}
}
