package openai

import (
	"fmt"
	"io"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// DecodeChatResponse reads a chat.completion body.
func (Adapter) DecodeChatResponse(resp *http.Response) (*api.ChatResponse, error) {
	var out api.ChatResponse
	if err := decodeBody(resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DecodeEmbeddingsResponse reads an embeddings list body.
func (Adapter) DecodeEmbeddingsResponse(resp *http.Response) (*api.EmbeddingsResponse, error) {
	var out api.EmbeddingsResponse
	if err := decodeBody(resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func decodeBody(resp *http.Response, v any) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return api.NewError("upstream_unreachable", "reading the provider's response failed", fmt.Errorf("openai: read body: %w", err))
	}
	if len(body) > maxResponseBytes {
		return api.Errorf("upstream_error", "the provider's response exceeds %d bytes", maxResponseBytes)
	}
	if err := jsonx.Unmarshal(body, v); err != nil {
		e := api.NewError("upstream_error", "the provider's response is not valid JSON", fmt.Errorf("openai: decode response: %w", err))
		e.Retryable = false
		return e
	}
	return nil
}
