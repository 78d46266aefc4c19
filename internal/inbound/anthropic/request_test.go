package anthropic

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// decode runs the gateway's two steps: JSON into MessagesRequest, then the translation.
func decode(body string) (*api.ChatRequest, error) {
	var in MessagesRequest
	if err := jsonx.Unmarshal([]byte(body), &in); err != nil {
		return nil, err
	}
	return ToChatRequest(&in)
}

func TestToChatRequestTranslates(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"string content and sampling",
			`{"model":"m","max_tokens":50,"temperature":0.5,"top_p":0.9,"stop_sequences":["END"],"metadata":{"user_id":"u1"},"messages":[{"role":"user","content":"hi"}]}`,
			`{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":50,"temperature":0.5,"top_p":0.9,"stop":["END"],"user":"u1"}`},
		{"system string",
			`{"model":"m","max_tokens":1,"system":"Be brief.","messages":[{"role":"user","content":"hi"}]}`,
			`{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}],"max_tokens":1}`},
		{"system blocks joined",
			`{"model":"m","max_tokens":1,"system":[{"type":"text","text":"A"},{"type":"text","text":"B"}],"messages":[{"role":"user","content":"hi"}]}`,
			`{"model":"m","messages":[{"role":"system","content":"A\n\nB"},{"role":"user","content":"hi"}],"max_tokens":1}`},
		{"cache_control kept on system, text and tools",
			`{"model":"m","max_tokens":1,"system":[{"type":"text","text":"A","cache_control":{"type":"ephemeral"}},{"type":"text","text":"B"}],"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral","ttl":"1h"}}]}],"tools":[{"name":"f","input_schema":{"type":"object"},"cache_control":{"type":"ephemeral"}}]}`,
			`{"model":"m","messages":[{"role":"system","content":[{"type":"text","text":"A","cache_control":{"type":"ephemeral"}},{"type":"text","text":"B"}]},{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral","ttl":"1h"}}]}],"max_tokens":1,"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}},"cache_control":{"type":"ephemeral"}}]}`},
		{"images base64 and url",
			`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"text","text":"what?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBO"}},{"type":"image","source":{"type":"url","url":"https://x/y.png"}}]}]}`,
			`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"what?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBO"}},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}],"max_tokens":1}`},
		{"tool round trip",
			`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"weather?"},{"role":"assistant","content":[{"type":"text","text":"Checking."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"18C"},{"type":"text","text":"thanks"}]}]}`,
			`{"model":"m","messages":[{"role":"user","content":"weather?"},{"role":"assistant","content":"Checking.","tool_calls":[{"id":"toolu_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","content":"18C","tool_call_id":"toolu_1"},{"role":"user","content":"thanks"}],"max_tokens":1}`},
		{"tool_use without text has null content; error result is marked",
			`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"go"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","is_error":true,"content":[{"type":"text","text":"boom"}]}]}]}`,
			`{"model":"m","messages":[{"role":"user","content":"go"},{"role":"assistant","content":null,"tool_calls":[{"id":"t","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","content":"Error: boom","tool_call_id":"t"}],"max_tokens":1}`},
		{"tools and tool_choice tool",
			`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tools":[{"name":"f","description":"d","input_schema":{"type":"object"}}],"tool_choice":{"type":"tool","name":"f","disable_parallel_tool_use":true}}`,
			`{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1,"tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}}],"tool_choice":{"type":"function","function":{"name":"f"}},"parallel_tool_calls":false}`},
		{"tool_choice any",
			`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"any"}}`,
			`{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1,"tool_choice":"required"}`},
		{"tool_choice none",
			`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"none"}}`,
			`{"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1,"tool_choice":"none"}`},
		{"stream always asks for usage",
			`{"model":"m","max_tokens":1,"stream":true,"messages":[{"role":"user","content":"x"}]}`,
			`{"model":"m","messages":[{"role":"user","content":"x"}],"stream":true,"stream_options":{"include_usage":true},"max_tokens":1}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decode(tc.in)
			if err != nil {
				t.Fatalf("ToChatRequest(%s): %v", tc.in, err)
			}
			b, err := jsonx.Marshal(got)
			if err != nil {
				t.Fatal(err)
			}
			if !jsonEqual(t, string(b), tc.want) {
				t.Errorf("ToChatRequest(%s)\n got  %s\n want %s", tc.in, b, tc.want)
			}
		})
	}
}

func TestToChatRequestRefuses(t *testing.T) {
	const msgs = `"messages":[{"role":"user","content":"x"}]`
	for _, tc := range []struct{ name, in, param string }{
		{"no model", `{"max_tokens":1,` + msgs + `}`, "model"},
		{"no max_tokens", `{"model":"m",` + msgs + `}`, "max_tokens"},
		{"zero max_tokens", `{"model":"m","max_tokens":0,` + msgs + `}`, "max_tokens"},
		{"no messages", `{"model":"m","max_tokens":1,"messages":[]}`, "messages"},
		{"unknown member", `{"model":"m","max_tokens":1,"top_k":3,` + msgs + `}`, "top_k"},
		{"thinking without budget", `{"model":"m","max_tokens":4096,"thinking":{"type":"enabled"},` + msgs + `}`, "thinking"},
		{"thinking budget below 1024", `{"model":"m","max_tokens":4096,"thinking":{"type":"enabled","budget_tokens":1023},` + msgs + `}`, "thinking"},
		{"thinking budget not below max_tokens", `{"model":"m","max_tokens":2048,"thinking":{"type":"enabled","budget_tokens":2048},` + msgs + `}`, "thinking"},
		{"thinking type unknown", `{"model":"m","max_tokens":4096,"thinking":{"type":"on"},` + msgs + `}`, "thinking"},
		{"thinking display unknown", `{"model":"m","max_tokens":4096,"thinking":{"type":"adaptive","display":"full"},` + msgs + `}`, "thinking"},
		{"budget on disabled thinking", `{"model":"m","max_tokens":4096,"thinking":{"type":"disabled","budget_tokens":2000},` + msgs + `}`, "thinking"},
		{"bad role", `{"model":"m","max_tokens":1,"messages":[{"role":"system","content":"x"}]}`, "messages"},
		{"document block", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"document"}]}]}`, "messages"},
		{"thinking block from the user", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"thinking","thinking":"hm","signature":"s"}]}]}`, "messages"},
		{"redacted thinking without data", `{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"redacted_thinking"}]}]}`, "messages"},
		{"image without source", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image"}]}]}`, "messages"},
		{"image file source", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}]}`, "messages"},
		{"image in tool result", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"image"}]}]}]}`, "messages"},
		{"tool result without id", `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"tool_result","content":"x"}]}]}`, "messages"},
		{"system image", `{"model":"m","max_tokens":1,"system":[{"type":"image"}],` + msgs + `}`, "system"},
		{"server tool", `{"model":"m","max_tokens":1,"tools":[{"type":"web_search_20250305","name":"web_search"}],` + msgs + `}`, "tools"},
		{"tool choice without name", `{"model":"m","max_tokens":1,"tool_choice":{"type":"tool"},` + msgs + `}`, "tool_choice"},
		{"tool choice unknown", `{"model":"m","max_tokens":1,"tool_choice":{"type":"maybe"},` + msgs + `}`, "tool_choice"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := decode(tc.in)
			var e *api.Error
			if !errors.As(err, &e) || e.Status != 400 || e.Param != tc.param || e.Message == "" {
				t.Fatalf("ToChatRequest(%s) = %v, want a 400 with param %q", tc.in, err, tc.param)
			}
		})
	}
}

