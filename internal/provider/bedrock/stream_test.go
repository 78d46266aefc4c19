package bedrock

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	awses "github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"

	"github.com/sluicehq/sluice/internal/api"
)

type frame struct {
	kind, name, payload string // kind: event, exception or error
}

func frames(t testing.TB, fs ...frame) []byte {
	var buf bytes.Buffer
	enc := awses.NewEncoder()
	for _, f := range fs {
		var m awses.Message
		m.Headers.Set(":message-type", awses.StringValue(f.kind))
		switch f.kind {
		case "event":
			m.Headers.Set(":event-type", awses.StringValue(f.name))
		case "exception":
			m.Headers.Set(":exception-type", awses.StringValue(f.name))
		case "error":
			m.Headers.Set(":error-code", awses.StringValue(f.name))
			m.Headers.Set(":error-message", awses.StringValue(f.payload))
			f.payload = ""
		}
		m.Payload = []byte(f.payload)
		if err := enc.Encode(&buf, m); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

func ev(name, payload string) frame { return frame{"event", name, payload} }

// drain reads a stream to its end and returns the chunks and the final error.
func drain(t *testing.T, r io.Reader) ([]api.ChatChunk, error) {
	t.Helper()
	s, err := testAdapter.DecodeChatStream(&http.Response{StatusCode: 200, Body: io.NopCloser(r)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var out []api.ChatChunk
	for range 100 {
		c, err := s.Next()
		if err != nil {
			return out, err
		}
		out = append(out, *c)
	}
	t.Fatal("stream never ended")
	return nil, nil
}

func TestStreamFailures(t *testing.T) {
	start := ev("messageStart", `{"role":"assistant"}`)
	for _, tc := range []struct {
		name     string
		raw      []byte
		typ      string
		code     string
		status   int
		retry    bool
		inMsg    string
		chunksOK int
	}{
		{"ends between frames before metadata", frames(t, start, ev("messageStop", `{"stopReason":"end_turn"}`)),
			"server_error", "stream_interrupted", 502, false, "before its metadata", 2},
		{"empty body", nil, "server_error", "stream_interrupted", 502, false, "before its metadata", 0},
		{"tool input for a block that is no tool call", frames(t, start, ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"{}"}}}`)),
			"server_error", "stream_interrupted", 502, false, "malformed", 1},
		{"event payload not JSON", frames(t, start, ev("messageStop", `stop`)),
			"server_error", "stream_interrupted", 502, false, "malformed", 1},
		{"unknown message type", frames(t, frame{"ping", "", ""}),
			"server_error", "stream_interrupted", 502, false, "malformed", 0},
		{"throttling before any chunk may be retried", frames(t, frame{"exception", "throttlingException", `{"message":"slow down"}`}),
			"ThrottlingException", "", 429, true, "slow down", 0},
		{"service unavailable after a chunk may not", frames(t, start, frame{"exception", "serviceUnavailableException", `{"Message":"busy"}`}),
			"ServiceUnavailableException", "", 503, false, "busy", 1},
		{"validation exception", frames(t, frame{"exception", "validationException", `{"message":"bad input"}`}),
			"ValidationException", "", 400, false, "bad input", 0},
		{"error message type", frames(t, start, frame{"error", "InternalFailure", "it broke"}),
			"InternalFailure", "", 502, false, "it broke", 1},
		{"exception without a message", frames(t, frame{"exception", "internalServerException", `{}`}),
			"InternalServerException", "", 502, true, "internalServerException", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			chunks, err := drain(t, bytes.NewReader(tc.raw))
			e := api.AsError(err)
			if errors.Is(err, io.EOF) || e.Type != tc.typ || e.Code != tc.code || e.Status != tc.status || e.Retryable != tc.retry {
				t.Fatalf("end = %v (type %q code %q status %d retryable %v), want type %q code %q status %d retryable %v",
					err, e.Type, e.Code, e.Status, e.Retryable, tc.typ, tc.code, tc.status, tc.retry)
			}
			if !strings.Contains(e.Message, tc.inMsg) {
				t.Errorf("message %q does not mention %q", e.Message, tc.inMsg)
			}
			if len(chunks) != tc.chunksOK {
				t.Errorf("got %d chunks before the error, want %d", len(chunks), tc.chunksOK)
			}
		})
	}
}

func TestStreamEndsCleanlyAtMetadataWithoutUsage(t *testing.T) {
	raw := frames(t, ev("messageStart", `{"role":"assistant"}`), ev("messageStop", `{"stopReason":"max_tokens"}`),
		ev("metadata", `{"metrics":{"latencyMs":1}}`), ev("messageStart", `{"role":"assistant"}`))
	chunks, err := drain(t, bytes.NewReader(raw))
	if err != io.EOF || len(chunks) != 2 || *chunks[1].Choices[0].FinishReason != "length" {
		t.Fatalf("got %d chunks and %v, want role and finish (length) chunks, then io.EOF with nothing read past metadata", len(chunks), err)
	}
}

func TestStreamCancellationIsNotAProviderError(t *testing.T) {
	_, err := drain(t, io.MultiReader(bytes.NewReader(frames(t, ev("messageStart", `{}`))), errReader{context.Canceled}))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("end = %v, want context.Canceled passed through", err)
	}
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// FuzzChatStream decodes arbitrary bytes: never a panic, never an error that is neither io.EOF
// nor an *api.Error, and io.EOF only after the usage-bearing metadata event.
func FuzzChatStream(f *testing.F) {
	f.Add(frames(f, ev("messageStart", `{"role":"assistant"}`), ev("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"hi"}}`),
		ev("messageStop", `{"stopReason":"end_turn"}`), ev("metadata", `{"usage":{"inputTokens":1,"outputTokens":1,"totalTokens":2}}`)))
	f.Add(frames(f, ev("contentBlockStart", `{"contentBlockIndex":3,"start":{"toolUse":{"toolUseId":"t","name":"f"}}}`),
		ev("contentBlockDelta", `{"contentBlockIndex":3,"delta":{"toolUse":{"input":"{"}}}`)))
	f.Add(frames(f, frame{"exception", "throttlingException", `{"message":"x"}`}))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, _ := testAdapter.DecodeChatStream(&http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(data))})
		for range 10000 {
			_, err := s.Next()
			if err == nil {
				continue
			}
			var e *api.Error
			if err != io.EOF && !errors.As(err, &e) {
				t.Fatalf("Next() = %T %v", err, err)
			}
			return
		}
	})
}
