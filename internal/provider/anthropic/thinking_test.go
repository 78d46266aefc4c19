package anthropic

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
)

func TestReasoningEffortBecomesAThinkingBudget(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		thinking   map[string]any // nil: no thinking member
		maxTokens  float64
	}{
		{"no effort", `{"model":"m",` + hello + `}`, nil, defaultMaxTokens},
		{"none", `{"model":"m","reasoning_effort":"none",` + hello + `}`, nil, defaultMaxTokens},
		{"low without a limit gets room for the answer", `{"model":"m","reasoning_effort":"low",` + hello + `}`,
			map[string]any{"type": "enabled", "budget_tokens": 1024.0}, 1024 + defaultMaxTokens},
		{"high under a roomy limit", `{"model":"m","reasoning_effort":"high","max_completion_tokens":10000,` + hello + `}`,
			map[string]any{"type": "enabled", "budget_tokens": 4096.0}, 10000},
		{"high clamped under a tight limit", `{"model":"m","reasoning_effort":"high","max_tokens":3000,` + hello + `}`,
			map[string]any{"type": "enabled", "budget_tokens": 2999.0}, 3000},
		{"thinking object wins and goes as given", `{"model":"m","reasoning_effort":"high","max_tokens":3000,"thinking":{"type":"adaptive","display":"omitted"},` + hello + `}`,
			map[string]any{"type": "adaptive", "display": "omitted"}, 3000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := upstreamBody(t, tc.body)
			got, _ := body["thinking"].(map[string]any)
			if !reflect.DeepEqual(got, tc.thinking) || body["max_tokens"] != tc.maxTokens {
				t.Errorf("NewChatRequest(%s): thinking %v max_tokens %v, want %v and %v", tc.body, body["thinking"], body["max_tokens"], tc.thinking, tc.maxTokens)
			}
		})
	}
}

func TestReasoningEffortRefusals(t *testing.T) {
	for _, body := range []string{
		`{"model":"m","reasoning_effort":"extreme",` + hello + `}`,
		`{"model":"m","reasoning_effort":"low","max_tokens":1024,` + hello + `}`,
	} {
		_, err := Adapter{}.NewChatRequest(context.Background(), testTarget(), parseRequest(t, body))
		var e *api.Error
		if !errors.As(err, &e) || e.Status != 400 || e.Param != "reasoning_effort" {
			t.Errorf("NewChatRequest(%s) = %v, want a 400 naming reasoning_effort", body, err)
		}
	}
}