func TestBlocksRejectsNonContent(t *testing.T) {
	var in MessagesRequest
	err := jsonx.Unmarshal([]byte(`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":42}]}`), &in)
	if err == nil || !strings.Contains(err.Error(), "content") {
		t.Fatalf("Unmarshal of numeric content = %v, want an error naming content", err)
	}
}

// FuzzToChatRequest checks the decoder and translation never panic, and that whatever they
// accept is a valid chat request that encodes.
func FuzzToChatRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"m","max_tokens":1,"messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","max_tokens":1,"system":[{"type":"text","text":"s"}],"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"x"}}]}]}`,
		`{"model":"m","max_tokens":1,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{"a":1}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"r"}]}],"tools":[{"name":"f","input_schema":{}}],"tool_choice":{"type":"tool","name":"f"}}`,
		`{"model":"m","max_tokens":1,"stream":true,"messages":[{"role":"user","content":null}]}`,
		`{"model":"m","max_tokens":2000,"thinking":{"type":"enabled","budget_tokens":1024},"messages":[{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"redacted_thinking","data":"d"}]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in MessagesRequest
		if jsonx.Unmarshal(body, &in) != nil {
			return
		}
		out, err := ToChatRequest(&in)
		if err != nil {
			var e *api.Error
			if !errors.As(err, &e) || e.Status != 400 {
				t.Fatalf("ToChatRequest(%q) error %v is not a 400", body, err)
			}
			return
		}
		if err := out.Validate(); err != nil {
			t.Fatalf("ToChatRequest(%q) accepted an invalid request: %v", body, err)
		}
		if _, err := jsonx.Marshal(out); err != nil {
			t.Fatalf("ToChatRequest(%q) result does not encode: %v", body, err)
		}
	})
}

// jsonEqual compares two JSON texts semantically.
func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := jsonx.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("unmarshal %s: %v", a, err)
	}
	if err := jsonx.Unmarshal([]byte(b), &y); err != nil {
		t.Fatalf("unmarshal %s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}
