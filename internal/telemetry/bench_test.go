package telemetry

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/store"
)

// BenchmarkRequestHooks is what observation adds to each API request with tracing off: the
// in-flight gauge, the span middleware (with an incoming traceparent to extract), Finish
// (trace id into the record) and the metrics' Observe.
func BenchmarkRequestHooks(b *testing.B) {
	tr, err := NewTracing(context.Background(), config.Telemetry{}, "bench")
	if err != nil {
		b.Fatal(err)
	}
	m := New(nil)
	in := Instrumentation{Metrics: m, Tracing: tr}
	rec := store.RequestLog{ID: "req_1", Model: "fast", Provider: "openai", Route: "fast", Status: 200,
		LatencyMs: 120, PromptTokens: 10, CompletionTokens: 5, CostMicroUSD: 10}
	h := in.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := rec
		in.Finish(r.Context(), &r2)
		m.Observe(&r2)
	}))
	req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}

// BenchmarkRequestHooksNoTraceparent is BenchmarkRequestHooks for the common case of a
// request that carries no trace.
func BenchmarkRequestHooksNoTraceparent(b *testing.B) {
	tr, err := NewTracing(context.Background(), config.Telemetry{}, "bench")
	if err != nil {
		b.Fatal(err)
	}
	m := New(nil)
	in := Instrumentation{Metrics: m, Tracing: tr}
	rec := store.RequestLog{ID: "req_1", Model: "fast", Provider: "openai", Route: "fast", Status: 200,
		LatencyMs: 120, PromptTokens: 10, CompletionTokens: 5, CostMicroUSD: 10}
	h := in.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r2 := rec
		in.Finish(r.Context(), &r2)
		m.Observe(&r2)
	}))
	req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
}
