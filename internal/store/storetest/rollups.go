package storetest

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

var rollupTests = []test{
	{"Rollup/TotalsEqualLogAcrossDimensions", testRollupTotals},
	{"Rollup/PercentilesWithinDocumentedBound", testRollupPercentiles},
	{"Rollup/SourceFallsBackToLogForTagsAndMinutes", testRollupSource},
	{"Rollup/RebuildRecomputesFromLog", testRollupRebuild},
	{"Rollup/OutliveLogRetentionAndKeepTheirOwn", testRollupRetention},
	{"Rollup/ConcurrentWritersLoseNoUpdates", testRollupConcurrent},
	{"Rollup/RebuildDuringWritesStaysExact", testRollupRebuildDuringWrites},
}

// rollupBase is a whole hour; the random logs spread over the three days after it.
var rollupBase = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// randomLogs returns n logs with random values of every rolled-up dimension, tokens, cost,
// latencies (log-uniform from 0 ms to about 8 minutes) and tags, over three days.
func randomLogs(seed uint64, prefix string, n int) []store.RequestLog {
	r := rand.New(rand.NewPCG(seed, 7))
	pick := func(vs ...string) string { return vs[r.IntN(len(vs))] }
	logs := make([]store.RequestLog, n)
	for i := range logs {
		l := store.RequestLog{
			ID: fmt.Sprintf("%s_%05d", prefix, i), At: rollupBase.Add(time.Duration(r.Int64N(int64(72 * time.Hour)))),
			Model: pick("gpt-4o", "claude", "gemini"), Route: pick("r1", "r2"), Provider: pick("openai", "anthropic", "google"),
			UpstreamModel: pick("up-a", "up-b"), KeyID: pick("k1", "k2", "k3", "k4"), UserID: pick("", "u1", "u2"),
			TeamID: pick("t1", "t2"), ProjectID: pick("", "p1"), Status: 200, CacheResult: pick("", "hit", "miss"),
			PromptTokens: r.Int64N(5000), CompletionTokens: r.Int64N(2000), CachedTokens: r.Int64N(100),
			CacheCreationTokens: r.Int64N(50), ReasoningTokens: r.Int64N(300), CostMicroUSD: r.Int64N(100000),
			LatencyMs: int64(1<<r.IntN(19)) + r.Int64N(1<<10) - 1, Metadata: map[string]string{"app": pick("x", "y")},
		}
		if r.IntN(5) == 0 {
			l.Status = []int{400, 429, 500, 502}[r.IntN(4)]
			l.ErrorType, l.ErrorCode = pick("invalid_request", "upstream_error"), pick("", "rate_limited")
		}
		if r.IntN(2) == 0 {
			l.Stream, l.TTFTMs = true, 1+r.Int64N(l.LatencyMs+1)
		}
		logs[i] = l
	}
	return logs
}

// insertInBatches inserts logs in batches of random size, then retries one batch whole
// and one mixed with new logs, as the usage writer may after a lost commit reply.
func insertInBatches(t *testing.T, s store.Store, logs []store.RequestLog) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(len(logs)), 1))
	for start := 0; start < len(logs); {
		end := min(len(logs), start+1+r.IntN(400))
		if err := s.InsertRequestLogs(ctx(t), logs[start:end]); err != nil {
			t.Fatalf("InsertRequestLogs(%d..%d): %v", start, end, err)
		}
		if start == 0 {
			if err := s.InsertRequestLogs(ctx(t), logs[:end]); err != nil {
				t.Fatalf("InsertRequestLogs(retry of 0..%d): %v", end, err)
			}
		}
		start = end
	}
	if err := s.InsertRequestLogs(ctx(t), logs[len(logs)/2:]); err != nil {
		t.Fatalf("InsertRequestLogs(retry of second half): %v", err)
	}
}

