package anthropic

import (
	"fmt"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
)

// Extended thinking (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking):
// the request's thinking object is sent as given, or OpenAI's reasoning_effort is mapped to a
// budget; the thinking blocks of earlier assistant turns go back first in their turn, unchanged,
// since the API verifies their signatures and requires them before the tool_use they led to.

// effortBudgets maps reasoning_effort to budget_tokens, the mapping LiteLLM uses for Claude,
// so clients moving between gateways keep their costs. 1024 is the API's minimum.
var effortBudgets = map[string]int{"minimal": 1024, "low": 1024, "medium": 2048, "high": 4096, "xhigh": 8192}

const minThinkingBudget = 1024

// translateThinking returns the thinking object and the max_tokens to send. max_tokens bounds
// thinking and answer together, at Anthropic as in OpenAI's max_completion_tokens, so a
// client's limit is kept and the budget fits under it; without a client limit the answer gets
// the default room on top of the budget.
func translateThinking(t *provider.Target, req *api.ChatRequest, maxTokens int) (*thinking, int, error) {
	if th := req.Thinking; th != nil {
		// Passed as given: the API validates it, with its own messages.
		return &thinking{Type: th.Type, BudgetTokens: th.BudgetTokens, Display: th.Display}, maxTokens, nil
	}
	if req.ReasoningEffort == "" || req.ReasoningEffort == "none" {
		return nil, maxTokens, nil
	}
	budget, ok := effortBudgets[req.ReasoningEffort]
	if !ok {
		return nil, 0, unsupported(t, "reasoning_effort", fmt.Sprintf("%q has no thinking budget; use none, minimal, low, medium, high or xhigh", req.ReasoningEffort))
	}
	switch {
	case req.MaxCompletionTokens == nil && req.MaxTokens == nil:
		maxTokens = budget + defaultMaxTokens
	case maxTokens <= budget:
		budget = maxTokens - 1
		if budget < minThinkingBudget {
			return nil, 0, unsupported(t, "reasoning_effort", fmt.Sprintf("thinking needs a token limit above %d", minThinkingBudget))
		}
	}
	return &thinking{Type: "enabled", BudgetTokens: budget}, maxTokens, nil
}

// thinkingBlocks renders an assistant turn's thinking blocks. A thinking block without a
// signature is left out: it came from a provider that does not sign its reasoning (an
// OpenAI-compatible model's reasoning_content), and the API would refuse it.
func thinkingBlocks(tbs []api.ThinkingBlock) blocks {
	var out blocks
	for i := range tbs {
		tb := &tbs[i]
		switch {
		case tb.Type == api.ThinkingBlockRedacted:
			out = append(out, block{Type: tb.Type, Data: tb.Data})
		case tb.Type == api.ThinkingBlockThinking && tb.Signature != "":
			out = append(out, block{Type: tb.Type, Thinking: &tb.Thinking, Signature: &tb.Signature})
		}
	}
	return out
}

// answerThinking collects an answer's thinking and redacted_thinking blocks, in order.
func answerThinking(content []responseBlock) []api.ThinkingBlock {
	var out []api.ThinkingBlock
	for i := range content {
		b := &content[i]
		switch b.Type {
		case api.ThinkingBlockThinking:
			out = append(out, api.ThinkingBlock{Type: b.Type, Thinking: b.Thinking, Signature: b.Signature})
		case api.ThinkingBlockRedacted:
			out = append(out, api.ThinkingBlock{Type: b.Type, Data: b.Data})
		}
	}
	return out
}
