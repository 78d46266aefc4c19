package gateway

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/openai"
	"github.com/sluicehq/sluice/internal/router"
)

// cannedUpstream answers every request from memory, so benchmarks measure the gateway's own
// work: decode, resolve, translate, encode — no network, no provider.
type cannedUpstream struct{ body, stream []byte }

func (c cannedUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	_ = r.Body.Close()
	body, ctype := c.body, "application/json"
	if r.Header.Get("Accept") == "text/event-stream" {
		body, ctype = c.stream, "text/event-stream"
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {ctype}},
		Body: io.NopCloser(bytes.NewReader(body)), Request: r}, nil
}

const benchResponse = `{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I assist you today? I am a fairly short answer of some sixteen tokens.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":16,"total_tokens":35,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_44709d6fcb"}`

const benchRequest = `{"model":"fast","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Hello! Please answer briefly."}],"temperature":0.2,"max_tokens":64}`

func benchStream(tokens int) []byte {
	var b strings.Builder
	chunk := func(delta, finish string) {
		b.WriteString(`data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":` + delta + `,"logprobs":null,"finish_reason":` + finish + `}]}` + "\n\n")
	}
	chunk(`{"role":"assistant","content":""}`, "null")
	for range tokens {
		chunk(`{"content":" token"}`, "null")
	}
	chunk(`{}`, `"stop"`)
	b.WriteString(`data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":16,"total_tokens":35}}` + "\n\n")
	b.WriteString("data: [DONE]\n\n")
	return []byte(b.String())
}

// fastRoutes compiles a routing table whose route "fast" leads to up, an upstream answering
// from memory.
func fastRoutes(tb testing.TB, up http.RoundTripper) *router.Table {
	tb.Helper()
	cfg, src, err := config.Parse([]byte(`
providers:
  up: {type: openai, base_url: "http://upstream.invalid/v1", api_key: k}
models:
  - name: fast
    targets: [{provider: up, model: gpt-4o-mini}]
`), "test.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		tb.Fatal(err)
	}
	table, err := router.Compile(cfg, src, provider.NewRegistry(openai.Format()),
		router.WithTransport(func(http.RoundTripper) http.RoundTripper { return up }))
	if err != nil {
		tb.Fatal(err)
	}
	return table
}

func benchGateway(b testing.TB) http.Handler {
	b.Helper()
	up := cannedUpstream{body: []byte(benchResponse), stream: benchStream(16)}
	table := fastRoutes(b, up)
	g := New(&Snapshot{Routes: table, MaxBodyBytes: 4 << 20}, slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	g.Register(mux)
	return mux
}

// discardWriter is a ResponseWriter that flushes, like a real connection, and keeps nothing.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *discardWriter) WriteHeader(s int)           { w.status = s }
func (w *discardWriter) Flush()                      {}

func runBench(b *testing.B, body string) {
	h := benchGateway(b)
	req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req.Body = io.NopCloser(strings.NewReader(body))
		clear(w.h)
		h.ServeHTTP(w, req)
		if w.status != 200 {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkChatCompletion is the gateway's whole non-streaming request path per request.
func BenchmarkChatCompletion(b *testing.B) { runBench(b, benchRequest) }

// BenchmarkChatStream relays a 16-token stream (19 events) per iteration.
func BenchmarkChatStream(b *testing.B) {
	runBench(b, strings.Replace(benchRequest, `"model":"fast"`, `"model":"fast","stream":true`, 1))
}
