package anthropic

import (
	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
)

// Extended thinking (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking):
// the request's thinking object is sent as given, or OpenAI's reasoning_effort is mapped to a
// budget; the thinking blocks of earlier assistant turns go back first in their turn, unchanged,
// since the API verifies their signatures and requires them before the tool_use they led to.

// translateThinking returns the thinking object and the max_tokens to send: the request's
// thinking as given (the API validates it, with its own messages), or reasoning_effort as a
// budget (see provider.EffortBudget).
func translateThinking(t *provider.Target, req *api.ChatRequest, maxTokens int) (*thinking, int, error) {
	if th := req.Thinking; th != nil {
		return &thinking{Type: th.Type, BudgetTokens: th.BudgetTokens, Display: th.Display}, maxTokens, nil
	}
	limit := req.MaxCompletionTokens
	if limit == nil {
		limit = req.MaxTokens
	}
	budget, limited, err := provider.EffortBudget(req.ReasoningEffort, limit, defaultMaxTokens)
	switch {
	case err != nil:
		return nil, 0, unsupported(t, "reasoning_effort", err.Error())
	case budget == 0:
		return nil, maxTokens, nil
	}
	return &thinking{Type: "enabled", BudgetTokens: budget}, limited, nil
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
