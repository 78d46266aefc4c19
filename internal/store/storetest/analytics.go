package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

var analyticsTests = []test{
	{"Analytics/GroupsByDimensionsAndMetadataTag", testAnalyticsGroups},
	{"Analytics/BucketsByHourDayMonth", testAnalyticsBuckets},
	{"Analytics/TopNAndFilters", testAnalyticsTopN},
	{"Analytics/RejectsUnknownDimension", testAnalyticsInvalid},
	{"Analytics/LatencyPercentilesPerModel", testAnalyticsPercentiles},
	{"RequestLog/ListFiltersByUserAndMetadata", testRequestLogUserMetadataFilter},
}

// analyticsLogs are 10 requests: 6 to model a (team t1, 2 of them failing), 4 to model b
// (team t2), tagged app=x or app=y, spread over two days.
func analyticsLogs() []store.RequestLog {
	var logs []store.RequestLog
	for i := range 10 {
		l := store.RequestLog{
			ID: fmt.Sprintf("req_an_%02d", i), At: logBase.Add(time.Duration(i) * 5 * time.Hour),
			Model: "a", Provider: "p1", TeamID: "t1", KeyID: "k1", UserID: "u1", Status: 200,
			PromptTokens: 10, CompletionTokens: 5, CostMicroUSD: 100, LatencyMs: int64(100 * (i + 1)),
			Metadata: map[string]string{"app": "x"},
		}
		if i >= 6 {
			l.Model, l.Provider, l.TeamID, l.KeyID, l.UserID = "b", "p2", "t2", "k2", "u2"
			l.CostMicroUSD = 1000
			l.Stream, l.TTFTMs = true, int64(10*i)
		}
		if i == 4 || i == 5 {
			l.Status, l.ErrorType, l.PromptTokens, l.CompletionTokens, l.CostMicroUSD = 502, "upstream_error", 0, 0, 0
		}
		if i%2 == 1 {
			l.Metadata = map[string]string{"app": "y"}
		}
		if i == 9 {
			l.Metadata = nil
		}
		logs = append(logs, l)
	}
	return logs
}

func analyze(t *testing.T, s store.Store, q store.AnalyticsQuery) []store.AnalyticsRow {
	t.Helper()
	rows, err := s.AnalyzeRequestLogs(ctx(t), q)
	if err != nil {
		t.Fatalf("AnalyzeRequestLogs(%+v): %v", q, err)
	}
	return rows
}

func testAnalyticsGroups(t *testing.T, s store.Store) {
	insertLogs(t, s, analyticsLogs()...)
	if rows := analyze(t, s, store.AnalyticsQuery{Filter: store.RequestLogFilter{Until: logBase}}); len(rows) != 0 {
		t.Errorf("AnalyzeRequestLogs over no logs = %+v, want none", rows)
	}
	total := analyze(t, s, store.AnalyticsQuery{})
	want := []store.AnalyticsRow{{Requests: 10, Errors: 2, PromptTokens: 80, CompletionTokens: 40, CostMicroUSD: 4400, LatencyMsTotal: 5500}}
	if !reflect.DeepEqual(total, want) {
		t.Errorf("AnalyzeRequestLogs(no groups) = %+v, want %+v", total, want)
	}
	byModel := analyze(t, s, store.AnalyticsQuery{GroupBy: []string{store.DimModel, store.DimTeam}})
	want = []store.AnalyticsRow{
		{Group: []string{"a", "t1"}, Requests: 6, Errors: 2, PromptTokens: 40, CompletionTokens: 20, CostMicroUSD: 400, LatencyMsTotal: 2100},
		{Group: []string{"b", "t2"}, Requests: 4, PromptTokens: 40, CompletionTokens: 20, CostMicroUSD: 4000, LatencyMsTotal: 3400},
	}
	if !reflect.DeepEqual(byModel, want) {
		t.Errorf("AnalyzeRequestLogs(by model, team) = %+v, want %+v", byModel, want)
	}
	byTag := analyze(t, s, store.AnalyticsQuery{GroupBy: []string{"metadata.app"}, OrderBy: store.OrderCost})
	var got []string
	for _, r := range byTag {
		got = append(got, fmt.Sprintf("%s:%d:%d", r.Group[0], r.Requests, r.CostMicroUSD))
	}
	// x: i=0,2,4,6,8 (cost 100+100+0+1000+1000); y: i=1,3,5,7; untagged: i=9.
	if want := []string{"x:5:2200", "y:4:1200", ":1:1000"}; !reflect.DeepEqual(got, want) {
		t.Errorf("AnalyzeRequestLogs(by metadata.app, order cost) = %v, want %v", got, want)
	}
}

