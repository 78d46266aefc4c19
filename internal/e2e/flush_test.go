package e2e

import (
	"context"
	"testing"
	"time"
)

// allFormatsConfig declares one provider of every wire format, all served by the mock.
const allFormatsConfig = `
providers:
  oai: {type: openai, base_url: "{{MOCK}}/v1", api_key: ` + mockKey + `}
  az: {type: azure, base_url: "{{MOCK}}", api_key: ` + mockKey + `, api_version: "2024-10-21"}
  claude: {type: anthropic, base_url: "{{MOCK}}/v1", api_key: ` + mockKey + `}
  gem: {type: gemini, base_url: "{{MOCK}}/v1beta", api_key: ` + mockKey + `}
  aws:
    type: bedrock
    base_url: "{{MOCK}}"
    region: us-east-1
    aws_access_key_id: ` + mockAWSKeyID + `
    aws_secret_access_key: ` + mockAWSSecret + `
`

// TestEveryFormatStreamsChunkByChunk: whatever the provider's stream framing (SSE, Gemini's
// SSE, Bedrock's binary event stream), each token reaches the client as it is produced, not
// when the upstream finishes.
func TestEveryFormatStreamsChunkByChunk(t *testing.T) {
	g := start(t, allFormatsConfig, time.Minute)
	client := g.client()
	for _, model := range []string{"oai/gpt-4o-mini", "az/gpt-4o-mini", "claude/claude-sonnet-4-5",
		"gem/gemini-2.5-flash", "aws/anthropic.claude-3-5-sonnet-20240620-v1:0"} {
		t.Run(model, func(t *testing.T) {
			params := userMsg("[[mock tokens=4 token_delay=150ms]]")
			params.Model = model
			stream := client.Chat.Completions.NewStreaming(context.Background(), params)
			var arrivals []time.Time
			content := ""
			for stream.Next() {
				arrivals = append(arrivals, time.Now())
				if c := stream.Current(); len(c.Choices) > 0 {
					content += c.Choices[0].Delta.Content
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("stream: %v", err)
			}
			if len(arrivals) < 4 || content == "" {
				t.Fatalf("got %d chunks, content %q", len(arrivals), content)
			}
			// Four tokens 150 ms apart span at least 450 ms; a buffered relay delivers them in
			// one burst at the end.
			if spread := arrivals[len(arrivals)-1].Sub(arrivals[0]); spread < 300*time.Millisecond {
				t.Errorf("chunks arrived within %v of each other: the stream was buffered", spread)
			}
		})
	}
}
