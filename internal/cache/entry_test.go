package cache

import (
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

func decodeChunks(t *testing.T, lines ...string) []*api.ChatChunk {
	t.Helper()
	out := make([]*api.ChatChunk, len(lines))
	for i, l := range lines {
		out[i] = new(api.ChatChunk)
		if err := jsonx.Unmarshal([]byte(l), out[i]); err != nil {
			t.Fatalf("decode chunk %s: %v", l, err)
		}
	}
	return out
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := jsonx.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCollectorAssemblesAStream(t *testing.T) {
	chunks := decodeChunks(t,
		`{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"a\""}}]},"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]},"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`,
	)
	c := NewCollector(1 << 20)
	for _, ch := range chunks {
		c.Add(ch)
	}
	got := c.Response()
	if got == nil {
		t.Fatal("Response() = nil for a complete stream")
	}
	want := `{"id":"c1","object":"chat.completion","created":7,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hello","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get","arguments":"{\"a\":1}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`
	if g := jsonOf(t, got); g != want {
		t.Errorf("Response() =\n%s\nwant\n%s", g, want)
	}
}

// TestCollectorJoinsThinkingFragments: a thinking block's text fragments and its signature
// make one block; the next fragment after a signature starts another, so a cached answer
// replays with the provider's blocks intact.
func TestCollectorJoinsThinkingFragments(t *testing.T) {
	chunks := decodeChunks(t,
		`{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"Let me ","thinking_blocks":[{"type":"thinking","thinking":"Let me "}]},"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"reasoning_content":"think.","thinking_blocks":[{"type":"thinking","thinking":"think."}]},"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"thinking_blocks":[{"type":"thinking","signature":"c2ln"}]},"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"thinking_blocks":[{"type":"redacted_thinking","data":"ZGF0YQ=="}]},"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"reasoning_content":"More.","thinking_blocks":[{"type":"thinking","thinking":"More."}]},"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"thinking_blocks":[{"type":"thinking","signature":"c2lnMg=="}]},"finish_reason":null}]}`,
		`{"id":"c1","object":"chat.completion.chunk","created":7,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}`,
	)
	c := NewCollector(1 << 20)
	for _, ch := range chunks {
		c.Add(ch)
	}
	want := `{"id":"c1","object":"chat.completion","created":7,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Hi","reasoning_content":"Let me think.More.","thinking_blocks":[{"type":"thinking","thinking":"Let me think.","signature":"c2ln"},{"type":"redacted_thinking","data":"ZGF0YQ=="},{"type":"thinking","thinking":"More.","signature":"c2lnMg=="}]},"finish_reason":"stop"}]}`
	if g := jsonOf(t, c.Response()); g != want {
		t.Errorf("Response() =\n%s\nwant\n%s", g, want)
	}
}

func TestCollectorGivesUp(t *testing.T) {
	unfinished := decodeChunks(t, `{"id":"c","choices":[{"index":0,"delta":{"content":"x"},"finish_reason":null}]}`)
	logprobs := decodeChunks(t, `{"id":"c","choices":[{"index":0,"delta":{"content":"x"},"logprobs":{"content":[]},"finish_reason":"stop"}]}`)
	large := decodeChunks(t, `{"id":"c","choices":[{"index":0,"delta":{"content":"0123456789"},"finish_reason":"stop"}]}`)
	for name, tc := range map[string]struct {
		chunks []*api.ChatChunk
		max    int
	}{"unfinished choice": {unfinished, 100}, "logprobs": {logprobs, 100}, "over max bytes": {large, 5}} {
		c := NewCollector(tc.max)
		for _, ch := range tc.chunks {
			c.Add(ch)
		}
		if r := c.Response(); r != nil {
			t.Errorf("%s: Response() = %s, want nil", name, jsonOf(t, r))
		}
	}
}

func TestReplayThenCollectGivesTheSameAnswer(t *testing.T) {
	var resp api.ChatResponse
	body := `{"id":"c9","object":"chat.completion","created":9,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"Paris","reasoning_content":"France's capital.","thinking_blocks":[{"type":"thinking","thinking":"France's capital.","signature":"c2ln"},{"type":"redacted_thinking","data":"ZGF0YQ=="}]},"finish_reason":"stop"},{"index":1,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`
	if err := jsonx.Unmarshal([]byte(body), &resp); err != nil {
		t.Fatal(err)
	}
	for _, withUsage := range []bool{true, false} {
		c := NewCollector(1 << 20)
		var last *api.ChatChunk
		err := Replay(&resp, withUsage, func(ch *api.ChatChunk) error {
			cp := *ch
			last = &cp
			c.Add(ch)
			return nil
		})
		if err != nil {
			t.Fatalf("Replay: %v", err)
		}
		if got := last.IsUsageOnly(); got != withUsage {
			t.Errorf("Replay(withUsage=%v): last chunk usage-only = %v", withUsage, got)
		}
		got := c.Response()
		if got == nil {
			t.Fatalf("collecting a replay gave nil")
		}
		if !withUsage {
			got.Usage = resp.Usage
		}
		// Content "" from the role chunk makes choice 1's content "" instead of null.
		got.Choices[1].Message.Content = resp.Choices[1].Message.Content
		if g, w := jsonOf(t, got), jsonOf(t, &resp); g != w {
			t.Errorf("Replay(withUsage=%v) collected =\n%s\nwant\n%s", withUsage, g, w)
		}
	}
}

func TestEntryRoundTrip(t *testing.T) {
	e := &Entry{Response: &api.ChatResponse{ID: "x", Object: "chat.completion", Choices: []api.Choice{{Message: api.Message{Role: "assistant", Content: api.TextContent("hi")}, FinishReason: "stop"}}},
		Provider: "mock", Model: "gpt-4o-mini", CostMicroUSD: 42}
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeEntry(b)
	if err != nil {
		t.Fatalf("DecodeEntry(%s): %v", b, err)
	}
	if jsonOf(t, got) != jsonOf(t, e) {
		t.Errorf("DecodeEntry(Encode(e)) = %s, want %s", jsonOf(t, got), jsonOf(t, e))
	}
	if _, err := DecodeEntry([]byte(`{"provider":"x"}`)); err == nil {
		t.Errorf("DecodeEntry without a response: err = nil, want an error")
	}
}
