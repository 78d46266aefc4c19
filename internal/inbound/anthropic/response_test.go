package anthropic

import (
	"errors"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

func TestFromChatResponse(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"text end_turn with cache usage",
			`{"id":"chatcmpl-abc","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"Hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":100,"completion_tokens":5,"total_tokens":105,"prompt_tokens_details":{"cached_tokens":60,"audio_tokens":0,"cache_creation_tokens":30}}}`,
			`{"id":"msg_abc","type":"message","role":"assistant","model":"gpt-4o","content":[{"type":"text","text":"Hello"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":5,"cache_creation_input_tokens":30,"cache_read_input_tokens":60}}`},
		{"tool calls",
			`{"id":"msg_1","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},{"id":"call_2","type":"function","function":{"name":"g","arguments":""}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`,
			`{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"tool_use","id":"call_1","name":"f","input":{"a":1}},{"type":"tool_use","id":"call_2","name":"g","input":{}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":4,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}`},
		{"length",
			`{"id":"x","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"cut"},"finish_reason":"length"}]}`,
			`{"id":"msg_x","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"cut"}],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}`},
		{"content filter refusal",
			`{"id":"x","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"no"},"finish_reason":"content_filter"}]}`,
			`{"id":"msg_x","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"no"}],"stop_reason":"refusal","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp api.ChatResponse
			if err := jsonx.Unmarshal([]byte(tc.in), &resp); err != nil {
				t.Fatal(err)
			}
			msg, err := FromChatResponse(&resp)
			if err != nil {
				t.Fatalf("FromChatResponse(%s): %v", tc.in, err)
			}
			got, _ := jsonx.Marshal(msg)
			if !jsonEqual(t, string(got), tc.want) {
				t.Errorf("FromChatResponse(%s)\n got  %s\n want %s", tc.in, got, tc.want)
			}
		})
	}
}

func TestFromChatResponseRefusesNonObjectArguments(t *testing.T) {
	for _, args := range []string{`not json`, `[1]`, `{"a":`} {
		resp := &api.ChatResponse{Choices: []api.Choice{{Message: api.Message{ToolCalls: []api.ToolCall{
			{ID: "c", Function: api.FunctionCall{Name: "f", Arguments: args}}}}, FinishReason: "tool_calls"}}}
		_, err := FromChatResponse(resp)
		var e *api.Error
		if !errors.As(err, &e) || e.Code != "upstream_error" {
			t.Errorf("FromChatResponse with arguments %q = %v, want upstream_error", args, err)
		}
	}
}

func TestMessageIDIsMadeUpWhenMissing(t *testing.T) {
	a, b := messageID(""), messageID("")
	if len(a) != 28 || a[:4] != "msg_" || a == b {
		t.Errorf("messageID(\"\") = %q, %q: want distinct msg_ ids", a, b)
	}
}

func TestStopReason(t *testing.T) {
	for in, want := range map[string]string{"stop": "end_turn", "": "end_turn", "length": "max_tokens",
		"tool_calls": "tool_use", "function_call": "tool_use", "content_filter": "refusal"} {
		if got := StopReason(in); got != want {
			t.Errorf("StopReason(%q) = %q, want %q", in, got, want)
		}
	}
}
