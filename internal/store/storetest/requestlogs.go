package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

var requestLogTests = []test{
	{"RequestLog/InsertKeepsEveryFieldAndLeavesVersion", testRequestLogInsert},
	{"RequestLog/InsertIsAllOrNoneAndIdempotent", testRequestLogInsertAtomic},
	{"RequestLog/LargeBatchSpansStatements", testRequestLogLargeBatch},
	{"RequestLog/ListFilters", testRequestLogFilters},
	{"RequestLog/PagesByTimeThenID", testRequestLogPaging},
	{"RequestLog/DeleteBeforeForRetention", testRequestLogRetention},
}

// logBase is the time the request-log tests place their logs around, in the past so
// Since/Until filters are exact and "now" never interferes.
var logBase = time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC)

// mkLog returns a log with every field set, distinct per i.
func mkLog(i int) store.RequestLog {
	return store.RequestLog{
		ID: fmt.Sprintf("req_%06d", i), At: logBase.Add(time.Duration(i) * time.Second),
		KeyID: "key_a", UserID: "user_a", TeamID: "team_a", ProjectID: "proj_a",
		Model: "gpt-4o", Provider: "openai", UpstreamModel: "gpt-4o-2024-08-06", Route: "default",
		Attempts: 2, Fallback: true, Status: 200, ErrorType: "", ErrorCode: "",
		PromptTokens: 100 + int64(i), CompletionTokens: 50, CachedTokens: 10, CacheCreationTokens: 5,
		ReasoningTokens: 7, TokensEstimated: true, CostMicroUSD: 1234, LatencyMs: 850, TTFTMs: 120,
		Stream: true, CacheResult: "miss", Metadata: map[string]string{"env": "prod", "feature": "chat"},
		TraceID:    "4bf92f3577b34da6a3ce929d0e0e4736",
		Guardrails: []store.GuardrailVerdict{{Rule: "pii", Type: "EMAIL", Action: "redact", Stage: "input", Count: 2}},
	}
}

func insertLogs(t testing.TB, s store.Store, logs ...store.RequestLog) {
	t.Helper()
	if err := s.InsertRequestLogs(ctx(t), logs); err != nil {
		t.Fatalf("InsertRequestLogs(%d logs): %v", len(logs), err)
	}
}

func listLogs(t testing.TB, s store.Store, f store.RequestLogFilter) []store.RequestLog {
	t.Helper()
	p, err := s.ListRequestLogs(ctx(t), f, store.ListOptions{Limit: store.MaxLimit})
	if err != nil {
		t.Fatalf("ListRequestLogs(%+v): %v", f, err)
	}
	if p.Next != "" {
		t.Fatalf("ListRequestLogs(%+v): more than one page", f)
	}
	return p.Items
}

func logID(l store.RequestLog) string { return l.ID }

func testRequestLogInsert(t *testing.T, s store.Store) {
	v0 := version(t, s)
	full := mkLog(1)
	full.At = time.Date(2026, 1, 2, 3, 4, 5, 678901234, time.FixedZone("x", 3600)) // kept as UTC micros
	bare := store.RequestLog{ID: "req_bare", Status: 502, ErrorType: "upstream_error", ErrorCode: "timeout"}
	insertLogs(t, s, full, bare)
	if v := version(t, s); v != v0 {
		t.Fatalf("Version after InsertRequestLogs = %d, want %d unchanged", v, v0)
	}
	got := listLogs(t, s, store.RequestLogFilter{})
	if len(got) != 2 {
		t.Fatalf("ListRequestLogs = %d logs, want 2", len(got))
	}
	want := full
	want.At = full.At.UTC().Truncate(time.Microsecond)
	wantEqual(t, "ListRequestLogs[0]", got[0], want)
	wantRecent(t, "InsertRequestLogs filled At", got[1].At)
	wantBare := bare
	wantBare.At = got[1].At
	wantEqual(t, "ListRequestLogs[1]", got[1], wantBare)

	insertLogs(t, s) // an empty batch is a no-op
	if _, err := s.DeleteRequestLogsBefore(ctx(t), time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("DeleteRequestLogsBefore: %v", err)
	}
	if v := version(t, s); v != v0 {
		t.Fatalf("Version after DeleteRequestLogsBefore = %d, want %d unchanged", v, v0)
	}
}