// rollupQueries are queries the rollups can answer over [since, until).
func rollupQueries(since, until time.Time) []store.AnalyticsQuery {
	f := store.RequestLogFilter{Since: since, Until: until}
	with := func(mod func(*store.RequestLogFilter)) store.RequestLogFilter { g := f; mod(&g); return g }
	return []store.AnalyticsQuery{
		{Filter: f},
		{Filter: store.RequestLogFilter{}, GroupBy: []string{store.DimModel}},
		{Filter: f, GroupBy: []string{store.DimModel, store.DimTeam}, Bucket: store.BucketHour},
		{Filter: f, GroupBy: []string{store.DimKey}, Bucket: store.BucketDay, OrderBy: store.OrderCost},
		{Filter: f, GroupBy: []string{store.DimProvider, store.DimStatus}, Bucket: store.BucketMonth},
		{Filter: f, GroupBy: []string{store.DimUser, store.DimProject, store.DimRoute, store.DimErrorType}},
		{Filter: f, GroupBy: []string{store.DimUpstreamModel, store.DimErrorCode, store.DimCacheResult}, OrderBy: store.OrderErrors},
		{Filter: f, GroupBy: []string{store.DimKey, store.DimModel}, OrderBy: store.OrderTokens, Limit: 5},
		{Filter: with(func(g *store.RequestLogFilter) { g.Model, g.TeamID = "claude", "t2" }), GroupBy: []string{store.DimKey}},
		{Filter: with(func(g *store.RequestLogFilter) { g.Status, g.Provider = 502, "openai" }), Bucket: store.BucketDay},
		{Filter: with(func(g *store.RequestLogFilter) { g.ErrorType, g.KeyID, g.UserID = "upstream_error", "k2", "u1" })},
	}
}

// analyzeBoth answers q from each source and fails unless the rows are equal.
func analyzeBoth(t *testing.T, s store.Store, q store.AnalyticsQuery) []store.AnalyticsRow {
	t.Helper()
	q.Source = store.SourceLog
	fromLog, err := s.AnalyzeUsage(ctx(t), q)
	if err != nil || fromLog.Source != store.SourceLog {
		t.Fatalf("AnalyzeUsage(%+v) = %s, %v; want source log", q, fromLog.Source, err)
	}
	q.Source = ""
	auto, err := s.AnalyzeUsage(ctx(t), q)
	if err != nil || auto.Source != store.SourceRollup {
		t.Fatalf("AnalyzeUsage(%+v) = %s, %v; want source rollup", q, auto.Source, err)
	}
	sameRows(t, fmt.Sprintf("AnalyzeUsage(%+v) rollup vs log", q), auto.Rows, fromLog.Rows)
	return auto.Rows
}

// sameRows fails at the first row that differs, naming it rather than printing all.
func sameRows(t *testing.T, call string, got, want []store.AnalyticsRow) {
	t.Helper()
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			t.Fatalf("%s: row %d:\n got  %+v\n want %+v", call, i, got[i], want[i])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", call, len(got), len(want))
	}
}

func testRollupTotals(t *testing.T, s store.Store) {
	logs := randomLogs(1, "req_ru", 3000)
	insertInBatches(t, s, logs)
	for _, q := range rollupQueries(rollupBase.Add(5*time.Hour), rollupBase.Add(50*time.Hour)) {
		if rows := analyzeBoth(t, s, q); len(rows) == 0 {
			t.Errorf("AnalyzeUsage(%+v): no rows; the test would prove nothing", q)
		}
	}
	var want store.AnalyticsRow
	for _, l := range logs {
		want.Requests++
		want.CostMicroUSD += l.CostMicroUSD
	}
	got, err := s.AnalyzeUsage(ctx(t), store.AnalyticsQuery{})
	if err != nil || len(got.Rows) != 1 || got.Rows[0].Requests != want.Requests || got.Rows[0].CostMicroUSD != want.CostMicroUSD {
		t.Errorf("AnalyzeUsage(all) = %+v, %v; want %d requests costing %d after retried batches",
			got, err, want.Requests, want.CostMicroUSD)
	}
}

