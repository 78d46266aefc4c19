package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
)

// partsMsg is userMsg with the text as a content part: another exact cache key, the same
// embedding (the mock's vectors depend on the text only).
func partsMsg(text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{Model: "fast", Messages: []openai.ChatCompletionMessageParamUnion{
		openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{openai.TextContentPart(text)})}}
}

// TestCacheSemanticHitThroughHNSWIndex runs the semantic cache with index: hnsw, where every
// entry goes to a graph built in the background: an answer stored a moment ago is found
// whether or not the builder has reached it (the index scans what the graph does not cover).
func TestCacheSemanticHitThroughHNSWIndex(t *testing.T) {
	cfg := defaultConfig + `
  - name: embed
    targets:
      - provider: mock
        model: text-embedding-3-small
cache:
  enabled: true
  semantic:
    model: embed
    threshold: 0.95
    index: hnsw
`
	g := start(t, cfg, time.Minute)
	client := g.client()
	questions := make([]string, 12)
	answers := make([]string, len(questions))
	for i := range questions {
		questions[i] = fmt.Sprintf("Question number %d: what is the capital of country %d?", i, i*7)
		content, h := cachedChat(t, client, userMsg(questions[i]))
		if h.Get("X-Sluice-Cache") != "miss" {
			t.Fatalf("question %d first time: x-sluice-cache = %q, want miss", i, h.Get("X-Sluice-Cache"))
		}
		answers[i] = content
	}
	// The same texts as content parts: exact misses, semantic hits.
	for i, q := range questions {
		content, h := cachedChat(t, client, partsMsg(q))
		if h.Get("X-Sluice-Cache") != "semantic-hit" || content != answers[i] {
			t.Errorf("question %d as content parts: x-sluice-cache %q, content %q; want semantic-hit, %q",
				i, h.Get("X-Sluice-Cache"), content, answers[i])
		}
	}
	if n := upstreamCalls(g, "/chat/completions"); n != len(questions) {
		t.Errorf("provider got %d chat requests, want %d", n, len(questions))
	}
}
