package gateway

import (
	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/tokens"
)

// countPromptTokens answers the count-tokens endpoints (Gemini's :countTokens, Anthropic's
// /v1/messages/count_tokens) without calling a provider: a route may lead to any of several,
// and a count must not cost a request. The figure is an o200k_base estimate of the translated
// prompt.
func countPromptTokens(req *api.ChatRequest) int { return tokens.Prompt(req) }
