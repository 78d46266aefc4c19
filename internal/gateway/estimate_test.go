package gateway

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/tokens"
)

// keptRecords is a Recorder that keeps what it is given.
type keptRecords struct {
	mu   sync.Mutex
	recs []store.RequestLog
}

func (k *keptRecords) Record(r store.RequestLog) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.recs = append(k.recs, r)
	return true
}

// gatewayOver serves the route "fast" from a canned upstream, recording into rec.
func gatewayOver(t *testing.T, up http.RoundTripper, rec Recorder) http.Handler {
	t.Helper()
	table := fastRoutes(t, up)
	g := New(&Snapshot{Routes: table, MaxBodyBytes: 4 << 20}, slog.New(slog.DiscardHandler), WithRecorder(rec))
	mux := http.NewServeMux()
	g.Register(mux)
	return mux
}

// TestUsageIsEstimatedWhenTheProviderReportsNone: a server that sends no usage (many
// self-hosted ones) still leaves token counts in the log, counted with o200k and marked.
func TestUsageIsEstimatedWhenTheProviderReportsNone(t *testing.T) {
	noUsage := `{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello there, how are you today?"},"finish_reason":"stop"}]}`
	streamNoUsage := strings.Replace(string(benchStream(16)), `data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":19,"completion_tokens":16,"total_tokens":35}}`+"\n\n", "", 1)
	up := cannedUpstream{body: []byte(noUsage), stream: []byte(streamNoUsage)}
	var rec keptRecords
	h := gatewayOver(t, up, &rec)
	req := api.ChatRequest{Messages: []api.Message{{Role: "user", Content: api.TextContent("Hello! Please answer briefly.")}}}
	wantPrompt := tokens.Prompt(&req)
	for _, tc := range []struct {
		name, body     string
		wantCompletion int
	}{
		{"json", `{"model":"fast","messages":[{"role":"user","content":"Hello! Please answer briefly."}]}`,
			tokens.Text("Hello there, how are you today?")},
		{"stream", `{"model":"fast","stream":true,"messages":[{"role":"user","content":"Hello! Please answer briefly."}]}`,
			tokens.Text(strings.Repeat(" token", 16))},
	} {
		rec.recs = nil
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(tc.body)))
		if w.Code != 200 {
			t.Fatalf("%s: status %d: %s", tc.name, w.Code, w.Body)
		}
		if len(rec.recs) != 1 {
			t.Fatalf("%s: %d records, want 1", tc.name, len(rec.recs))
		}
		r := rec.recs[0]
		if !r.TokensEstimated || r.PromptTokens != int64(wantPrompt) || r.CompletionTokens != int64(tc.wantCompletion) {
			t.Errorf("%s: logged %d/%d estimated=%v, want %d/%d estimated", tc.name, r.PromptTokens, r.CompletionTokens,
				r.TokensEstimated, wantPrompt, tc.wantCompletion)
		}
	}
}

// TestProviderUsageIsNotEstimated: the provider's own figures are kept as they are.
func TestProviderUsageIsNotEstimated(t *testing.T) {
	var rec keptRecords
	h := gatewayOver(t, cannedUpstream{body: []byte(benchResponse), stream: benchStream(16)}, &rec)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(benchRequest)))
	if len(rec.recs) != 1 || rec.recs[0].TokensEstimated || rec.recs[0].PromptTokens != 19 || rec.recs[0].CompletionTokens != 16 {
		t.Fatalf("records = %+v, want the provider's 19/16, not estimated", rec.recs)
	}
}

// TestStreamedTextIsBounded: however long the answer, a stream keeps at most maxEstimateText
// bytes for its estimate and scales the count to the rest.
func TestStreamedTextIsBounded(t *testing.T) {
	var s streamedText
	piece := strings.Repeat("word ", 200) // 1000 bytes, 200 tokens
	for range 1000 {
		s.add(piece)
	}
	defer s.release()
	if len(*s.buf) != maxEstimateText || s.total != 1_000_000 {
		t.Fatalf("kept %d bytes of %d, want %d", len(*s.buf), s.total, maxEstimateText)
	}
	got, want := s.tokens(), 200_000
	if got < want*95/100 || got > want*105/100 {
		t.Errorf("tokens() = %d, want about %d (scaled from the kept text)", got, want)
	}
}

// BenchmarkStreamedText is the per-chunk cost of keeping text for an estimate.
func BenchmarkStreamedText(b *testing.B) {
	content := " token"
	chunk := &api.ChatChunk{Choices: []api.ChunkChoice{{Delta: api.Delta{Content: &content}}}}
	b.ReportAllocs()
	for b.Loop() {
		var s streamedText
		for range 16 {
			s.addChunk(chunk)
		}
		s.release()
	}
}

// TestEstimateCountsThinking: thinking is output the provider bills, so an estimate counts it.
func TestEstimateCountsThinking(t *testing.T) {
	body := `{"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Four.","reasoning_content":"Two plus two is four, a simple sum."},"finish_reason":"stop"}]}`
	stream := "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning_content\":\"Two plus two is four, a simple sum.\"},\"finish_reason\":null}]}\n\n" +
		"data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Four.\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n"
	var rec keptRecords
	h := gatewayOver(t, cannedUpstream{body: []byte(body), stream: []byte(stream)}, &rec)
	for _, req := range []string{
		`{"model":"fast","messages":[{"role":"user","content":"2+2?"}]}`,
		`{"model":"fast","stream":true,"messages":[{"role":"user","content":"2+2?"}]}`,
	} {
		rec.recs = nil
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(req)))
		if w.Code != 200 || len(rec.recs) != 1 {
			t.Fatalf("%s: status %d, %d records: %s", req, w.Code, len(rec.recs), w.Body)
		}
		want := tokens.Text("Four.") + tokens.Text("Two plus two is four, a simple sum.")
		if r := rec.recs[0]; !r.TokensEstimated || int(r.CompletionTokens) < want-1 || int(r.CompletionTokens) > want {
			t.Errorf("%s: logged %d completion tokens (estimated %v), want about %d with the thinking", req, r.CompletionTokens, r.TokensEstimated, want)
		}
	}
}
