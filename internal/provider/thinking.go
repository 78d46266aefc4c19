package provider

import "fmt"

// effortBudgets maps OpenAI's reasoning_effort to a thinking budget in tokens for providers
// that budget Claude's extended thinking (Anthropic, Bedrock): LiteLLM's mapping, so clients
// moving between gateways keep their costs. 1024 is the smallest budget Claude accepts.
var effortBudgets = map[string]int{"minimal": 1024, "low": 1024, "medium": 2048, "high": 4096, "xhigh": 8192}

// MinThinkingBudget is the smallest budget_tokens Claude accepts.
const MinThinkingBudget = 1024

// EffortBudget returns the thinking budget for reasoning_effort and the output token limit to
// send with it; budget 0 means no thinking. The limit bounds thinking and answer together, as
// OpenAI's max_completion_tokens does, so a client's limit is kept and the budget fitted under
// it; without one (limit nil) the answer gets room tokens on top of the budget. The error says
// why the effort cannot be honoured, for the caller's 400.
func EffortBudget(effort string, limit *int, room int) (budget, maxTokens int, err error) {
	if limit != nil {
		maxTokens = *limit
	}
	if effort == "" || effort == "none" {
		return 0, maxTokens, nil
	}
	budget, ok := effortBudgets[effort]
	switch {
	case !ok:
		return 0, 0, fmt.Errorf("%q has no thinking budget; use none, minimal, low, medium, high or xhigh", effort)
	case limit == nil:
		return budget, budget + room, nil
	case maxTokens <= budget:
		budget = maxTokens - 1
		if budget < MinThinkingBudget {
			return 0, 0, fmt.Errorf("thinking needs a token limit above %d", MinThinkingBudget)
		}
	}
	return budget, maxTokens, nil
}
