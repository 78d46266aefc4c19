package gemini

import (
	"bytes"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/inbound/inboundtest"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// TestGolden runs every testdata/translate/*.txtar case. A case has any of these sections:
//
//	gemini.request.json   the client's body, for the path model "m"
//	openai.request.json   what ToChatRequest makes of it (streaming when the comment starts "stream:")
//	openai.response.json  a provider's answer in OpenAI shape
//	gemini.response.json  what FromChatResponse makes of it
//	openai.stream         OpenAI chunks, one JSON object per line
//	gemini.stream         what the StreamEncoder writes for them (SSE framing), byte for byte
//
// JSON is compared semantically; -update rewrites the expected sections.
func TestGolden(t *testing.T) {
	inboundtest.Run(t, "testdata/translate/*.txtar", func(t *testing.T, c *inboundtest.Case) {
		stream := bytes.HasPrefix(c.Comment, []byte("stream:"))
		if in, ok := c.Sections["gemini.request.json"]; ok {
			var req GenerateContentRequest
			if err := jsonx.Unmarshal(in, &req); err != nil {
				t.Fatalf("decode gemini.request.json: %v", err)
			}
			out, err := ToChatRequest("m", &req, stream)
			if err != nil {
				t.Fatalf("ToChatRequest: %v", err)
			}
			c.CheckJSON("openai.request.json", inboundtest.Pretty(t, out))
		}
		if in, ok := c.Sections["openai.response.json"]; ok {
			var resp api.ChatResponse
			if err := jsonx.Unmarshal(in, &resp); err != nil {
				t.Fatalf("decode openai.response.json: %v", err)
			}
			out, err := FromChatResponse(&resp)
			if err != nil {
				t.Fatalf("FromChatResponse: %v", err)
			}
			c.CheckJSON("gemini.response.json", inboundtest.Pretty(t, out))
		}
		if in, ok := c.Sections["openai.stream"]; ok {
			c.CheckBytes("gemini.stream", encodeStream(t, in))
		}
	})
}

func encodeStream(t *testing.T, lines []byte) []byte {
	t.Helper()
	enc := NewStreamEncoder("m", FramingSSE)
	var out []byte
	for _, line := range bytes.Split(bytes.TrimSpace(lines), []byte("\n")) {
		var c api.ChatChunk
		if err := jsonx.Unmarshal(line, &c); err != nil {
			t.Fatalf("openai.stream line %q: %v", line, err)
		}
		var err error
		if out, err = enc.AppendChunk(out, &c); err != nil {
			t.Fatalf("AppendChunk(%s): %v", line, err)
		}
	}
	out, err := enc.AppendFinish(out)
	if err != nil {
		t.Fatalf("AppendFinish: %v", err)
	}
	return out
}
