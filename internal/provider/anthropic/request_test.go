package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

func parseRequest(t *testing.T, body string) *api.ChatRequest {
	t.Helper()
	var req api.ChatRequest
	if err := jsonx.Unmarshal([]byte(body), &req); err != nil {
		t.Fatalf("request %s: %v", body, err)
	}
	return &req
}

// upstreamBody runs NewChatRequest and returns the body it would send, decoded.
func upstreamBody(t *testing.T, body string) map[string]any {
	t.Helper()
	r, err := Adapter{}.NewChatRequest(context.Background(), testTarget(), parseRequest(t, body))
	if err != nil {
		t.Fatalf("NewChatRequest(%s): %v", body, err)
	}
	raw, _ := io.ReadAll(r.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

const hello = `"messages":[{"role":"user","content":"hi"}]`

func TestUnsupportedParametersAre400sNamingThem(t *testing.T) {
	tests := []struct {
		name, body, param string
	}{
		{"n above one", `{"model":"m",` + hello + `,"n":2}`, "n"},
		{"json_object", `{"model":"m",` + hello + `,"response_format":{"type":"json_object"}}`, "response_format"},
		{"json_schema", `{"model":"m",` + hello + `,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{}}}}`, "response_format"},
		{"logprobs", `{"model":"m",` + hello + `,"logprobs":true}`, "logprobs"},
		{"top_logprobs", `{"model":"m",` + hello + `,"top_logprobs":3}`, "top_logprobs"},
		{"presence penalty", `{"model":"m",` + hello + `,"presence_penalty":0.5}`, "presence_penalty"},
		{"frequency penalty", `{"model":"m",` + hello + `,"frequency_penalty":-1}`, "frequency_penalty"},
		{"logit_bias", `{"model":"m",` + hello + `,"logit_bias":{"50256":-100}}`, "logit_bias"},
		{"audio output", `{"model":"m",` + hello + `,"modalities":["text","audio"]}`, "modalities"},
		{"unknown parameter", `{"model":"m",` + hello + `,"some_future_param":1}`, "some_future_param"},
		{"custom tool", `{"model":"m",` + hello + `,"tools":[{"type":"custom","custom":{"name":"x"}}]}`, "tools[0].type"},
		{"allowed_tools choice", `{"model":"m",` + hello + `,"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"allowed_tools"}}`, "tool_choice"},
		{"function role", `{"model":"m","messages":[{"role":"function","name":"f","content":"x"}]}`, "messages[0].role"},
		{"audio input", `{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA==","format":"wav"}}]}]}`, "messages[0].content[0].type"},
		{"image in system", `{"model":"m","messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]},{"role":"user","content":"hi"}]}`, "messages[0].content[0].type"},
		{"non-base64 data URL", `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,rawbytes"}}]}]}`, "messages[0].content[0].image_url.url"},
		{"invalid tool arguments", `{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{not json"}}]}]}`, "messages[1].tool_calls[0].function.arguments"},
		{"tool arguments not an object", `{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`, "messages[1].tool_calls[0].function.arguments"},
		{"tool message without id", `{"model":"m","messages":[{"role":"tool","content":"x"}]}`, "messages[0].tool_call_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Adapter{}.NewChatRequest(context.Background(), testTarget(), parseRequest(t, tt.body))
			var e *api.Error
			if !errors.As(err, &e) {
				t.Fatalf("NewChatRequest(%s) = %v, want an *api.Error", tt.body, err)
			}
			if e.Status != http.StatusBadRequest || e.Code != "invalid_request" || e.Param != tt.param {
				t.Errorf("NewChatRequest(%s): got %d %q param %q, want 400 invalid_request param %q (%s)",
					tt.body, e.Status, e.Code, e.Param, tt.param, e.Message)
			}
			if !strings.Contains(e.Message, tt.param) || !strings.Contains(e.Message, "claude") && tt.param != "messages[0].tool_call_id" {
				t.Errorf("message %q should name the parameter %q and the provider", e.Message, tt.param)
			}
		})
	}
}

func TestHarmlessParametersAreDropped(t *testing.T) {
	body := upstreamBody(t, `{"model":"m",`+hello+`,"seed":1,"store":true,"metadata":{"a":"b"},"service_tier":"auto",`+
		`"prediction":{"type":"content","content":"x"},"prompt_cache_key":"k","safety_identifier":"s","logprobs":false,`+
		`"modalities":[ "text" ],"n":1,"presence_penalty":0,"response_format":{"type":"text"},"stream_options":{"include_usage":true}}`)
	for _, k := range []string{"seed", "store", "metadata", "service_tier", "prediction", "logprobs", "modalities", "n",
		"presence_penalty", "response_format", "stream_options", "prompt_cache_key", "safety_identifier"} {
		if _, ok := body[k]; ok {
			t.Errorf("upstream body has %q, want it dropped: %v", k, body)
		}
	}
}

func TestMaxTokensPrecedence(t *testing.T) {
	tests := []struct {
		params string
		want   float64
	}{
		{``, defaultMaxTokens},
		{`,"max_tokens":10`, 10},
		{`,"max_completion_tokens":20`, 20},
		{`,"max_tokens":10,"max_completion_tokens":20`, 20},
	}
	for _, tt := range tests {
		body := upstreamBody(t, `{"model":"m",`+hello+tt.params+`}`)
		if body["max_tokens"] != tt.want {
			t.Errorf("params %q: max_tokens = %v, want %v", tt.params, body["max_tokens"], tt.want)
		}
	}
}

func TestToolChoiceTranslation(t *testing.T) {
	tools := `,"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]`
	tests := []struct {
		params string
		want   string // tool_choice as JSON, "" when absent
	}{
		{``, ``},
		{`,"tool_choice":"auto"`, `{"type":"auto"}`},
		{`,"tool_choice":"none"`, `{"type":"none"}`},
		{`,"tool_choice":"required"`, `{"type":"any"}`},
		{`,"tool_choice":{"type":"function","function":{"name":"f"}}`, `{"name":"f","type":"tool"}`},
		{`,"parallel_tool_calls":false`, `{"disable_parallel_tool_use":true,"type":"auto"}`},
		{`,"parallel_tool_calls":true`, ``},
		{`,"tool_choice":"required","parallel_tool_calls":false`, `{"disable_parallel_tool_use":true,"type":"any"}`},
		{`,"tool_choice":"none","parallel_tool_calls":false`, `{"type":"none"}`},
	}
	for _, tt := range tests {
		body := upstreamBody(t, `{"model":"m",`+hello+tools+tt.params+`}`)
		got := ""
		if c, ok := body["tool_choice"]; ok {
			b, _ := json.Marshal(c)
			got = string(b)
		}
		if got != tt.want {
			t.Errorf("params %q: tool_choice = %s, want %s", tt.params, got, tt.want)
		}
	}
	// Without tools a tool_choice is meaningless, and the API would reject it.
	if body := upstreamBody(t, `{"model":"m",`+hello+`,"tool_choice":"none"}`); body["tool_choice"] != nil {
		t.Errorf("tool_choice without tools was sent: %v", body["tool_choice"])
	}
}

func TestMessagesAlternateAndEmptyContentIsLeftOut(t *testing.T) {
	body := upstreamBody(t, `{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"a"},`+
		`{"role":"user","content":""},{"role":"user","content":[{"type":"text","text":"b"}]},{"role":"assistant","content":"c"},`+
		`{"role":"assistant","content":[{"type":"refusal","refusal":"no"}]},{"role":"user","content":"d"}]}`)
	got, _ := json.Marshal(body["messages"])
	want := `[{"content":[{"text":"a","type":"text"},{"text":"b","type":"text"}],"role":"user"},` +
		`{"content":[{"text":"c","type":"text"},{"text":"no","type":"text"}],"role":"assistant"},{"content":"d","role":"user"}]`
	if string(got) != want {
		t.Errorf("messages:\n got  %s\n want %s", got, want)
	}
	if body["system"] != "Be brief." {
		t.Errorf("system = %v, want the lone system message as a string", body["system"])
	}
}

func TestToolCallWithoutArgumentsSendsEmptyInput(t *testing.T) {
	body := upstreamBody(t, `{"model":"m","messages":[{"role":"user","content":"time?"},`+
		`{"role":"assistant","content":"","tool_calls":[{"id":"t1","type":"function","function":{"name":"now","arguments":""}}]},`+
		`{"role":"tool","tool_call_id":"t1","content":""}]}`)
	got, _ := json.Marshal(body["messages"])
	want := `[{"content":"time?","role":"user"},{"content":[{"id":"t1","input":{},"name":"now","type":"tool_use"}],"role":"assistant"},` +
		`{"content":[{"tool_use_id":"t1","type":"tool_result"}],"role":"user"}]`
	if string(got) != want {
		t.Errorf("messages:\n got  %s\n want %s", got, want)
	}
}

func TestFinishReasons(t *testing.T) {
	for stop, want := range map[string]string{
		"end_turn": "stop", "stop_sequence": "stop", "pause_turn": "stop", "": "stop",
		"max_tokens": "length", "model_context_window_exceeded": "length",
		"tool_use": "tool_calls", "refusal": "content_filter",
	} {
		if got := finishReason(stop); got != want {
			t.Errorf("finishReason(%q) = %q, want %q", stop, got, want)
		}
	}
}

// FuzzNewChatRequest checks that no client request makes the translation panic, and that what
// it produces is valid JSON with the required max_tokens.
func FuzzNewChatRequest(f *testing.F) {
	f.Add(`{"model":"m",` + hello + `}`)
	f.Add(`{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"x","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"x","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AA=="}}]}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required","parallel_tool_calls":false}`)
	f.Add(`{"model":"m","messages":[{"role":"developer","content":[{"type":"text","text":"x"}]}],"response_format":{"type":"text"},"logprobs":false}`)
	f.Add(`{"model":"m","reasoning_effort":"high","max_tokens":2000,"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a","thinking_blocks":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"redacted_thinking","data":"d"},{"type":"thinking","thinking":"u"}]},{"role":"user","content":"b"}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var req api.ChatRequest
		if jsonx.Unmarshal([]byte(body), &req) != nil {
			return
		}
		r, err := Adapter{}.NewChatRequest(context.Background(), testTarget(), &req)
		if err != nil {
			if api.AsError(err).Status != http.StatusBadRequest {
				t.Fatalf("NewChatRequest(%s): non-400 error %v", body, err)
			}
			return
		}
		raw, _ := io.ReadAll(r.Body)
		var out struct {
			MaxTokens *int `json:"max_tokens"`
		}
		if err := json.Unmarshal(raw, &out); err != nil || out.MaxTokens == nil {
			t.Fatalf("NewChatRequest(%s) sent %s (%v)", body, raw, err)
		}
	})
}
