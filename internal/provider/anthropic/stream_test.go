package anthropic

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
)

func sseResponse(body string) *http.Response {
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}},
		Body: io.NopCloser(strings.NewReader(body))}
}

// drain reads a stream to its end, returning its chunks and the error that ended it.
func drain(t *testing.T, body string) ([]api.ChatChunk, error) {
	t.Helper()
	s, err := Adapter{}.DecodeChatStream(sseResponse(body))
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

const msgStart = "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"content\":[],\"model\":\"claude\",\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n"

func TestStreamErrorEventKeepsTypeAndMapsStatus(t *testing.T) {
	tests := []struct {
		errType string
		status  int
	}{
		{"overloaded_error", http.StatusServiceUnavailable},
		{"rate_limit_error", http.StatusTooManyRequests},
		{"api_error", http.StatusBadGateway},
		{"invalid_request_error", http.StatusBadRequest},
		{"some_new_error", http.StatusBadGateway},
	}
	for _, tt := range tests {
		body := msgStart + `event: error` + "\n" + `data: {"type":"error","error":{"type":"` + tt.errType + `","message":"went wrong"}}` + "\n\n"
		_, err := drain(t, body)
		var e *api.Error
		if !errors.As(err, &e) {
			t.Fatalf("%s: err = %v, want *api.Error", tt.errType, err)
		}
		if e.Status != tt.status || e.Type != tt.errType || e.Message != "went wrong" || e.Retryable {
			t.Errorf("%s: got status %d type %q message %q retryable %v, want %d, the provider's type and message, not retryable",
				tt.errType, e.Status, e.Type, e.Message, e.Retryable, tt.status)
		}
	}
}

func TestStreamFailuresAreInterruptedNeverEOF(t *testing.T) {
	tests := []struct{ name, body string }{
		{"empty body", ``},
		{"only message_start", msgStart},
		{"delta before message_start", `data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}` + "\n\n"},
		{"delta for unknown block", msgStart + `data: {"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"x"}}` + "\n\n"},
		{"block out of order", msgStart + `data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}` + "\n\n"},
		{"message_start without message", `data: {"type":"message_start"}` + "\n\n"},
		{"not JSON", msgStart + "data: {\n\n"},
	}
	for _, tt := range tests {
		_, err := drain(t, tt.body)
		if errors.Is(err, io.EOF) {
			t.Errorf("%s: err %v reads as a clean end", tt.name, err)
		}
		if e := api.AsError(err); e.Code != "stream_interrupted" {
			t.Errorf("%s: code %q, want stream_interrupted (%v)", tt.name, e.Code, err)
		}
	}
}

func TestStreamKeepsReturningItsError(t *testing.T) {
	s, _ := Adapter{}.DecodeChatStream(sseResponse(msgStart))
	if _, err := s.Next(); err != nil {
		t.Fatalf("first Next: %v", err)
	}
	_, first := s.Next()
	_, again := s.Next()
	if first == nil || again != first {
		t.Errorf("after a failure Next returned %v then %v, want the same error", first, again)
	}
}

func TestStreamWithoutUsageHasNoUsageChunk(t *testing.T) {
	body := `data: {"type":"message_start","message":{"id":"msg_1","type":"message","model":"claude","content":[]}}` + "\n\n" +
		`data: {"type":"message_delta","delta":{"stop_reason":"end_turn"}}` + "\n\n" +
		`data: {"type":"message_stop"}` + "\n\n"
	chunks, err := drain(t, body)
	if !errors.Is(err, io.EOF) {
		t.Fatalf("err = %v, want io.EOF", err)
	}
	if len(chunks) != 2 || chunks[1].Choices[0].FinishReason == nil || *chunks[1].Choices[0].FinishReason != "stop" {
		t.Fatalf("chunks = %+v, want the role chunk and the finish chunk only", chunks)
	}
}

func TestDecodeResponseRejectsWhatIsNotAMessage(t *testing.T) {
	for _, body := range []string{`not json`, `{"type":"error","error":{"type":"api_error","message":"x"}}`, `[]`} {
		resp := &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body))}
		_, err := Adapter{}.DecodeChatResponse(resp)
		if e := api.AsError(err); e.Code != "upstream_error" || e.Retryable {
			t.Errorf("DecodeChatResponse(%s) = %v, want a non-retryable upstream_error", body, err)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		value string
		want  time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{"0.5", 500 * time.Millisecond},
		{"-3", 0},
		{"NaN", 0},
		{"1e300", 0},
		{"soon", 0},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.value != "" {
			h.Set("Retry-After", tt.value)
		}
		if got := provider.RetryAfter(h); got != tt.want {
			t.Errorf("provider.RetryAfter(%q) = %v, want %v", tt.value, got, tt.want)
		}
	}
}

// FuzzDecodeChatStream feeds arbitrary bytes to the stream decoder: it must not panic, must end,
// and may end cleanly (io.EOF) only after a message_stop event.
func FuzzDecodeChatStream(f *testing.F) {
	f.Add(msgStart + "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t\",\"name\":\"f\",\"input\":{}}}\n\n" +
		"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n" +
		"data: {\"type\":\"content_block_stop\",\"index\":0}\n\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":5}}\n\n" +
		"data: {\"type\":\"message_stop\"}\n\n")
	f.Add(msgStart + "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"\"}}\n\n" +
		"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hm\"}}\n\n" +
		"data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"signature_delta\",\"signature\":\"c2ln\"}}\n\n" +
		"data: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
		"data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"redacted_thinking\",\"data\":\"ZA==\"}}\n\n" +
		"data: {\"type\":\"content_block_stop\",\"index\":1}\n\ndata: {\"type\":\"message_stop\"}\n\n")
	f.Add(msgStart + "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n")
	f.Add("data: {\"type\":\"ping\"}\n\n")
	f.Fuzz(func(t *testing.T, body string) {
		s, _ := Adapter{}.DecodeChatStream(sseResponse(body))
		defer s.Close()
		for range len(body) + 3 { // each chunk consumes at least one event, plus finish and usage
			_, err := s.Next()
			if errors.Is(err, io.EOF) {
				if !strings.Contains(body, "message_stop") {
					t.Fatalf("clean end without message_stop: %q", body)
				}
				return
			}
			if err != nil {
				return
			}
		}
		t.Fatalf("stream did not end: %q", body)
	})
}

// FuzzDecodeChatResponse checks that no body makes the response decoder panic, and that a
// decoded answer always has one choice with a known finish reason.
func FuzzDecodeChatResponse(f *testing.F) {
	f.Add(`{"id":"msg_1","type":"message","model":"m","content":[{"type":"text","text":"hi"},{"type":"tool_use","id":"t","name":"f","input":{"a":1}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":2,"cache_read_input_tokens":3}}`)
	f.Add(`{"type":"message","content":[{"type":"tool_use","input":null}]}`)
	f.Add(`{"type":"message","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"redacted_thinking","data":"d"},{"type":"text","text":"x"}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		resp := &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(body))}
		out, err := Adapter{}.DecodeChatResponse(resp)
		if err != nil {
			return
		}
		switch fr := out.Choices[0].FinishReason; fr {
		case "stop", "length", "tool_calls", "content_filter":
		default:
			t.Fatalf("finish_reason %q from %s", fr, body)
		}
		for _, c := range out.Choices[0].Message.ToolCalls {
			if c.Function.Arguments == "" {
				t.Fatalf("empty arguments from %s", body)
			}
		}
	})
}
