// Package openai is the adapter for the OpenAI wire format, spoken by OpenAI itself and by
// every OpenAI-compatible server (Groq, Mistral, Together, Fireworks, DeepSeek, xAI,
// OpenRouter, Perplexity, vLLM, Ollama, LM Studio): those differ only in data, see presets.go.
// The encoding lives in provider/openaiwire, shared with Azure OpenAI; what is OpenAI's own is
// the endpoint: {base_url}/chat/completions with Authorization: Bearer.
package openai

import (
	"context"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/openaiwire"
)

// Adapter implements provider.Adapter and every optional endpoint for the OpenAI format.
type Adapter struct{}

var (
	_ provider.Adapter           = Adapter{}
	_ provider.EmbeddingsAdapter = Adapter{}
	_ provider.ImagesAdapter     = Adapter{}
	_ provider.AudioAdapter      = Adapter{}
	_ provider.ResponsesAdapter  = Adapter{}
)

// Type is the config name of this format.
func (Adapter) Type() string { return "openai" }

// Format is this adapter's registry entry.
func Format() provider.Format {
	return provider.Format{Adapter: Adapter{}, Presets: Presets, Capabilities: provider.Capabilities{
		Chat: true, Stream: true, Tools: true, Vision: true, JSONMode: true, Embeddings: true, Images: true, Audio: true,
	}}
}

// endpoint puts OpenAI's paths under the base URL (which carries the /v1) and sends the key
// as a bearer token. A keyless target (a local server) sends no Authorization at all.
type endpoint struct{}

func (endpoint) URL(t *provider.Target, path string) string { return t.BaseURL + path }

func (endpoint) Authorize(r *http.Request, t *provider.Target) {
	if !t.APIKey.IsZero() {
		r.Header.Set("Authorization", "Bearer "+t.APIKey.Reveal())
	}
}

// NewChatRequest builds POST {base}/chat/completions.
func (Adapter) NewChatRequest(ctx context.Context, t *provider.Target, req *api.ChatRequest) (*http.Request, error) {
	return openaiwire.NewChatRequest(ctx, endpoint{}, t, req)
}

// DecodeChatResponse reads a chat.completion body.
func (Adapter) DecodeChatResponse(resp *http.Response) (*api.ChatResponse, error) {
	return openaiwire.DecodeChatResponse(resp)
}

// DecodeChatStream reads an SSE stream of chat.completion.chunk events ending in [DONE].
func (Adapter) DecodeChatStream(resp *http.Response) (provider.Stream, error) {
	return openaiwire.DecodeChatStream(resp)
}

// DecodeError reads a non-2xx response, keeping the provider's type, code and message.
func (Adapter) DecodeError(resp *http.Response) *api.Error { return openaiwire.DecodeError(resp) }

// NewEmbeddingsRequest builds POST {base}/embeddings.
func (Adapter) NewEmbeddingsRequest(ctx context.Context, t *provider.Target, req *api.EmbeddingsRequest) (*http.Request, error) {
	return openaiwire.NewEmbeddingsRequest(ctx, endpoint{}, t, req)
}

// DecodeEmbeddingsResponse reads an embeddings list body.
func (Adapter) DecodeEmbeddingsResponse(resp *http.Response) (*api.EmbeddingsResponse, error) {
	return openaiwire.DecodeEmbeddingsResponse(resp)
}

// NewResponsesRequest builds POST {base}/responses: OpenAI's Responses API, spoken natively.
func (Adapter) NewResponsesRequest(ctx context.Context, t *provider.Target, req *provider.ResponsesRequest) (*http.Request, error) {
	return openaiwire.NewResponsesRequest(ctx, endpoint{}, t, req)
}

// DecodeResponsesResponse reads a response object.
func (Adapter) DecodeResponsesResponse(resp *http.Response) (*provider.ResponsesAnswer, error) {
	return openaiwire.DecodeResponsesResponse(resp)
}

// DecodeResponsesStream reads the Responses API's semantic events.
func (Adapter) DecodeResponsesStream(resp *http.Response) (provider.EventStream, error) {
	return openaiwire.DecodeResponsesStream(resp)
}
