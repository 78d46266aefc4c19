package openai

import (
	"context"
	"encoding/json"
	"io"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

// TestClaudeThinkingIsNotForwarded: a thinking object written for Claude (through the
// Messages endpoint) does not reach an OpenAI-compatible server, which would refuse it; one a
// chat completions client sent does (see testdata/chat/thinking_history.txtar).
func TestClaudeThinkingIsNotForwarded(t *testing.T) {
	var req api.ChatRequest
	if err := jsonx.Unmarshal([]byte(`{"model":"fast","thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"user","content":"hi"}]}`), &req); err != nil {
		t.Fatal(err)
	}
	target := &provider.Target{Provider: "openai", Model: "gpt-4o-mini", BaseURL: "https://api.openai.com/v1", Adapter: Adapter{}}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want bool
	}{
		{"from chat completions", context.Background(), true},
		{"from the Messages endpoint", api.WithClaudeThinking(context.Background()), false},
	} {
		r, err := Adapter{}.NewChatRequest(tc.ctx, target, &req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		if err := json.Unmarshal(raw, &body); err != nil {
			t.Fatal(err)
		}
		if _, got := body["thinking"]; got != tc.want {
			t.Errorf("%s: upstream body %s has thinking = %v, want %v", tc.name, raw, got, tc.want)
		}
	}
}