func testRollupPercentiles(t *testing.T, s store.Store) {
	insertInBatches(t, s, randomLogs(2, "req_rp", 2000))
	f := store.RequestLogFilter{Since: rollupBase, Until: rollupBase.Add(72 * time.Hour)}
	exact, err := s.AnalyzeLatency(ctx(t), store.LatencyQuery{Filter: f, Source: store.SourceLog})
	if err != nil {
		t.Fatalf("AnalyzeLatency(log): %v", err)
	}
	est, err := s.AnalyzeLatency(ctx(t), store.LatencyQuery{Filter: f})
	if err != nil || est.Source != store.SourceRollup || len(est.Models) != len(exact.Models) || len(est.Models) != 3 {
		t.Fatalf("AnalyzeLatency(auto) = %+v, %v; want 3 models from the rollups", est, err)
	}
	within := func(what string, got, want int64) {
		if d := float64(got - want); d > store.LatencyErrorBound*float64(want)+1 || -d > store.LatencyErrorBound*float64(want)+1 {
			t.Errorf("%s: estimate %d, exact %d: off by more than %.1f%% + 1 ms", what, got, want, 100*store.LatencyErrorBound)
		}
	}
	for i, e := range est.Models {
		x := exact.Models[i]
		if e.Model != x.Model || e.Requests != x.Requests || e.Streams != x.Streams {
			t.Fatalf("AnalyzeLatency model %d: rollup %+v, log %+v; want equal counts", i, e, x)
		}
		within(e.Model+" latency p50", e.LatencyP50, x.LatencyP50)
		within(e.Model+" latency p90", e.LatencyP90, x.LatencyP90)
		within(e.Model+" latency p99", e.LatencyP99, x.LatencyP99)
		within(e.Model+" ttft p50", e.TTFTP50, x.TTFTP50)
		within(e.Model+" ttft p90", e.TTFTP90, x.TTFTP90)
		within(e.Model+" ttft p99", e.TTFTP99, x.TTFTP99)
	}
}

func testRollupSource(t *testing.T, s store.Store) {
	insertInBatches(t, s, randomLogs(3, "req_rs", 300))
	hour := store.RequestLogFilter{Since: rollupBase, Until: rollupBase.Add(24 * time.Hour)}
	tagged := hour
	tagged.Metadata = map[string]string{"app": "x"}
	minute := hour
	minute.Since = rollupBase.Add(time.Minute)
	for _, q := range []store.AnalyticsQuery{
		{Filter: tagged},
		{Filter: minute, GroupBy: []string{store.DimModel}},
		{Filter: hour, GroupBy: []string{"metadata.app"}},
	} {
		got, err := s.AnalyzeUsage(ctx(t), q)
		if err != nil || got.Source != store.SourceLog || len(got.Rows) == 0 {
			t.Errorf("AnalyzeUsage(%+v) = %s, %d rows, %v; want rows from the log", q, got.Source, len(got.Rows), err)
		}
		q.Source = store.SourceRollup
		_, err = s.AnalyzeUsage(ctx(t), q)
		wantErr(t, fmt.Sprintf("AnalyzeUsage(%+v, source rollup)", q), err, store.ErrInvalid)
	}
	_, err := s.AnalyzeLatency(ctx(t), store.LatencyQuery{Filter: tagged, Source: store.SourceRollup})
	wantErr(t, "AnalyzeLatency(tagged, source rollup)", err, store.ErrInvalid)
	_, err = s.AnalyzeUsage(ctx(t), store.AnalyticsQuery{Source: "cube"})
	wantErr(t, `AnalyzeUsage(source "cube")`, err, store.ErrInvalid)
	cov, err := s.RollupCoverage(ctx(t))
	if err != nil || cov.UnixMicro() > 0 {
		t.Errorf("RollupCoverage of a store created empty = %v, %v; want the epoch", cov, err)
	}
}

func testRollupRebuild(t *testing.T, s store.Store) {
	insertInBatches(t, s, randomLogs(4, "req_rb", 1500))
	all := store.AnalyticsQuery{GroupBy: []string{store.DimModel, store.DimKey, store.DimStatus}, Bucket: store.BucketHour}
	before := analyzeBoth(t, s, all)
	n, err := s.RebuildRollups(ctx(t), rollupBase.Add(90*time.Minute), rollupBase.Add(49*time.Hour+time.Second))
	if err != nil || n == 0 {
		t.Fatalf("RebuildRollups(part) = %d, %v; want rows", n, err)
	}
	sameRows(t, "AnalyzeUsage after a partial rebuild", analyzeBoth(t, s, all), before)
	if n, err = s.RebuildRollups(ctx(t), time.Time{}, time.Time{}); err != nil || n == 0 {
		t.Fatalf("RebuildRollups(everything) = %d, %v; want rows", n, err)
	}
	sameRows(t, "AnalyzeUsage after a full rebuild", analyzeBoth(t, s, all), before)
	_, err = s.RebuildRollups(ctx(t), rollupBase.Add(time.Hour), rollupBase)
	wantErr(t, "RebuildRollups(from after to)", err, store.ErrInvalid)
}