func testRequestLogInsertAtomic(t *testing.T, s store.Store) {
	err := s.InsertRequestLogs(ctx(t), []store.RequestLog{mkLog(1), {}})
	wantErrMentions(t, "InsertRequestLogs(empty ID)", err, store.ErrInvalid, "id")
	if got := listLogs(t, s, store.RequestLogFilter{}); len(got) != 0 {
		t.Fatalf("after a rejected batch ListRequestLogs = %v, want none", ids(got, logID))
	}
	insertLogs(t, s, mkLog(1), mkLog(2))
	again := mkLog(2)
	again.Status = 500
	insertLogs(t, s, again, mkLog(3)) // a retried batch: the stored log wins
	got := listLogs(t, s, store.RequestLogFilter{})
	wantEqual(t, "ListRequestLogs IDs", ids(got, logID), []string{"req_000001", "req_000002", "req_000003"})
	if got[1].Status != 200 {
		t.Fatalf("re-inserted log Status = %d, want the first insert's 200", got[1].Status)
	}
}

func testRequestLogLargeBatch(t *testing.T, s store.Store) {
	const n = 1234 // several statements, the last one partial
	logs := make([]store.RequestLog, n)
	for i := range logs {
		logs[i] = mkLog(i)
	}
	insertLogs(t, s, logs...)
	var seen int
	opts := store.ListOptions{Limit: store.MaxLimit}
	for {
		p, err := s.ListRequestLogs(ctx(t), store.RequestLogFilter{}, opts)
		wantErr(t, "ListRequestLogs", err, nil)
		for _, l := range p.Items {
			if want := fmt.Sprintf("req_%06d", seen); l.ID != want {
				t.Fatalf("log %d ID = %q, want %q", seen, l.ID, want)
			}
			seen++
		}
		if p.Next == "" {
			break
		}
		opts.After = p.Next
	}
	if seen != n {
		t.Fatalf("listed %d logs, want %d", seen, n)
	}
}

func testRequestLogFilters(t *testing.T, s store.Store) {
	var logs []store.RequestLog
	for i := range 8 {
		l := mkLog(i)
		if i%2 == 1 {
			l.KeyID, l.TeamID = "key_b", "team_b"
		}
		if i >= 4 {
			l.Model, l.Provider = "claude-sonnet", "anthropic"
		}
		if i == 6 || i == 7 {
			l.Status, l.ErrorType = 429, "rate_limit_error"
		}
		logs = append(logs, l)
	}
	insertLogs(t, s, logs...)
	at := func(i int) time.Time { return logBase.Add(time.Duration(i) * time.Second) }
	for _, tc := range []struct {
		name string
		f    store.RequestLogFilter
		want []int
	}{
		{"none", store.RequestLogFilter{}, []int{0, 1, 2, 3, 4, 5, 6, 7}},
		{"since inclusive", store.RequestLogFilter{Since: at(5)}, []int{5, 6, 7}},
		{"until exclusive", store.RequestLogFilter{Until: at(2)}, []int{0, 1}},
		{"since and until", store.RequestLogFilter{Since: at(2), Until: at(4)}, []int{2, 3}},
		{"key", store.RequestLogFilter{KeyID: "key_b"}, []int{1, 3, 5, 7}},
		{"team", store.RequestLogFilter{TeamID: "team_a"}, []int{0, 2, 4, 6}},
		{"model", store.RequestLogFilter{Model: "claude-sonnet"}, []int{4, 5, 6, 7}},
		{"provider", store.RequestLogFilter{Provider: "openai"}, []int{0, 1, 2, 3}},
		{"status", store.RequestLogFilter{Status: 429}, []int{6, 7}},
		{"error type", store.RequestLogFilter{ErrorType: "rate_limit_error"}, []int{6, 7}},
		{"combined", store.RequestLogFilter{TeamID: "team_b", Provider: "anthropic", Status: 200}, []int{5}},
		{"no match", store.RequestLogFilter{KeyID: "key_none"}, nil},
	} {
		var want []string
		for _, i := range tc.want {
			want = append(want, logs[i].ID)
		}
		wantEqual(t, "ListRequestLogs("+tc.name+")", ids(listLogs(t, s, tc.f), logID), want)
	}
}

