package bedrock

import (
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// TestThinkingOnlyForClaude: only Claude takes the thinking object; other models would refuse
// the unknown field, so they get none, as a provider without thinking.
func TestThinkingOnlyForClaude(t *testing.T) {
	body := `{"model":"m","reasoning_effort":"high","max_tokens":8000,"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"a","thinking_blocks":[{"type":"thinking","thinking":"t","signature":"s"}]},{"role":"user","content":"b"}]}`
	for _, tc := range []struct {
		model string
		want  string // additionalModelRequestFields, "" for none
	}{
		{"us.anthropic.claude-sonnet-4-5-20250929-v1:0", `{"thinking":{"type":"enabled","budget_tokens":4096}}`},
		{"amazon.nova-pro-v1:0", ""},
	} {
		var req api.ChatRequest
		if err := jsonx.Unmarshal([]byte(body), &req); err != nil {
			t.Fatal(err)
		}
		out, err := toConverse(tc.model, &req)
		if err != nil {
			t.Fatalf("toConverse(%s): %v", tc.model, err)
		}
		got := ""
		if out.AdditionalModelRequestFields != nil {
			b, _ := jsonx.Marshal(out.AdditionalModelRequestFields)
			got = string(b)
		}
		if sent := out.Messages[1].Content[0].ReasoningContent != nil; sent != (tc.want != "") {
			t.Errorf("toConverse(%s): thinking block sent = %v", tc.model, sent)
		}
		if got != tc.want || *out.InferenceConfig.MaxTokens != 8000 {
			t.Errorf("toConverse(%s): additionalModelRequestFields %s maxTokens %d, want %q and 8000", tc.model, got, *out.InferenceConfig.MaxTokens, tc.want)
		}
	}
}
