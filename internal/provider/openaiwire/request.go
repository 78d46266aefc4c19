package openaiwire

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

// NewChatRequest builds POST /chat/completions. Streams always ask for usage, so cost is known
// even when the client did not ask; the gateway strips it from such clients' streams.
func NewChatRequest(ctx context.Context, ep Endpoint, t *provider.Target, req *api.ChatRequest) (*http.Request, error) {
	out := *req // shallow copy: the caller's request is shared with retries and logs
	out.Model = t.Model
	if api.ClaudeThinking(ctx) {
		out.Thinking = nil // written for Claude; reasoning_effort, OpenAI's own control, still goes
	}
	out.Messages = withoutThinking(req.Messages)
	if out.Stream && !out.WantsUsage() {
		so := api.StreamOptions{IncludeUsage: true}
		if req.StreamOptions != nil {
			so.Extra = req.StreamOptions.Extra
		}
		out.StreamOptions = &so
	}
	body, err := jsonx.Marshal(&out)
	if err != nil {
		return nil, fmt.Errorf("openaiwire: encode chat request: %w", err)
	}
	accept := acceptJSON
	if out.Stream {
		accept = acceptEvents
	}
	return newJSONRequest(ctx, ep, t, "/chat/completions", body, accept)
}

// withoutThinking drops Claude's thinking from earlier assistant turns, as other gateways do:
// thinking_blocks, and the reasoning_content that repeats their text. A reasoning_content
// without blocks is the OpenAI-compatible server's own (DeepSeek, Kimi), which some of them
// need back in a tool loop, so it is forwarded as the client sent it. msgs is returned as is
// when there is nothing to drop, the common case.
func withoutThinking(msgs []api.Message) []api.Message {
	i := slices.IndexFunc(msgs, func(m api.Message) bool { return m.ThinkingBlocks != nil })
	if i < 0 {
		return msgs
	}
	out := slices.Clone(msgs)
	for j := i; j < len(out); j++ {
		if out[j].ThinkingBlocks != nil {
			out[j].ReasoningContent, out[j].ThinkingBlocks = "", nil
		}
	}
	return out
}

// NewEmbeddingsRequest builds POST /embeddings.
func NewEmbeddingsRequest(ctx context.Context, ep Endpoint, t *provider.Target, req *api.EmbeddingsRequest) (*http.Request, error) {
	out := *req
	out.Model = t.Model
	body, err := jsonx.Marshal(&out)
	if err != nil {
		return nil, fmt.Errorf("openaiwire: encode embeddings request: %w", err)
	}
	return newJSONRequest(ctx, ep, t, "/embeddings", body, acceptJSON)
}

// NewImagesRequest builds POST /images/generations.
func NewImagesRequest(ctx context.Context, ep Endpoint, t *provider.Target, req *provider.ImagesRequest) (*http.Request, error) {
	out := *req
	out.Model = t.Model
	body, err := jsonx.Marshal(&out)
	if err != nil {
		return nil, fmt.Errorf("openaiwire: encode images request: %w", err)
	}
	return newJSONRequest(ctx, ep, t, "/images/generations", body, acceptJSON)
}

// NewSpeechRequest builds POST /audio/speech; the answer is audio in response_format.
func NewSpeechRequest(ctx context.Context, ep Endpoint, t *provider.Target, req *provider.SpeechRequest) (*http.Request, error) {
	out := *req
	out.Model = t.Model
	body, err := jsonx.Marshal(&out)
	if err != nil {
		return nil, fmt.Errorf("openaiwire: encode speech request: %w", err)
	}
	return newJSONRequest(ctx, ep, t, "/audio/speech", body, acceptAudio)
}

// NewTranscriptionRequest builds POST /audio/transcriptions from the client's form with the
// model replaced. The body streams from the client; with its length unknown it goes chunked.
func NewTranscriptionRequest(ctx context.Context, ep Endpoint, t *provider.Target, form provider.Form) (*http.Request, error) {
	body, contentType, length := form.Encode(t.Model)
	r, err := newRequest(ctx, ep, t, "/audio/transcriptions", body, contentType, "")
	if err != nil {
		return nil, err
	}
	r.ContentLength = length
	return r, nil
}
