package gemini

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

func response(status int, body string, header http.Header) *http.Response {
	if header == nil {
		header = http.Header{}
	}
	return &http.Response{StatusCode: status, Header: header, Body: io.NopCloser(strings.NewReader(body))}
}

func TestFinishReasons(t *testing.T) {
	tests := []struct {
		gemini   string
		hasCalls bool
		want     string
	}{
		{"STOP", false, "stop"},
		{"STOP", true, "tool_calls"},
		{"MAX_TOKENS", false, "length"},
		{"MAX_TOKENS", true, "length"},
		{"SAFETY", false, "content_filter"},
		{"RECITATION", false, "content_filter"},
		{"BLOCKLIST", false, "content_filter"},
		{"PROHIBITED_CONTENT", false, "content_filter"},
		{"SPII", false, "content_filter"},
		{"IMAGE_SAFETY", false, "content_filter"},
		{"MALFORMED_FUNCTION_CALL", false, "stop"},
		{"OTHER", false, "stop"},
		{"", false, "stop"},
	}
	for _, tt := range tests {
		if got := finishReason(tt.gemini, tt.hasCalls); got != tt.want {
			t.Errorf("finishReason(%q, calls=%v) = %q, want %q", tt.gemini, tt.hasCalls, got, tt.want)
		}
	}
}

func TestUsageCountsThinkingToolUseCacheAndAudio(t *testing.T) {
	got := usage(&usageMetadata{PromptTokenCount: 100, CandidatesTokenCount: 20, ThoughtsTokenCount: 30,
		ToolUsePromptTokenCount: 5, CachedContentTokenCount: 64, TotalTokenCount: 155,
		PromptTokensDetails:     []modalityCount{{"TEXT", 60}, {"AUDIO", 40}},
		CandidatesTokensDetails: []modalityCount{{"AUDIO", 7}}})
	if got.PromptTokens != 105 || got.CompletionTokens != 50 || got.TotalTokens != 155 {
		t.Errorf("usage totals = %d/%d/%d, want 105/50/155", got.PromptTokens, got.CompletionTokens, got.TotalTokens)
	}
	if d := got.PromptTokensDetails; d.CachedTokens != 64 || d.AudioTokens != 40 {
		t.Errorf("prompt details = %+v, want cached 64 audio 40", *d)
	}
	if d := got.CompletionTokensDetails; d.ReasoningTokens != 30 || d.AudioTokens != 7 {
		t.Errorf("completion details = %+v, want reasoning 30 audio 7", *d)
	}
	if got := usage(&usageMetadata{PromptTokenCount: 3, CandidatesTokenCount: 4}); got.TotalTokens != 7 {
		t.Errorf("total without totalTokenCount = %d, want the sum 7", got.TotalTokens)
	}
}

func TestThoughtPartsAndGeminiCallIDs(t *testing.T) {
	body := `{"candidates":[{"content":{"role":"model","parts":[{"text":"thinking...","thought":true},{"text":"Answer."},
		{"functionCall":{"id":"fc-9","name":"f","args":{"a":1}}},{"functionCall":{"name":"g"}}]},"finishReason":"STOP"}],"responseId":"r"}`
	resp := response(200, body, nil)
	resp.Request = &http.Request{URL: &url.URL{Path: "/v1beta/models/gemini-2.5-pro:generateContent"}}
	got, err := Adapter{}.DecodeChatResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	c := got.Choices[0]
	if c.Message.Content.String() != "Answer." {
		t.Errorf("content = %q, want the answer without the thought", c.Message.Content.String())
	}
	if len(c.Message.ToolCalls) != 2 || c.Message.ToolCalls[0].ID != "fc-9" || c.Message.ToolCalls[1].ID != "call_1" ||
		c.Message.ToolCalls[1].Function.Arguments != "{}" {
		t.Errorf("tool calls = %+v, want Gemini's id kept, call_1 generated, absent args as {}", c.Message.ToolCalls)
	}
	if got.Model != "gemini-2.5-pro" || c.FinishReason != "tool_calls" {
		t.Errorf("model %q finish %q, want the requested model and tool_calls", got.Model, c.FinishReason)
	}
}

func TestDecodeErrorRetryHints(t *testing.T) {
	rateLimited := `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"1.5s"}]}}`
	tests := []struct {
		name   string
		status int
		body   string
		header http.Header
		want   time.Duration
		code   string
	}{
		{"RetryInfo", 429, rateLimited, nil, 1500 * time.Millisecond, ""},
		{"header wins", 429, rateLimited, http.Header{"Retry-After": {"3"}}, 3 * time.Second, ""},
		{"permission denied", 403, `{"error":{"code":403,"message":"Method doesn't allow unregistered callers","status":"PERMISSION_DENIED"}}`, nil, 0, "upstream_auth_error"},
		{"empty body", 504, ``, nil, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := Adapter{}.DecodeError(response(tt.status, tt.body, tt.header))
			if e.RetryAfter != tt.want || e.Code != tt.code {
				t.Errorf("DecodeError(%d %s): retry after %v code %q, want %v %q", tt.status, tt.body, e.RetryAfter, e.Code, tt.want, tt.code)
			}
			if e.Status != api.UpstreamStatus(tt.status) {
				t.Errorf("status = %d, want %d", e.Status, api.UpstreamStatus(tt.status))
			}
		})
	}
}

// drain reads a stream to its end.
func drain(t *testing.T, body string) ([]api.ChatChunk, error) {
	t.Helper()
	s, err := Adapter{}.DecodeChatStream(response(200, body, nil))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []api.ChatChunk
	for {
		c, err := s.Next()
		if err != nil {
			return out, err
		}
		out = append(out, *c)
	}
}

