package anthropic

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// event is one parsed server-sent event.
type event struct{ name, data string }

func parseEvents(t *testing.T, raw string) []event {
	t.Helper()
	var out []event
	for _, frame := range strings.Split(strings.TrimSuffix(raw, "\n\n"), "\n\n") {
		name, data, ok := strings.Cut(frame, "\ndata: ")
		name, ok2 := strings.CutPrefix(name, "event: ")
		if !ok || !ok2 {
			t.Fatalf("malformed frame %q in %q", frame, raw)
		}
		var v map[string]any
		if err := jsonx.Unmarshal([]byte(data), &v); err != nil || v["type"] != name {
			t.Fatalf("frame %q: data is not JSON of type %s (%v)", frame, name, err)
		}
		out = append(out, event{name, data})
	}
	return out
}

func chunk(t *testing.T, s string) *api.ChatChunk {
	t.Helper()
	var c api.ChatChunk
	if err := jsonx.Unmarshal([]byte(s), &c); err != nil {
		t.Fatalf("chunk %s: %v", s, err)
	}
	return &c
}

// encode feeds chunks one at a time and checks each produces its events at once.
func encode(t *testing.T, chunks ...string) []event {
	t.Helper()
	enc := NewStreamEncoder("requested")
	var all []byte
	for _, c := range chunks {
		out, err := enc.AppendChunk(nil, chunk(t, c))
		if err != nil {
			t.Fatalf("AppendChunk(%s): %v", c, err)
		}
		all = append(all, out...)
	}
	out, err := enc.AppendFinish(nil)
	if err != nil {
		t.Fatalf("AppendFinish: %v", err)
	}
	return parseEvents(t, string(append(all, out...)))
}

func TestStreamEncoderEvents(t *testing.T) {
	for _, tc := range []struct {
		name   string
		chunks []string
		want   []string // "name data" per event
	}{
		{"text then usage", []string{
			`{"id":"chatcmpl-1","model":"gpt-4o","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
			`{"id":"chatcmpl-1","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}`,
			`{"id":"chatcmpl-1","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}`,
			`{"id":"chatcmpl-1","model":"gpt-4o","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}`,
		}, []string{
			`message_start {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"gpt-4o","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}`,
			`content_block_start {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
			`content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hel"}}`,
			`content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"lo"}}`,
			`content_block_stop {"type":"content_block_stop","index":0}`,
			`message_delta {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":9,"output_tokens":2,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}`,
			`message_stop {"type":"message_stop"}`,
		}},
		{"text then two tool calls", []string{
			`{"id":"msg_2","model":"m","choices":[{"index":0,"delta":{"content":"Let me check."},"finish_reason":null}]}`,
			`{"id":"msg_2","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_a","type":"function","function":{"name":"f","arguments":""}}]},"finish_reason":null}]}`,
			`{"id":"msg_2","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"x\":"}}]},"finish_reason":null}]}`,
			`{"id":"msg_2","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]},"finish_reason":null}]}`,
			`{"id":"msg_2","model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_b","type":"function","function":{"name":"g","arguments":"{}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}`,
		}, []string{
			`message_start {"type":"message_start","message":{"id":"msg_2","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}`,
			`content_block_start {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
			`content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Let me check."}}`,
			`content_block_stop {"type":"content_block_stop","index":0}`,
			`content_block_start {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"call_a","name":"f","input":{}}}`,
			`content_block_delta {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"x\":"}}`,
			`content_block_delta {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"1}"}}`,
			`content_block_stop {"type":"content_block_stop","index":1}`,
			`content_block_start {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"call_b","name":"g","input":{}}}`,
			`content_block_delta {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{}"}}`,
			`content_block_stop {"type":"content_block_stop","index":2}`,
			`message_delta {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":5,"output_tokens":7,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}`,
			`message_stop {"type":"message_stop"}`,
		}},
		{"empty stream is still a message", nil, []string{
			`message_start {"type":"message_start","message":{"id":"*","type":"message","role":"assistant","model":"requested","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}`,
			`message_delta {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}`,
			`message_stop {"type":"message_stop"}`,
		}},
		{"length", []string{
			`{"id":"x","model":"m","choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"length"}]}`,
		}, []string{
			`message_start {"type":"message_start","message":{"id":"msg_x","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}}`,
			`content_block_start {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
			`content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}`,
			`content_block_stop {"type":"content_block_stop","index":0}`,
			`message_delta {"type":"message_delta","delta":{"stop_reason":"max_tokens","stop_sequence":null},"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}`,
			`message_stop {"type":"message_stop"}`,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := encode(t, tc.chunks...)
			if len(got) != len(tc.want) {
				t.Fatalf("got %d events %v, want %d", len(got), got, len(tc.want))
			}
			for i, w := range tc.want {
				name, data, _ := strings.Cut(w, " ")
				if strings.Contains(data, `"id":"*"`) { // a made-up id: compare everything else
					data = strings.Replace(data, `"*"`, `"`+idOf(t, got[i].data)+`"`, 1)
				}
				if got[i].name != name || !jsonEqual(t, got[i].data, data) {
					t.Errorf("event %d:\n got  %s %s\n want %s %s", i, got[i].name, got[i].data, name, data)
				}
			}
		})
	}
}

func idOf(t *testing.T, data string) string {
	t.Helper()
	var v struct {
		Message struct {
			ID string `json:"id"`
		} `json:"message"`
	}
	if err := jsonx.Unmarshal([]byte(data), &v); err != nil || !strings.HasPrefix(v.Message.ID, "msg_") {
		t.Fatalf("message_start %s has no msg_ id (%v)", data, err)
	}
	return v.Message.ID
}

func TestStreamEncoderWritesEachChunkAtOnce(t *testing.T) {
	enc := NewStreamEncoder("m")
	out, err := enc.AppendChunk(nil, chunk(t, `{"id":"a","model":"m","choices":[{"index":0,"delta":{"content":"hi"},"finish_reason":null}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if evs := parseEvents(t, string(out)); len(evs) != 3 || evs[2].name != "content_block_delta" {
		t.Errorf("first chunk gave %v, want message_start, content_block_start and the delta", evs)
	}
	out, _ = enc.AppendChunk(nil, chunk(t, `{"id":"a","model":"m","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}`))
	if len(out) != 0 {
		t.Errorf("a usage-only chunk wrote %q, want nothing until the end", out)
	}
}
