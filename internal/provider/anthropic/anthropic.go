// Package anthropic is the adapter for Anthropic's Messages API (POST /v1/messages,
// https://docs.anthropic.com/en/api/messages). It translates Sluice's OpenAI-shaped chat
// requests into Messages requests and the answers, streamed or not, back. Only the registry
// (app) imports it.
//
// Translation choices a client may notice:
//   - system and developer messages, wherever they appear, become the top-level system prompt,
//     in order; consecutive messages of one role are merged, and tool results become tool_result
//     blocks of a user message, because the API wants strict user/assistant alternation.
//   - max_tokens is required by the API: max_completion_tokens, else max_tokens, else
//     defaultMaxTokens.
//   - The completion id is the Anthropic message id (msg_…), kept as is so a request can be
//     found in Anthropic's console; created is the time Sluice received the answer.
//   - prompt_tokens counts input_tokens plus cache reads and cache writes, since OpenAI's
//     prompt_tokens includes cached tokens; prompt_tokens_details.cached_tokens is the cache
//     reads and cache_creation_tokens the cache writes.
//
// Refused with a 400 that names the parameter (see request.go): n > 1, logprobs and
// top_logprobs, response_format json_object/json_schema (no JSON mode in the Messages API),
// non-zero presence/frequency penalties, logit_bias, audio, non-function tools, unknown
// parameters. Dropped because they never change the answer: seed (best effort at OpenAI too),
// store, metadata, service_tier, prediction, prompt_cache_key, safety_identifier,
// stream_options (Anthropic always reports usage), logprobs:false, modalities:["text"],
// response_format {"type":"text"}, image detail and message names.
package anthropic

import (
	"time"

	"github.com/sluicehq/sluice/internal/provider"
)

// Adapter implements provider.Adapter for the Anthropic Messages API.
type Adapter struct{}

var _ provider.Adapter = Adapter{}

// Type is the config name of this format.
func (Adapter) Type() string { return "anthropic" }

// Format is this adapter's registry entry. There is no JSON mode in the Messages API, and
// Anthropic offers no embeddings, images or audio endpoints.
func Format() provider.Format {
	return provider.Format{
		Adapter: Adapter{},
		Capabilities: provider.Capabilities{
			Chat: true, Stream: true, Tools: true, Vision: true,
		},
		Presets: []provider.Preset{
			{Name: "anthropic", BaseURL: "https://api.anthropic.com/v1", KeyEnv: "ANTHROPIC_API_KEY"},
		},
	}
}

const (
	// apiVersion is the anthropic-version header every request must carry
	// (https://docs.anthropic.com/en/api/versioning); its wire format is what this package speaks.
	apiVersion = "2023-06-01"
	// defaultMaxTokens fills the API's required max_tokens when the client set no limit. 4096
	// is the smallest output limit of any Claude model still served (Claude 3 Haiku), so the
	// default is valid for every model; clients wanting longer answers set max_tokens.
	defaultMaxTokens = 4096
	// maxResponseBytes bounds a non-streaming body: far above any real message, well below
	// what would hurt the gateway.
	maxResponseBytes = 64 << 20
)

// now stamps completions with the time Sluice received them; tests pin it.
var now = time.Now
