package gemini

import (
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// BenchmarkToChatRequest decodes and translates a typical SDK request: system instruction,
// generation config, one user turn.
func BenchmarkToChatRequest(b *testing.B) {
	body := []byte(`{"contents":[{"role":"user","parts":[{"text":"Write a haiku about gateways."}]}],` +
		`"systemInstruction":{"parts":[{"text":"Be brief."}]},"generationConfig":{"temperature":0.5,"maxOutputTokens":256}}`)
	b.ReportAllocs()
	for b.Loop() {
		var in GenerateContentRequest
		if err := jsonx.Unmarshal(body, &in); err != nil {
			b.Fatal(err)
		}
		if _, err := ToChatRequest("fast", &in, true); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamEncoderChunk encodes one text delta as an SSE event into a reused buffer, the
// per-chunk work of a Gemini stream.
func BenchmarkStreamEncoderChunk(b *testing.B) {
	text := "gateway "
	chunk := &api.ChatChunk{ID: "chatcmpl-1", Model: "gpt-4o-mini", Choices: []api.ChunkChoice{{Delta: api.Delta{Content: &text}}}}
	enc := NewStreamEncoder("fast", FramingSSE)
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = enc.AppendChunk(buf[:0], chunk); err != nil {
			b.Fatal(err)
		}
	}
}