func testRequestLogPaging(t *testing.T, s store.Store) {
	// IDs run against time, and two logs share an instant, so only (at, id) order works.
	logs := []store.RequestLog{
		{ID: "req_z", At: logBase}, {ID: "req_y", At: logBase.Add(time.Second)},
		{ID: "req_b", At: logBase.Add(2 * time.Second)}, {ID: "req_a", At: logBase.Add(2 * time.Second)},
		{ID: "req_0", At: logBase.Add(3 * time.Second)},
	}
	insertLogs(t, s, logs...)
	var got []string
	opts := store.ListOptions{Limit: 2}
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatalf("ListRequestLogs did not end after 3 pages")
		}
		p, err := s.ListRequestLogs(ctx(t), store.RequestLogFilter{}, opts)
		wantErr(t, "ListRequestLogs(limit 2)", err, nil)
		got = append(got, ids(p.Items, logID)...)
		if p.Next == "" {
			break
		}
		opts.After = p.Next
	}
	wantEqual(t, "paged IDs", got, []string{"req_z", "req_y", "req_a", "req_b", "req_0"})

	_, err := s.ListRequestLogs(ctx(t), store.RequestLogFilter{}, store.ListOptions{After: "not-a-cursor"})
	wantErr(t, "ListRequestLogs(bad cursor)", err, store.ErrInvalid)
	_, err = s.ListRequestLogs(ctx(t), store.RequestLogFilter{}, store.ListOptions{Limit: -1})
	wantErr(t, "ListRequestLogs(limit -1)", err, store.ErrInvalid)
}

func testRequestLogRetention(t *testing.T, s store.Store) {
	var logs []store.RequestLog
	for i := range 10 {
		logs = append(logs, mkLog(i))
	}
	insertLogs(t, s, logs...)
	n, err := s.DeleteRequestLogsBefore(ctx(t), logBase.Add(4*time.Second))
	if err != nil || n != 4 {
		t.Fatalf("DeleteRequestLogsBefore(base+4s) = %d, %v; want 4", n, err)
	}
	wantEqual(t, "ListRequestLogs after delete", ids(listLogs(t, s, store.RequestLogFilter{}), logID),
		ids(logs[4:], logID))
	n, err = s.DeleteRequestLogsBefore(ctx(t), logBase.Add(4*time.Second))
	if err != nil || n != 0 {
		t.Fatalf("DeleteRequestLogsBefore again = %d, %v; want 0", n, err)
	}
	n, err = s.DeleteRequestLogsBefore(ctx(t), logBase.Add(time.Hour))
	if err != nil || n != 6 {
		t.Fatalf("DeleteRequestLogsBefore(base+1h) = %d, %v; want 6", n, err)
	}
}

// benchInsertRequestLogs writes batches of 1000 logs, the usage Recorder's default, and
// reports records per second.
func benchInsertRequestLogs(b *testing.B) func(s store.Store) {
	return func(s store.Store) {
		const batch = 1000
		logs := make([]store.RequestLog, batch)
		n := 0
		for b.Loop() {
			for i := range logs {
				logs[i] = mkLog(n)
				logs[i].ID = fmt.Sprintf("req_%09d", n)
				n++
			}
			if err := s.InsertRequestLogs(b.Context(), logs); err != nil {
				b.Fatalf("InsertRequestLogs: %v", err)
			}
		}
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "records/s")
	}
}
