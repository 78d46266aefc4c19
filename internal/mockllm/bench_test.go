package mockllm

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Handler cost per request, without the network: what bounds the mock's throughput under load.
func BenchmarkServeHTTP(b *testing.B) {
	s := New(Options{})
	benches := []struct{ name, path, body string }{
		{"chat", "/v1/chat/completions", `{"model":"gpt-4o","messages":[{"role":"user","content":"hello there"}]}`},
		{"chat stream", "/v1/chat/completions", `{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello there"}]}`},
		{"embeddings", "/v1/embeddings", `{"model":"text-embedding-3-small","input":"hello there"}`},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, httptest.NewRequest(http.MethodPost, bb.path, strings.NewReader(bb.body)))
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
