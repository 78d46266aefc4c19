package azure

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/openaiwire"
)

// endpoint addresses a deployment. OpenAI's operation paths ("/chat/completions") are kept,
// under /openai/deployments/{deployment}, with api-version as a query parameter — Azure
// answers 404 when it is missing or unknown, it is not accepted as a header.
type endpoint struct{}

func (endpoint) URL(t *provider.Target, path string) string {
	version := t.Settings.APIVersion
	if version == "" {
		version = DefaultAPIVersion
	}
	// Tolerate a base_url copied with the /openai suffix some portals show.
	base := strings.TrimSuffix(t.BaseURL, "/openai")
	return base + "/openai/deployments/" + url.PathEscape(t.Model) + path + "?api-version=" + url.QueryEscape(version)
}

// v1Endpoint is Azure's v1 API, which serves OpenAI's Responses API at
// {base_url}/openai/v1/responses with the deployment as the body's model and no api-version
// (https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle); the deployment
// paths have no Responses API. Credentials are the same.
type v1Endpoint struct{ endpoint }

func (v1Endpoint) URL(t *provider.Target, path string) string {
	return strings.TrimSuffix(t.BaseURL, "/openai") + "/openai/v1" + path
}

// Authorize sends the Entra ID token as a bearer token when one is configured, else the
// resource key in api-key (https://learn.microsoft.com/azure/ai-foundry/openai/reference#authentication).
func (endpoint) Authorize(r *http.Request, t *provider.Target) {
	switch {
	case !t.Settings.AzureADToken.IsZero():
		r.Header.Set("Authorization", "Bearer "+t.Settings.AzureADToken.Reveal())
	case !t.APIKey.IsZero():
		r.Header.Set("Api-Key", t.APIKey.Reveal())
	}
}

// NewChatRequest builds POST .../chat/completions. The body's model is the deployment name,
// which Azure ignores (the path decides) and the official SDKs send all the same.
func (Adapter) NewChatRequest(ctx context.Context, t *provider.Target, req *api.ChatRequest) (*http.Request, error) {
	return openaiwire.NewChatRequest(ctx, endpoint{}, t, req)
}

// NewEmbeddingsRequest builds POST .../embeddings.
func (Adapter) NewEmbeddingsRequest(ctx context.Context, t *provider.Target, req *api.EmbeddingsRequest) (*http.Request, error) {
	return openaiwire.NewEmbeddingsRequest(ctx, endpoint{}, t, req)
}

// NewImagesRequest builds POST .../images/generations.
func (Adapter) NewImagesRequest(ctx context.Context, t *provider.Target, req *provider.ImagesRequest) (*http.Request, error) {
	return openaiwire.NewImagesRequest(ctx, endpoint{}, t, req)
}

// NewTranscriptionRequest builds POST .../audio/transcriptions from the client's form.
func (Adapter) NewTranscriptionRequest(ctx context.Context, t *provider.Target, form provider.Form) (*http.Request, error) {
	return openaiwire.NewTranscriptionRequest(ctx, endpoint{}, t, form)
}

// NewSpeechRequest builds POST .../audio/speech.
func (Adapter) NewSpeechRequest(ctx context.Context, t *provider.Target, req *provider.SpeechRequest) (*http.Request, error) {
	return openaiwire.NewSpeechRequest(ctx, endpoint{}, t, req)
}

// NewResponsesRequest builds POST {base}/openai/v1/responses for a native Responses request.
func (Adapter) NewResponsesRequest(ctx context.Context, t *provider.Target, req *provider.ResponsesRequest) (*http.Request, error) {
	return openaiwire.NewResponsesRequest(ctx, v1Endpoint{}, t, req)
}

// DecodeResponsesResponse reads a response object.
func (Adapter) DecodeResponsesResponse(resp *http.Response) (*provider.ResponsesAnswer, error) {
	return openaiwire.DecodeResponsesResponse(resp)
}

// DecodeResponsesStream reads the Responses API's events.
func (Adapter) DecodeResponsesStream(resp *http.Response) (provider.EventStream, error) {
	return openaiwire.DecodeResponsesStream(resp)
}
