package telemetry

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/store"
)

type sink struct{ n int }

func (s *sink) Record(store.RequestLog) bool { s.n++; return true }

func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	b, _ := io.ReadAll(rec.Body)
	return string(b)
}

func TestObserveCountsRequestsTokensAndCost(t *testing.T) {
	m := New(nil)
	next := &sink{}
	r := Recorder{Metrics: m, Next: next}
	r.Record(store.RequestLog{Provider: "openai", Route: "fast", Status: 200, LatencyMs: 120, Stream: true, TTFTMs: 40,
		PromptTokens: 10, CompletionTokens: 5, CachedTokens: 2, CostMicroUSD: 1500, Fallback: true})
	r.Record(store.RequestLog{Provider: "openai", Route: "openai/made-up-model", Status: 502})
	r.Record(store.RequestLog{Route: "", Status: 401})
	if next.n != 3 {
		t.Fatalf("forwarded %d records, want 3", next.n)
	}
	out := scrape(t, m)
	for _, want := range []string{
		`sluice_requests_total{provider="openai",route="fast",status="200"} 1`,
		`sluice_requests_total{provider="openai",route="direct",status="502"} 1`,
		`sluice_requests_total{provider="none",route="none",status="401"} 1`,
		`sluice_tokens_total{kind="completion",provider="openai",route="fast"} 5`,
		`sluice_cost_usd_total{provider="openai",route="fast"} 0.0015`,
		`sluice_fallbacks_total{provider="openai",route="fast"} 1`,
		`sluice_time_to_first_token_seconds_count{provider="openai",route="fast"} 1`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(out, "made-up-model") {
		t.Errorf("a client-chosen model name became a label value")
	}
}

func TestErrorsUpstreamStatusesCacheAndInFlight(t *testing.T) {
	m := New(nil)
	m.Observe(&store.RequestLog{Provider: "openai", Route: "fast", Status: 429, ErrorCode: "rate_limited", CacheResult: "miss"})
	m.Observe(&store.RequestLog{Provider: "openai", Route: "fast", Status: 200, CacheResult: "hit"})
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer up.Close()
	client := &http.Client{Transport: m.Transport("openai", "openai", http.DefaultTransport)}
	resp, err := client.Get(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var during string
	h := m.InFlight(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { during = scrape(t, m) }))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", "/v1/chat/completions", nil))
	if !strings.Contains(during, "sluice_requests_in_flight 1") {
		t.Errorf("in-flight gauge during a request: want 1")
	}
	out := scrape(t, m)
	for _, want := range []string{
		`sluice_errors_total{code="rate_limited",provider="openai",route="fast"} 1`,
		`sluice_upstream_responses_total{provider="openai",status="503"} 1`,
		`sluice_cache_requests_total{result="hit"} 1`,
		`sluice_cache_requests_total{result="miss"} 1`,
		`sluice_requests_in_flight 0`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestTeamSeries(t *testing.T) {
	m := New(nil)
	m.Observe(&store.RequestLog{Provider: "openai", Route: "fast", Status: 200, TeamID: "team_ml", PromptTokens: 10, CompletionTokens: 5, CostMicroUSD: 2500})
	m.Observe(&store.RequestLog{Provider: "openai", Route: "fast", Status: 429, TeamID: "team_ml"})
	m.Observe(&store.RequestLog{Provider: "openai", Route: "fast", Status: 200})
	out := scrape(t, m)
	for _, want := range []string{
		`sluice_team_requests_total{class="2xx",team="team_ml"} 1`,
		`sluice_team_requests_total{class="4xx",team="team_ml"} 1`,
		`sluice_team_requests_total{class="2xx",team=""} 1`,
		`sluice_team_tokens_total{kind="completion",team="team_ml"} 5`,
		`sluice_team_cost_usd_total{team="team_ml"} 0.0025`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
