package storetest

import (
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// benchLogRows is how many request logs BenchAnalytics seeds: SLUICE_BENCH_LOG_ROWS, else
// 200,000. A month at 100 requests/s is 259,200,000 rows; at 1 request/s, 2,592,000.
func benchLogRows() int {
	if n, err := strconv.Atoi(os.Getenv("SLUICE_BENCH_LOG_ROWS")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

// BenchAnalytics seeds a month of request logs (20 models, 50 keys, 10 teams, 5 apps as a
// metadata tag) and times the analytics queries over the whole month: usage by model and
// day, top 10 keys by cost, usage by metadata tag, and latency percentiles per model, each
// from the raw log and, where they can answer, from the hourly rollups.
func BenchAnalytics(b *testing.B, open func(b *testing.B) store.Store) {
	s := open(b)
	rows := benchLogRows()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	step := 30 * 24 * time.Hour / time.Duration(rows)
	batch := make([]store.RequestLog, 0, 1000)
	seeded := time.Now()
	for i := range rows {
		l := store.RequestLog{
			ID: fmt.Sprintf("req_b%09d", i), At: start.Add(time.Duration(i) * step),
			Model: fmt.Sprintf("model-%d", i%20), Provider: fmt.Sprintf("prov-%d", i%4), Route: "r",
			KeyID: fmt.Sprintf("key-%d", i%50), TeamID: fmt.Sprintf("team-%d", i%10), UserID: fmt.Sprintf("user-%d", i%100),
			Status: 200, PromptTokens: int64(100 + i%400), CompletionTokens: int64(20 + i%200), CostMicroUSD: int64(i % 5000),
			LatencyMs: int64(50 + (i*7919)%3000), Metadata: map[string]string{"app": fmt.Sprintf("app-%d", i%5)},
		}
		if i%10 == 0 {
			l.Stream, l.TTFTMs = true, int64(10+(i*31)%500)
		}
		if i%50 == 0 {
			l.Status, l.ErrorType = 502, "upstream_error"
		}
		batch = append(batch, l)
		if len(batch) == cap(batch) || i == rows-1 {
			if err := s.InsertRequestLogs(b.Context(), batch); err != nil {
				b.Fatalf("seed: %v", err)
			}
			batch = batch[:0]
		}
	}
	b.Logf("seeded %d request logs in %s", rows, time.Since(seeded).Round(time.Millisecond))
	month := store.RequestLogFilter{Since: start, Until: start.Add(30 * 24 * time.Hour)}
	for _, q := range []struct {
		name    string
		q       store.AnalyticsQuery
		sources []string
	}{
		{"UsageByModelPerDay", store.AnalyticsQuery{Filter: month, GroupBy: []string{store.DimModel}, Bucket: store.BucketDay}, both},
		{"Top10KeysByCost", store.AnalyticsQuery{Filter: month, GroupBy: []string{store.DimKey}, OrderBy: store.OrderCost, Limit: 10}, both},
		{"UsageByMetadataTag", store.AnalyticsQuery{Filter: month, GroupBy: []string{"metadata.app"}}, []string{store.SourceLog}},
	} {
		for _, src := range q.sources {
			b.Run(src+"/"+q.name, func(b *testing.B) {
				q.q.Source = src
				for b.Loop() {
					if res, err := s.AnalyzeUsage(b.Context(), q.q); err != nil || len(res.Rows) == 0 || res.Source != src {
						b.Fatalf("AnalyzeUsage: %d rows from %s, %v", len(res.Rows), res.Source, err)
					}
				}
				b.ReportMetric(float64(rows), "rows")
			})
		}
	}
	for _, src := range both {
		b.Run(src+"/LatencyPercentilesPerModel", func(b *testing.B) {
			for b.Loop() {
				if got, err := s.AnalyzeLatency(b.Context(), store.LatencyQuery{Filter: month, Source: src}); err != nil || len(got.Models) != 20 {
					b.Fatalf("AnalyzeLatency: %d models, %v", len(got.Models), err)
				}
			}
			b.ReportMetric(float64(rows), "rows")
		})
	}
}

// both are the sources of the queries rollups can answer.
var both = []string{store.SourceLog, store.SourceRollup}
