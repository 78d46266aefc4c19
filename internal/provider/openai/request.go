package openai

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

// NewChatRequest builds POST {base}/chat/completions. Streams always ask for usage, so cost
// is known even when the client did not ask; the gateway strips it from such clients' streams.
func (Adapter) NewChatRequest(ctx context.Context, t *provider.Target, req *api.ChatRequest) (*http.Request, error) {
	out := *req // shallow copy: the caller's request is shared with retries and logs
	out.Model = t.Model
	if out.Stream && !out.WantsUsage() {
		so := api.StreamOptions{IncludeUsage: true}
		if req.StreamOptions != nil {
			so.Extra = req.StreamOptions.Extra
		}
		out.StreamOptions = &so
	}
	body, err := jsonx.Marshal(&out)
	if err != nil {
		return nil, fmt.Errorf("openai: encode chat request: %w", err)
	}
	return newRequest(ctx, t, "/chat/completions", body, out.Stream)
}

// NewEmbeddingsRequest builds POST {base}/embeddings.
func (Adapter) NewEmbeddingsRequest(ctx context.Context, t *provider.Target, req *api.EmbeddingsRequest) (*http.Request, error) {
	out := *req
	out.Model = t.Model
	body, err := jsonx.Marshal(&out)
	if err != nil {
		return nil, fmt.Errorf("openai: encode embeddings request: %w", err)
	}
	return newRequest(ctx, t, "/embeddings", body, false)
}

func newRequest(ctx context.Context, t *provider.Target, path string, body []byte, stream bool) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, t.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("openai: new request: %w", err)
	}
	for k, vs := range t.Headers {
		r.Header[k] = vs
	}
	r.Header.Set("Content-Type", "application/json")
	if stream {
		r.Header.Set("Accept", "text/event-stream")
	} else {
		r.Header.Set("Accept", "application/json")
	}
	if !t.APIKey.IsZero() {
		r.Header.Set("Authorization", "Bearer "+t.APIKey.Reveal())
	}
	return r, nil
}
