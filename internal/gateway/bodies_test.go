package gateway

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/store"
)

const testOpenAIKey = "sk-proj-4f9Xq2LmN8vB7cD1eR5tY6uI0oP3aS"

func TestRedactJSONRedactsInsideEscapedStrings(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"plain", `{"content":"write to ann@example.com"}`, `{"content":"write to [EMAIL_1]"}`},
		{"a newline escape before a key", `{"content":"key:\n` + testOpenAIKey + `"}`, `{"content":"key:\n[SECRET_1]"}`},
		{"an escaped at sign", `{"content":"ann\u0040example.com"}`, `{"content":"[EMAIL_1]"}`},
		{"JSON inside a string", `{"arguments":"{\"to\":\"ann@example.com\"}"}`, `{"arguments":"{\"to\":\"[EMAIL_1]\"}"}`},
		{"one placeholder per value", `["ann@example.com","bob@example.com","ann@example.com"]`, `["[EMAIL_1]","[EMAIL_2]","[EMAIL_1]"]`},
		{"nothing to redact", `{"n":1,"s":"hello \"world\""}`, `{"n":1,"s":"hello \"world\""}`},
	} {
		var red guardrail.Scrubber
		if got := string(redactJSON(&red, []byte(tc.in))); got != tc.want {
			t.Errorf("%s: redactJSON(%s) = %s, want %s", tc.name, tc.in, got, tc.want)
		}
	}
}

func TestTruncateBodyCutsAtACharacterWithAMarker(t *testing.T) {
	got, cut := truncateBody("héllo", 2) // 'é' is bytes 1-2
	if !cut || !strings.HasPrefix(got, "h…[truncated 5 bytes]") {
		t.Errorf("truncateBody(héllo, 2) = %q, %v; want h and a marker for 5 bytes", got, cut)
	}
	if got, cut := truncateBody("short", 10); got != "short" || cut {
		t.Errorf("truncateBody(short, 10) = %q, %v; want it unchanged", got, cut)
	}
}

func chatRequest(text string) *api.ChatRequest {
	return &api.ChatRequest{Model: "fast", Messages: []api.Message{
		{Role: "system", Content: api.TextContent("be brief")},
		{Role: "user", Content: api.TextContent(text)},
	}, Tools: []api.Tool{{Type: "function", Function: &api.FunctionDef{Name: "lookup"}}}}
}

func chatResponse(text string) *api.ChatResponse {
	return &api.ChatResponse{ID: "chatcmpl-1", Object: "chat.completion", Model: "gpt-4o-mini",
		Choices: []api.Choice{{Message: api.Message{Role: "assistant", Content: api.TextContent(text)}, FinishReason: "stop"}}}
}

// captured runs what the writer would: the mode decision on the request path, then Capture.
func captured(t *testing.T, g *Gateway, p *auth.Principal, c *call) *store.RequestBodies {
	t.Helper()
	b := g.bodies(p, c)
	if b != nil && b.Capture != nil {
		b.Capture(b)
		b.Capture = nil
	}
	return b
}

func TestBodiesFollowTheModeAndRedact(t *testing.T) {
	anon := &auth.Principal{Kind: auth.KindAnonymous}
	c := &call{req: chatRequest("mail ann@example.com my key " + testOpenAIKey), resp: chatResponse("done, ann@example.com")}

	if b := captured(t, New(nil, nil), anon, c); b != nil {
		t.Errorf("no body logging configured: bodies = %+v, want none", b)
	}
	if b := captured(t, New(nil, nil, WithBodyLogging("off", 0)), anon, c); b != nil {
		t.Errorf("off: bodies = %+v, want none", b)
	}
	if b := captured(t, New(nil, nil, WithBodyLogging("full", 0)), &auth.Principal{Tags: map[string]string{"log_bodies": "ful"}}, c); b != nil {
		t.Errorf("a mistyped key tag: bodies = %+v, want none", b)
	}

	full := captured(t, New(nil, nil, WithBodyLogging("full", 0)), anon, c)
	if full == nil || full.Mode != store.BodiesFull || full.Truncated {
		t.Fatalf("full: bodies = %+v", full)
	}
	for _, leak := range []string{"ann@example.com", testOpenAIKey} {
		if strings.Contains(full.Request+full.Response, leak) {
			t.Errorf("full: %q survived redaction:\n%s\n%s", leak, full.Request, full.Response)
		}
	}
	var req api.ChatRequest
	if err := jsonx.Unmarshal([]byte(full.Request), &req); err != nil || req.Messages[1].Content.Text != "mail [EMAIL_1] my key [SECRET_1]" {
		t.Errorf("full: stored request = %s (%v), want the JSON with placeholders", full.Request, err)
	}
	if !strings.Contains(full.Response, `"content":"done, [EMAIL_1]"`) {
		t.Errorf("full: stored response = %s, want the answer with the prompt's placeholder", full.Response)
	}

	meta := captured(t, New(nil, nil, WithBodyLogging("full", 0)), &auth.Principal{Tags: map[string]string{"log_bodies": "metadata"}}, c)
	if meta == nil || meta.Mode != store.BodiesMetadata {
		t.Fatalf("metadata via key tag: bodies = %+v", meta)
	}
	var shape requestShape
	if err := jsonx.Unmarshal([]byte(meta.Request), &shape); err != nil || shape.Messages != 2 || shape.Roles["user"] != 1 ||
		shape.Roles["system"] != 1 || len(shape.Tools) != 1 || shape.Tools[0] != "lookup" ||
		shape.ContentBytes != len("be brief")+len(c.req.Messages[1].Content.Text) {
		t.Errorf("metadata request = %s (%v)", meta.Request, err)
	}
	if strings.Contains(meta.Request+meta.Response, "ann") || !strings.Contains(meta.Response, `"finish_reasons":["stop"]`) {
		t.Errorf("metadata = %s / %s; want shapes without text", meta.Request, meta.Response)
	}
}

func TestStreamedBodiesKeepTheAssembledTextAndTruncate(t *testing.T) {
	c := &call{req: chatRequest("hi"), stream: true}
	c.text.add("reach me at ann@example.com ")
	c.text.add(strings.Repeat("x", 500))
	defer c.text.release()
	b := captured(t, New(nil, nil, WithBodyLogging("full", 200)), &auth.Principal{}, c)
	if b == nil || !b.Truncated || !strings.Contains(b.Response, `"streamed_text":"reach me at [EMAIL_1] xxx`) ||
		!strings.Contains(b.Response, "…[truncated ") || len(b.Response) > 200+len("…[truncated 9999 bytes]") {
		t.Errorf("streamed full body = %+v; want the redacted text cut at 200 bytes with a marker", b)
	}
}

// BenchmarkBodyCapture2KB is the writer's cost to encode, redact and bound a 2 KB chat
// request and its answer in full mode, and the request path's cost to decide it.
func BenchmarkBodyCapture2KB(b *testing.B) {
	text := strings.Repeat("Please summarise the quarterly report for the board. ", 36) + // ~1.9 KB
		" Contact ann@example.com, key " + testOpenAIKey
	c := &call{req: chatRequest(text), resp: chatResponse(strings.Repeat("A short answer. ", 20))}
	g := New(nil, nil, WithBodyLogging("full", 0))
	p := &auth.Principal{}
	b.Run("writer", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rb := g.bodies(p, c)
			rb.Capture(rb)
		}
	})
	b.Run("request_path", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = g.bodies(p, c)
		}
	})
	off := New(nil, nil)
	b.Run("request_path_off", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = off.bodies(p, c)
		}
	})
}
