package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/cache"
)

// countingUpstream is cannedUpstream that counts the requests reaching it.
type countingUpstream struct {
	cannedUpstream
	n *atomic.Int64
}

func (c countingUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.cannedUpstream.RoundTrip(r)
}

func cacheGateway(tb testing.TB) (http.Handler, *atomic.Int64) {
	tb.Helper()
	n := new(atomic.Int64)
	up := countingUpstream{cannedUpstream{body: []byte(benchResponse), stream: benchStream(16)}, n}
	table := fastRoutes(tb, up)
	c := cache.New(cache.Options{Backend: cache.NewMemory(16 << 20), TTL: time.Hour, MaxTTL: time.Hour, MaxEntryBytes: 1 << 20})
	g := New(&Snapshot{Routes: table, MaxBodyBytes: 4 << 20}, slog.New(slog.DiscardHandler), WithCache(c))
	mux := http.NewServeMux()
	g.Register(mux)
	return mux, n
}

func serveCacheReq(h http.Handler, body string, header ...string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body))
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func TestCachedStreamReplaysAsSSE(t *testing.T) {
	h, upstream := cacheGateway(t)
	stream := strings.Replace(benchRequest, `"model":"fast"`, `"model":"fast","stream":true,"stream_options":{"include_usage":true}`, 1)
	if w := serveCacheReq(h, benchRequest); w.Code != 200 || w.Header().Get("X-Sluice-Cache") != "miss" {
		t.Fatalf("first request: %d, x-sluice-cache %q: %s", w.Code, w.Header().Get("X-Sluice-Cache"), w.Body)
	}
	w := serveCacheReq(h, stream)
	if w.Header().Get("X-Sluice-Cache") != "hit" || upstream.Load() != 1 {
		t.Fatalf("stream of a cached request: x-sluice-cache %q, upstream calls %d; want hit, 1", w.Header().Get("X-Sluice-Cache"), upstream.Load())
	}
	want := `data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}],"system_fingerprint":"fp_44709d6fcb","service_tier":"default"}

data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"content":"Hello! How can I assist you today? I am a fairly short answer of some sixteen tokens."},"finish_reason":null}],"system_fingerprint":"fp_44709d6fcb","service_tier":"default"}

data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"system_fingerprint":"fp_44709d6fcb","service_tier":"default"}

data: {"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion.chunk","created":1741569952,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":16,"total_tokens":35,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"system_fingerprint":"fp_44709d6fcb","service_tier":"default"}

data: [DONE]

`
	if got := w.Body.String(); got != want {
		t.Errorf("replayed stream =\n%s\nwant\n%s", got, want)
	}
	if ct := w.Header().Get("Content-Type"); ct != "text/event-stream" {
		t.Errorf("Content-Type = %q, want text/event-stream", ct)
	}
}

func TestCachePolicyHeaders(t *testing.T) {
	cc := cache.New(cache.Options{TTL: time.Hour, MaxTTL: 2 * time.Hour})
	for _, tc := range []struct {
		headers       []string
		lookup, store bool
		ttl           time.Duration
		err           bool
	}{
		{nil, true, true, time.Hour, false},
		{[]string{"Cache-Control", "no-cache"}, false, true, time.Hour, false},
		{[]string{"Cache-Control", "max-age=0, No-Store"}, false, false, time.Hour, false},
		{[]string{"X-Sluice-Cache-Ttl", "90"}, true, true, 90 * time.Second, false},
		{[]string{"X-Sluice-Cache-Ttl", "15m"}, true, true, 15 * time.Minute, false},
		{[]string{"X-Sluice-Cache-Ttl", "3h"}, false, false, 0, true},
		{[]string{"X-Sluice-Cache-Ttl", "-5s"}, false, false, 0, true},
		{[]string{"X-Sluice-Cache-Ttl", "later"}, false, false, 0, true},
	} {
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		for i := 0; i+1 < len(tc.headers); i += 2 {
			r.Header.Set(tc.headers[i], tc.headers[i+1])
		}
		lookup, store, ttl, err := cachePolicy(r, cc)
		if (err != nil) != tc.err || (!tc.err && (lookup != tc.lookup || store != tc.store || ttl != tc.ttl)) {
			t.Errorf("cachePolicy(%v) = %v, %v, %v, %v; want %v, %v, %v, error %v", tc.headers, lookup, store, ttl, err, tc.lookup, tc.store, tc.ttl, tc.err)
		}
	}
}

func TestCacheNamespace(t *testing.T) {
	for _, tc := range []struct {
		p    auth.Principal
		want string
	}{
		{auth.Principal{Kind: auth.KindKey, KeyID: "k1", TeamID: "t1"}, "team:t1"},
		{auth.Principal{Kind: auth.KindKey, KeyID: "k1"}, "key:k1"},
		{auth.Principal{Kind: auth.KindJWT, UserID: "u1"}, "user:u1"},
		{auth.Principal{Kind: auth.KindMaster}, "kind:master"},
		{auth.Principal{Kind: auth.KindAnonymous}, "kind:anonymous"},
	} {
		if got := cacheNamespace(&tc.p); got != tc.want {
			t.Errorf("cacheNamespace(%+v) = %q, want %q", tc.p, got, tc.want)
		}
	}
}

func runCachedBench(b *testing.B, body string) {
	h, upstream := cacheGateway(b)
	if w := serveCacheReq(h, body); w.Code != 200 {
		b.Fatalf("warm-up: %d %s", w.Code, w.Body)
	}
	req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		req.Body = io.NopCloser(strings.NewReader(body))
		clear(w.h)
		h.ServeHTTP(w, req)
		if w.status != 200 {
			b.Fatalf("status %d", w.status)
		}
	}
	if upstream.Load() != 1 {
		b.Fatalf("upstream called %d times, want 1 (every iteration a hit)", upstream.Load())
	}
}

// BenchmarkChatCacheHit is the whole non-streaming request path answered from the memory cache.
func BenchmarkChatCacheHit(b *testing.B) { runCachedBench(b, benchRequest) }

// BenchmarkChatStreamCacheHit replays a cached answer as a stream.
func BenchmarkChatStreamCacheHit(b *testing.B) {
	runCachedBench(b, strings.Replace(benchRequest, `"model":"fast"`, `"model":"fast","stream":true`, 1))
}