func testAnalyticsBuckets(t *testing.T, s store.Store) {
	insertLogs(t, s, analyticsLogs()...)
	// logBase is 2026-01-02 03:04; logs every 5 hours up to +45h: on 01-02 i=0..4, on
	// 01-03 i=5..8, on 01-04 i=9.
	days := analyze(t, s, store.AnalyticsQuery{Bucket: store.BucketDay})
	var got []string
	for _, r := range days {
		got = append(got, fmt.Sprintf("%s:%d", r.Bucket.Format(time.RFC3339), r.Requests))
	}
	if want := []string{"2026-01-02T00:00:00Z:5", "2026-01-03T00:00:00Z:4", "2026-01-04T00:00:00Z:1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("AnalyzeRequestLogs(bucket day) = %v, want %v", got, want)
	}
	hours := analyze(t, s, store.AnalyticsQuery{Bucket: store.BucketHour, Filter: store.RequestLogFilter{Model: "b"}})
	if len(hours) != 4 || !hours[0].Bucket.Equal(time.Date(2026, 1, 3, 9, 0, 0, 0, time.UTC)) {
		t.Errorf("AnalyzeRequestLogs(bucket hour, model b) = %+v, want 4 buckets from 2026-01-03T09:00Z", hours)
	}
	months := analyze(t, s, store.AnalyticsQuery{Bucket: store.BucketMonth, GroupBy: []string{store.DimProvider}})
	got = got[:0]
	for _, r := range months {
		got = append(got, fmt.Sprintf("%s:%s:%d", r.Bucket.Format(time.RFC3339), r.Group[0], r.Requests))
	}
	if want := []string{"2026-01-01T00:00:00Z:p1:6", "2026-01-01T00:00:00Z:p2:4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("AnalyzeRequestLogs(bucket month, by provider) = %v, want %v", got, want)
	}
}

func testAnalyticsTopN(t *testing.T, s store.Store) {
	insertLogs(t, s, analyticsLogs()...)
	top := analyze(t, s, store.AnalyticsQuery{GroupBy: []string{store.DimKey}, OrderBy: store.OrderCost, Limit: 1})
	if len(top) != 1 || top[0].Group[0] != "k2" {
		t.Errorf("top 1 key by cost = %+v, want k2", top)
	}
	errs := analyze(t, s, store.AnalyticsQuery{GroupBy: []string{store.DimErrorType},
		Filter: store.RequestLogFilter{Metadata: map[string]string{"app": "x"}}, OrderBy: store.OrderErrors})
	if len(errs) != 2 || errs[0].Group[0] != "upstream_error" || errs[0].Errors != 1 || errs[1].Requests != 4 {
		t.Errorf("errors by type among app=x = %+v, want upstream_error:1 then the 4 successes", errs)
	}
	byUser := analyze(t, s, store.AnalyticsQuery{GroupBy: []string{store.DimStatus}, Filter: store.RequestLogFilter{UserID: "u1"}})
	if len(byUser) != 2 || byUser[0].Group[0] != "200" || byUser[0].Requests != 4 || byUser[1].Group[0] != "502" {
		t.Errorf("user u1 by status = %+v, want 200:4 then 502:2", byUser)
	}
}

func testAnalyticsInvalid(t *testing.T, s store.Store) {
	for _, q := range []store.AnalyticsQuery{
		{GroupBy: []string{"password"}},
		{GroupBy: []string{"metadata.a'b"}},
		{Bucket: "week"},
		{OrderBy: "latency"},
		{Filter: store.RequestLogFilter{Metadata: map[string]string{"x') OR 1=1 --": "v"}}},
	} {
		if _, err := s.AnalyzeRequestLogs(ctx(t), q); !errors.Is(err, store.ErrInvalid) {
			t.Errorf("AnalyzeRequestLogs(%+v) = %v, want ErrInvalid", q, err)
		}
	}
}

func testAnalyticsPercentiles(t *testing.T, s store.Store) {
	insertLogs(t, s, analyticsLogs()...)
	got, err := s.RequestLogLatency(ctx(t), store.RequestLogFilter{})
	if err != nil {
		t.Fatalf("RequestLogLatency: %v", err)
	}
	// a: latencies 100..600 (n=6): p50 = rank 3 = 300, p90 = rank 6 (5.4 up) = 600.
	// b: 700..1000 (n=4): p50 = rank 2 = 800; ttft 60..90: p50 = 70, p99 = 90.
	want := []store.ModelLatency{
		{Model: "a", Requests: 6, LatencyP50: 300, LatencyP90: 600, LatencyP99: 600},
		{Model: "b", Requests: 4, LatencyP50: 800, LatencyP90: 1000, LatencyP99: 1000, Streams: 4, TTFTP50: 70, TTFTP90: 90, TTFTP99: 90},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("RequestLogLatency = %+v, want %+v", got, want)
	}
}

func testRequestLogUserMetadataFilter(t *testing.T, s store.Store) {
	insertLogs(t, s, analyticsLogs()...)
	var ids []string
	for _, l := range listLogs(t, s, store.RequestLogFilter{UserID: "u2", Metadata: map[string]string{"app": "y"}}) {
		ids = append(ids, l.ID)
	}
	if want := []string{"req_an_07"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("ListRequestLogs(user u2, app=y) = %v, want %v", ids, want)
	}
}
