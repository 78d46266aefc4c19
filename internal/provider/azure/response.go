package azure

import (
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/openaiwire"
)

// DecodeChatResponse reads a chat.completion. prompt_filter_results and each choice's
// content_filter_results are kept in Extra, and finish_reason "content_filter" (the answer
// was cut by Azure's filter) is already one of OpenAI's values.
func (Adapter) DecodeChatResponse(resp *http.Response) (*api.ChatResponse, error) {
	return openaiwire.DecodeChatResponse(resp)
}

// DecodeEmbeddingsResponse reads an embeddings list.
func (Adapter) DecodeEmbeddingsResponse(resp *http.Response) (*api.EmbeddingsResponse, error) {
	return openaiwire.DecodeEmbeddingsResponse(resp)
}

// DecodeImagesResponse reads an images body; each image's filter results stay in its Extra.
func (Adapter) DecodeImagesResponse(resp *http.Response) (*provider.ImagesResponse, error) {
	return openaiwire.DecodeImagesResponse(resp)
}

// DecodeAudioResponse relays audio and transcripts as they come.
func (Adapter) DecodeAudioResponse(resp *http.Response) (*provider.Media, error) {
	return openaiwire.DecodeAudioResponse(resp)
}

// DecodeError reads Azure's error bodies, which come in two shapes: OpenAI's
// {"error":{"message","type","param","code"}} for what the model service rejects — including
// a prompt refused by the content filter, a 400 with code "content_filter" that is kept so
// clients can tell it from other 400s — and the gateway's own {"error":{"code","message"}}
// for credentials (401), missing deployments (404 DeploymentNotFound) and throttling (429,
// with retry-after and retry-after-ms). Both decode the same way; see
// https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter.
func (Adapter) DecodeError(resp *http.Response) *api.Error { return openaiwire.DecodeError(resp) }
