// Package openairesponses is the adapter for OpenAI models that only the Responses API serves
// (o1-pro, o3-pro, the deep-research models, gpt-5-pro, the codex models,
// computer-use-preview): it translates Sluice's chat-shaped requests into POST
// {base_url}/responses and the answers, streamed or not, back into chat completions, so that
// /v1/chat/completions, /v1/messages and the Gemini API reach those models. Targets of the
// openai format use it automatically for provider.ResponsesOnlyModel ids, or when a target
// sets api: responses; it can also be a provider's type (openai_responses). It speaks the
// Responses API natively too, for /v1/responses requests. Only the registry (app) imports it.
//
// Translation choices a client may notice:
//   - system and developer messages stay messages of their role, in place; assistant text
//     becomes an output_text message, tool calls function_call items and tool results
//     function_call_output items.
//   - max_completion_tokens (else max_tokens) becomes max_output_tokens; reasoning_effort
//     becomes reasoning.effort; response_format becomes text.format; function tools are sent
//     with strict false unless the client set it, since the Responses API defaults to strict.
//   - store is always false: nothing would ever reference the upstream's copy.
//   - The completion id is the response id (resp_…); finish_reason is tool_calls when the
//     output has function calls, length for max_output_tokens, content_filter for a filtered
//     response, else stop. Usage keeps cached and reasoning tokens; a stream always ends with
//     the usage chunk, which the gateway drops for clients that did not ask for it.
//
// Refused with a 400 that names the parameter: n > 1, stop, presence/frequency penalties,
// logprobs, logit_bias, audio output, non-function tools and unknown parameters. Dropped
// because they never change the answer: seed, store, stream_options, prediction.
package openairesponses

import (
	"context"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/openaiwire"
)

// Adapter implements provider.Adapter over the Responses API.
type Adapter struct{}

var (
	_ provider.Adapter          = Adapter{}
	_ provider.ResponsesAdapter = Adapter{}
)

// Type is the config name of this format.
func (Adapter) Type() string { return "openai_responses" }

// Format is this adapter's registry entry. It has no presets: the openai preset selects it
// per model.
func Format() provider.Format {
	return provider.Format{Adapter: Adapter{}, Capabilities: provider.Capabilities{
		Chat: true, Stream: true, Tools: true, Vision: true, JSONMode: true,
	}}
}

// endpoint is OpenAI's: paths under the base URL, the key as a bearer token.
type endpoint struct{}

func (endpoint) URL(t *provider.Target, path string) string { return t.BaseURL + path }

func (endpoint) Authorize(r *http.Request, t *provider.Target) {
	if !t.APIKey.IsZero() {
		r.Header.Set("Authorization", "Bearer "+t.APIKey.Reveal())
	}
}

// DecodeError reads a non-2xx response: the Responses API's errors are OpenAI's.
func (Adapter) DecodeError(resp *http.Response) *api.Error { return openaiwire.DecodeError(resp) }

// NewResponsesRequest builds POST {base}/responses for a native request.
func (Adapter) NewResponsesRequest(ctx context.Context, t *provider.Target, req *provider.ResponsesRequest) (*http.Request, error) {
	return openaiwire.NewResponsesRequest(ctx, endpoint{}, t, req)
}

// DecodeResponsesResponse reads a native response object.
func (Adapter) DecodeResponsesResponse(resp *http.Response) (*provider.ResponsesAnswer, error) {
	return openaiwire.DecodeResponsesResponse(resp)
}

// DecodeResponsesStream reads a native event stream.
func (Adapter) DecodeResponsesStream(resp *http.Response) (provider.EventStream, error) {
	return openaiwire.DecodeResponsesStream(resp)
}
