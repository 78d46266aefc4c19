// Package azure is the adapter for Azure OpenAI: OpenAI's wire format (provider/openaiwire)
// behind Azure's addressing and credentials. A target's model is a deployment name, and every
// operation is POST {base_url}/openai/deployments/{deployment}/{operation}?api-version=...,
// authenticated with the resource's api-key header or an Entra ID bearer token. Responses
// carry Azure's content filter annotations (prompt_filter_results, content_filter_results),
// which pass through to the client untouched.
//
// With responses_api: native, /v1/responses requests go to Azure's v1 API instead,
// {base_url}/openai/v1/responses, the only place Azure serves the Responses API.
//
// Reference: https://learn.microsoft.com/azure/ai-foundry/openai/reference (data plane
// inference, api-version 2024-10-21).
package azure

import "github.com/sluicehq/sluice/internal/provider"

// DefaultAPIVersion is used when a provider sets no api_version: the latest GA release of the
// deployment-based data plane inference API, as listed by the Azure OpenAI REST reference
// (https://learn.microsoft.com/azure/ai-foundry/openai/reference#api-specs) and its spec
// (github.com/Azure/azure-rest-api-specs, .../AzureOpenAI/inference/stable/2024-10-21). It
// covers chat (with stream_options), embeddings, images, speech and transcriptions. Azure's
// newer "v1" API (/openai/v1/..., no api-version) is OpenAI's own shape: configure it as type
// openai with base_url https://{resource}.openai.azure.com/openai/v1.
const DefaultAPIVersion = "2024-10-21"

// Adapter implements provider.Adapter and every optional endpoint for Azure OpenAI.
type Adapter struct{}

var (
	_ provider.Adapter           = Adapter{}
	_ provider.EmbeddingsAdapter = Adapter{}
	_ provider.ImagesAdapter     = Adapter{}
	_ provider.AudioAdapter      = Adapter{}
	_ provider.ResponsesAdapter  = Adapter{}
)

// Type is the config name of this format.
func (Adapter) Type() string { return "azure" }

// Format is this adapter's registry entry. There is no preset: every resource has its own
// host, https://{resource}.openai.azure.com, which base_url must name.
func Format() provider.Format {
	return provider.Format{Adapter: Adapter{}, Capabilities: provider.Capabilities{
		Chat: true, Stream: true, Tools: true, Vision: true, JSONMode: true, Embeddings: true, Images: true, Audio: true,
	}}
}
