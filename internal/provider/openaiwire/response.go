package openaiwire

import (
	"fmt"
	"io"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

// DecodeChatResponse reads a chat.completion body.
func DecodeChatResponse(resp *http.Response) (*api.ChatResponse, error) {
	var out api.ChatResponse
	if err := decodeBody(resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DecodeEmbeddingsResponse reads an embeddings list body.
func DecodeEmbeddingsResponse(resp *http.Response) (*api.EmbeddingsResponse, error) {
	var out api.EmbeddingsResponse
	if err := decodeBody(resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DecodeImagesResponse reads an images body.
func DecodeImagesResponse(resp *http.Response) (*provider.ImagesResponse, error) {
	var out provider.ImagesResponse
	if err := decodeBody(resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// DecodeAudioResponse relays audio and transcripts untranslated: they are already in the
// shape the client asked OpenAI's API for.
func DecodeAudioResponse(resp *http.Response) (*provider.Media, error) {
	return provider.MediaFromResponse(resp), nil
}

func decodeBody(resp *http.Response, v any) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return api.NewError("upstream_unreachable", "reading the provider's response failed", fmt.Errorf("openaiwire: read body: %w", err))
	}
	if len(body) > maxResponseBytes {
		return api.Errorf("upstream_error", "the provider's response exceeds %d bytes", maxResponseBytes)
	}
	if err := jsonx.Unmarshal(body, v); err != nil {
		e := api.NewError("upstream_error", "the provider's response is not valid JSON", fmt.Errorf("openaiwire: decode response: %w", err))
		e.Retryable = false
		return e
	}
	return nil
}
