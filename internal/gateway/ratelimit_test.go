package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/ratelimit"
)

func TestOpenAIDurationFormat(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "0s"}, {time.Nanosecond, "1ms"}, {20 * time.Millisecond, "20ms"}, {time.Second, "1s"},
		{1500 * time.Millisecond, "1.5s"}, {6 * time.Minute, "6m0s"}, {90*time.Second + 250*time.Millisecond, "1m30.25s"},
		{2*time.Hour + time.Second, "2h0m1s"},
	} {
		if got := string(appendOpenAIDuration(nil, tc.d)); got != tc.want {
			t.Errorf("appendOpenAIDuration(%s) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestRateLimitHeadersReportOnlyLimitsThatApply(t *testing.T) {
	h := http.Header{}
	setRateLimitHeaders(h, &ratelimit.Status{RequestLimit: 60, RequestRemaining: 59, RequestReset: time.Second})
	if h.Get("X-Ratelimit-Limit-Requests") != "60" || h.Get("X-Ratelimit-Remaining-Requests") != "59" || h.Get("X-Ratelimit-Reset-Requests") != "1s" {
		t.Fatalf("request headers: %v", h)
	}
	if _, ok := h["X-Ratelimit-Limit-Tokens"]; ok {
		t.Fatalf("token headers without a token limit: %v", h)
	}
	h = http.Header{}
	setRateLimitHeaders(h, &ratelimit.Status{TokenLimit: 150000, TokenRemaining: 149984, TokenReset: 6 * time.Millisecond})
	if h.Get("X-Ratelimit-Limit-Tokens") != "150000" || h.Get("X-Ratelimit-Remaining-Tokens") != "149984" || h.Get("X-Ratelimit-Reset-Tokens") != "6ms" {
		t.Fatalf("token headers: %v", h)
	}
	if _, ok := h["X-Ratelimit-Limit-Requests"]; ok {
		t.Fatalf("request headers without a request limit: %v", h)
	}
}

func TestChatTokensEstimate(t *testing.T) {
	mt := 100
	req := &api.ChatRequest{Messages: []api.Message{{Role: "user", Content: api.TextContent(strings.Repeat("x", 400))}}, MaxTokens: &mt}
	if got := chatTokens(req); got != 201 {
		t.Fatalf("chatTokens(400 chars, max_tokens 100) = %d, want 201", got)
	}
}

// keyAuth authenticates every request as one key, as the in-memory key index does.
type keyAuth struct{ p *auth.Principal }

func (a keyAuth) Authenticate(*http.Request) (*auth.Principal, error) { return a.p, nil }

// BenchmarkChatCompletionRateLimited is the whole request path with key, team and model
// limits checked and settled and the x-ratelimit headers written; compare with
// BenchmarkChatCompletion.
func BenchmarkChatCompletionRateLimited(b *testing.B) {
	h := benchRateLimitedGateway(b)
	req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		req.Body = io.NopCloser(strings.NewReader(benchRequest))
		clear(w.h)
		h.ServeHTTP(w, req)
		if w.status != 200 || w.h.Get("X-Ratelimit-Limit-Requests") == "" {
			b.Fatalf("status %d headers %v", w.status, w.h)
		}
	}
}

// benchRateLimitedGateway is benchGateway's canned upstream behind an authenticated key with
// key, team and model limits that never refuse.
func benchRateLimitedGateway(b *testing.B) http.Handler {
	up := cannedUpstream{body: []byte(benchResponse), stream: benchStream(16)}
	table := fastRoutes(b, up)
	snap := &Snapshot{Routes: table, MaxBodyBytes: 4 << 20, RateLimits: &ratelimit.Policy{
		Default: ratelimit.Limits{Concurrency: 1 << 20},
		Teams:   map[string]ratelimit.Limits{"ml": {RPM: 1 << 40, TPM: 1 << 50}},
		Models:  map[string]ratelimit.Limits{"fast": {RPM: 1 << 40}},
	}}
	p := &auth.Principal{Kind: auth.KindKey, KeyID: "key_bench", TeamName: "ml", RPM: 1 << 40, TPM: 1 << 50}
	g := New(snap, slog.New(slog.DiscardHandler), WithAuth(keyAuth{p}), WithRateLimiter(ratelimit.New()))
	mux := http.NewServeMux()
	g.Register(mux)
	return mux
}
