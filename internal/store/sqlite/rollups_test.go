package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// TestLogsOlderThanTheRollupsAreReadFromTheLogUntilRebuilt simulates logs stored before
// migration 0060 (rollups empty, coverage from a later hour): queries reaching before the
// coverage read the log, and RebuildRollups extends the coverage down to its start, then
// to everything once no log lies before it.
func TestLogsOlderThanTheRollupsAreReadFromTheLogUntilRebuilt(t *testing.T) {
	ctx := context.Background()
	path := tempPath(t)
	day := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	s := open(t, path)
	var logs []store.RequestLog
	for i := range 72 {
		logs = append(logs, store.RequestLog{ID: fmt.Sprintf("req_old_%02d", i), At: day.Add(time.Duration(i)*time.Hour + time.Minute),
			Model: []string{"a", "b"}[i%2], Status: 200, CostMicroUSD: int64(i), LatencyMs: int64(10 * i)})
	}
	if err := s.InsertRequestLogs(ctx, logs); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(`DELETE FROM request_rollups; UPDATE rollup_state SET covered_from = ?`, day.Add(72*time.Hour).UnixMicro()); err != nil {
		t.Fatal(err)
	}
	db.Close()
	s = open(t, path)

	q := func(since time.Time) store.AnalyticsQuery {
		return store.AnalyticsQuery{Filter: store.RequestLogFilter{Since: since}, GroupBy: []string{store.DimModel}}
	}
	source := func(since time.Time, want string) {
		t.Helper()
		got, err := s.AnalyzeUsage(ctx, q(since))
		if err != nil || got.Source != want || len(got.Rows) != 2 && want == store.SourceLog {
			t.Fatalf("AnalyzeUsage(since %v) = %+v, %v; want source %s", since, got, err, want)
		}
		if want == store.SourceRollup {
			lq := q(since)
			lq.Source = store.SourceLog
			fromLog, _ := s.AnalyzeUsage(ctx, lq)
			if !reflect.DeepEqual(got.Rows, fromLog.Rows) {
				t.Fatalf("AnalyzeUsage(since %v): rollup %+v, log %+v", since, got.Rows, fromLog.Rows)
			}
		}
	}
	source(time.Time{}, store.SourceLog)
	source(day, store.SourceLog)
	rq := q(day)
	rq.Source = store.SourceRollup
	if _, err := s.AnalyzeUsage(ctx, rq); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("AnalyzeUsage(before coverage, source rollup) = %v, want ErrInvalid", err)
	}
	if _, err := s.RebuildRollups(ctx, day.Add(24*time.Hour), day.Add(72*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if cov, err := s.RollupCoverage(ctx); err != nil || !cov.Equal(day.Add(24*time.Hour)) {
		t.Fatalf("RollupCoverage after rebuilding days 2-3 = %v, %v; want day 2", cov, err)
	}
	source(day, store.SourceLog)
	source(day.Add(24*time.Hour), store.SourceRollup)
	if _, err := s.RebuildRollups(ctx, day, day.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if cov, err := s.RollupCoverage(ctx); err != nil || cov.UnixMicro() != 0 {
		t.Fatalf("RollupCoverage after rebuilding day 1 too = %v, %v; want the epoch", cov, err)
	}
	source(time.Time{}, store.SourceRollup)
}