func testRollupRetention(t *testing.T, s store.Store) {
	insertInBatches(t, s, randomLogs(5, "req_rr", 500))
	q := store.AnalyticsQuery{GroupBy: []string{store.DimModel}, Bucket: store.BucketDay}
	before := analyzeBoth(t, s, q)
	if _, err := s.DeleteRequestLogsBefore(ctx(t), rollupBase.Add(100*time.Hour)); err != nil {
		t.Fatalf("DeleteRequestLogsBefore: %v", err)
	}
	got, err := s.AnalyzeUsage(ctx(t), q)
	if err != nil || got.Source != store.SourceRollup {
		t.Fatalf("AnalyzeUsage after log retention = %s, %v", got.Source, err)
	}
	sameRows(t, "AnalyzeUsage from rollups after the log is purged", got.Rows, before)
	n, err := s.DeleteRollupsBefore(ctx(t), rollupBase.Add(24*time.Hour))
	if err != nil || n == 0 {
		t.Fatalf("DeleteRollupsBefore(day 2) = %d, %v; want rows", n, err)
	}
	got, err = s.AnalyzeUsage(ctx(t), q)
	if err != nil {
		t.Fatal(err)
	}
	for _, row := range got.Rows {
		if row.Bucket.Before(rollupBase.Add(24 * time.Hour)) {
			t.Errorf("AnalyzeUsage after DeleteRollupsBefore(day 2): row %+v of day 1 remains", row)
		}
	}
	if len(got.Rows) == 0 {
		t.Errorf("AnalyzeUsage after DeleteRollupsBefore(day 2): days 2 and 3 gone too")
	}
}

// testRollupConcurrent has writers insert batches that all add to the same few rollup
// rows at once; on PostgreSQL they run truly concurrently.
func testRollupConcurrent(t *testing.T, s store.Store) {
	const writers, batches, per = 6, 10, 20
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			for b := range batches {
				logs := make([]store.RequestLog, per)
				for i := range logs {
					logs[i] = store.RequestLog{ID: fmt.Sprintf("req_rc_%d_%d_%d", w, b, i),
						At: rollupBase.Add(time.Duration(i%3) * time.Hour), Model: []string{"m1", "m2"}[i%2],
						KeyID: "k", Status: 200, CostMicroUSD: 3, PromptTokens: 7, LatencyMs: 100}
				}
				if err := s.InsertRequestLogs(ctx(t), logs); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("InsertRequestLogs (concurrent): %v", err)
	}
	const n = writers * batches * per
	got, err := s.AnalyzeUsage(ctx(t), store.AnalyticsQuery{Source: store.SourceRollup})
	want := []store.AnalyticsRow{{Requests: n, CostMicroUSD: 3 * n, PromptTokens: 7 * n, LatencyMsTotal: 100 * n}}
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "AnalyzeUsage(rollup) after concurrent writers", got.Rows, want)
	lat, err := s.AnalyzeLatency(ctx(t), store.LatencyQuery{Source: store.SourceRollup})
	if err != nil || len(lat.Models) != 2 || lat.Models[0].Requests+lat.Models[1].Requests != n {
		t.Errorf("AnalyzeLatency(rollup) after concurrent writers = %+v, %v; want %d requests", lat, err, n)
	}
	if errors.Is(err, store.ErrInvalid) {
		t.Fatal(err)
	}
}

// testRollupRebuildDuringWrites rebuilds the hours writers are adding logs to: each log
// must end up counted once, whether its batch committed before a rebuilt day (and is
// recomputed from the log) or after it (and is added on top).
func testRollupRebuildDuringWrites(t *testing.T, s store.Store) {
	logs := randomLogs(6, "req_rw", 1200)
	done := make(chan error, 1)
	go func() {
		for start := 0; start < len(logs); start += 40 {
			if err := s.InsertRequestLogs(ctx(t), logs[start:start+40]); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range 3 {
		if _, err := s.RebuildRollups(ctx(t), rollupBase, rollupBase.Add(72*time.Hour)); err != nil {
			t.Fatalf("RebuildRollups during writes: %v", err)
		}
	}
	if err := <-done; err != nil {
		t.Fatalf("InsertRequestLogs during rebuilds: %v", err)
	}
	rows := analyzeBoth(t, s, store.AnalyticsQuery{GroupBy: []string{store.DimModel, store.DimKey}, Bucket: store.BucketHour})
	var n int64
	for _, r := range rows {
		n += r.Requests
	}
	if n != int64(len(logs)) {
		t.Errorf("AnalyzeUsage after rebuilds during writes: %d requests, want %d", n, len(logs))
	}
}
