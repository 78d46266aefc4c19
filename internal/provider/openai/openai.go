// Package openai is the adapter for the OpenAI wire format, spoken by OpenAI itself and by
// every OpenAI-compatible server (Groq, Mistral, Together, Fireworks, DeepSeek, xAI,
// OpenRouter, Perplexity, vLLM, Ollama, LM Studio): those differ only in data, see presets.go.
// Sluice's public API is this format, so translation is mostly renaming the model; unknown
// fields travel both ways untouched.
package openai

import "github.com/sluicehq/sluice/internal/provider"

// Adapter implements provider.Adapter and provider.EmbeddingsAdapter for the OpenAI format.
type Adapter struct{}

var (
	_ provider.Adapter           = Adapter{}
	_ provider.EmbeddingsAdapter = Adapter{}
)

// Type is the config name of this format.
func (Adapter) Type() string { return "openai" }

// Format is this adapter's registry entry.
func Format() provider.Format {
	return provider.Format{Adapter: Adapter{}, Presets: Presets, Capabilities: provider.Capabilities{
		Chat: true, Stream: true, Tools: true, Vision: true, JSONMode: true, Embeddings: true,
	}}
}

// maxResponseBytes bounds a non-streaming body: far above any real completion, well below
// what would hurt the gateway.
const maxResponseBytes = 64 << 20