func TestStreamEnds(t *testing.T) {
	const (
		text     = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}],\"role\":\"model\"},\"index\":0}]}\r\n\r\n"
		finish   = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"!\"}],\"role\":\"model\"},\"finishReason\":\"STOP\",\"index\":0}]}\r\n\r\n"
		lateUsed = "data: {\"usageMetadata\":{\"promptTokenCount\":2,\"candidatesTokenCount\":2,\"totalTokenCount\":4}}\r\n\r\n"
		thought  = "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"hmm\",\"thought\":true}],\"role\":\"model\"},\"index\":0}]}\r\n\r\n"
	)
	tests := []struct {
		name, body string
		chunks     int
		clean      bool
		usage      bool
	}{
		{"empty body", "", 0, false, false},
		{"keep-alive only", ": ping\r\n\r\n", 0, false, false},
		{"no finish", text, 2, false, false},
		{"finish then usage-only event", text + finish + lateUsed, 5, true, true},
		{"finish without usage", text + finish, 4, true, false},
		{"thoughts are not content", thought + text + finish, 4, true, false},
		{"last line without blank line", text + strings.TrimSuffix(finish, "\r\n\r\n"), 4, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chunks, err := drain(t, tt.body)
			if clean := errors.Is(err, io.EOF); clean != tt.clean {
				t.Fatalf("end = %v, want clean %v", err, tt.clean)
			}
			if !tt.clean && api.AsError(err).Code != "stream_interrupted" {
				t.Errorf("end = %v, want stream_interrupted", err)
			}
			if len(chunks) != tt.chunks {
				t.Fatalf("got %d chunks, want %d: %+v", len(chunks), tt.chunks, chunks)
			}
			if tt.clean {
				last := chunks[len(chunks)-1]
				if last.IsUsageOnly() != tt.usage {
					t.Errorf("last chunk usage-only = %v, want %v", last.IsUsageOnly(), tt.usage)
				}
			}
		})
	}
}

func TestStreamContentEqualsWholeAnswer(t *testing.T) {
	whole := `{"candidates":[{"content":{"parts":[{"text":"Hello"},{"text":" world"},{"functionCall":{"name":"f","args":{"x":1}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":2,"totalTokenCount":3},"responseId":"r"}`
	stream := "data: " + `{"candidates":[{"content":{"parts":[{"text":"Hello"}],"role":"model"},"index":0}],"responseId":"r"}` + "\r\n\r\n" +
		"data: " + `{"candidates":[{"content":{"parts":[{"text":" world"},{"functionCall":{"name":"f","args":{"x":1}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":2,"totalTokenCount":3},"responseId":"r"}` + "\r\n\r\n"
	want, err := Adapter{}.DecodeChatResponse(response(200, whole, nil))
	if err != nil {
		t.Fatal(err)
	}
	chunks, err := drain(t, stream)
	if !errors.Is(err, io.EOF) {
		t.Fatalf("stream end = %v", err)
	}
	var text, args, finish string
	var usage *api.Usage
	for _, c := range chunks {
		usage = c.Usage
		for _, ch := range c.Choices {
			if ch.Delta.Content != nil {
				text += *ch.Delta.Content
			}
			for _, tc := range ch.Delta.ToolCalls {
				args += tc.Function.Arguments
			}
			if ch.FinishReason != nil {
				finish = *ch.FinishReason
			}
		}
	}
	m := want.Choices[0]
	if text != m.Message.Content.String() || args != m.Message.ToolCalls[0].Function.Arguments || finish != m.FinishReason {
		t.Errorf("stream gave %q/%q/%q, whole answer %q/%q/%q", text, args, finish,
			m.Message.Content.String(), m.Message.ToolCalls[0].Function.Arguments, m.FinishReason)
	}
	a, _ := jsonx.Marshal(usage)
	b, _ := jsonx.Marshal(want.Usage)
	if !bytes.Equal(a, b) {
		t.Errorf("stream usage %s, whole answer's %s", a, b)
	}
}

func FuzzDecodeChatStream(f *testing.F) {
	f.Add("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Hi\"}]},\"finishReason\":\"STOP\"}]}\r\n\r\n")
	f.Add("data: {\"candidates\":[{\"index\":3,\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":{}}}]}}]}\n\n")
	f.Add("data: {\"error\":{\"code\":500,\"message\":\"x\",\"status\":\"INTERNAL\"}}\n\n")
	f.Add("data: {\"promptFeedback\":{\"blockReason\":\"SAFETY\"}}\n\ndata: [1]\n\n")
	f.Fuzz(func(t *testing.T, body string) {
		s, _ := Adapter{}.DecodeChatStream(response(200, body, nil))
		defer s.Close()
		for range 10_000 {
			c, err := s.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					var e *api.Error
					if !errors.As(err, &e) || errors.Is(err, io.EOF) {
						t.Fatalf("stream error %v is not an *api.Error apart from io.EOF", err)
					}
				}
				return
			}
			if _, err := jsonx.Marshal(c); err != nil {
				t.Fatalf("chunk does not encode: %v", err)
			}
		}
		t.Fatal("stream did not end")
	})
}

func FuzzDecodeChatResponse(f *testing.F) {
	f.Add(`{"candidates":[{"content":{"parts":[{"text":"Hi"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1}}`)
	f.Add(`{"promptFeedback":{"blockReason":"SAFETY"}}`)
	f.Add(`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":null}}]}}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		out, err := Adapter{}.DecodeChatResponse(response(200, body, nil))
		if err != nil {
			var e *api.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *api.Error", err)
			}
			return
		}
		if _, err := jsonx.Marshal(out); err != nil {
			t.Fatalf("response does not encode: %v", err)
		}
	})
}
