package usage_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/usage"
)

// lostReply commits the first batch in the real store and then reports a failure, as when
// the database's reply is lost after the commit, so the Recorder retries a stored batch.
type lostReply struct {
	st    store.Store
	calls atomic.Int32
}

func (l *lostReply) InsertRequestLogs(ctx context.Context, logs []store.RequestLog) error {
	err := l.st.InsertRequestLogs(ctx, logs)
	if l.calls.Add(1) == 1 && err == nil {
		return errors.New("connection reset after commit")
	}
	return err
}

// TestRetriedBatchIsNotCountedTwiceInRollups: the writer's retry of a batch that did
// commit adds nothing to the analytics rollups, which still equal the log.
func TestRetriedBatchIsNotCountedTwiceInRollups(t *testing.T) {
	s := openSQLite(t)
	in := &lostReply{st: s}
	r := usage.NewRecorder(in, usage.Options{}, nil)
	stop := runRecorder(r)
	for i := range 50 {
		if !r.Record(logRec(i)) {
			t.Fatalf("Record(%d) dropped", i)
		}
	}
	stop()
	if in.calls.Load() < 2 {
		t.Fatalf("InsertRequestLogs called %d times; the test needs the retry", in.calls.Load())
	}
	got, err := s.AnalyzeUsage(context.Background(), store.AnalyticsQuery{Source: store.SourceRollup})
	if err != nil || len(got.Rows) != 1 || got.Rows[0].Requests != 50 || got.Rows[0].CostMicroUSD != 50*950 {
		t.Fatalf("AnalyzeUsage(rollup) after a retried batch = %+v, %v; want 50 requests costing %d", got, err, 50*950)
	}
}
