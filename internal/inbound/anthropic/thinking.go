package anthropic

import (
	"fmt"

	"github.com/sluicehq/sluice/internal/api"
)

// Extended thinking (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking):
// the thinking config becomes api.Thinking, and thinking and redacted_thinking blocks of
// assistant turns become api.ThinkingBlocks, carried unchanged so an Anthropic target can
// verify their signatures. Providers without thinking drop both.

// minThinkingBudget is the smallest budget_tokens the API accepts.
const minThinkingBudget = 1024

// thinkingConfig validates the thinking object as the API does, so a request that Anthropic
// would refuse is refused here too whichever provider serves it.
func thinkingConfig(th *Thinking, maxTokens int) (*api.Thinking, error) {
	if th == nil {
		return nil, nil
	}
	out := &api.Thinking{Type: th.Type, Display: th.Display}
	switch th.Type {
	case "enabled":
		switch {
		case th.BudgetTokens == nil:
			return nil, invalid("thinking", "thinking.enabled.budget_tokens: Field required")
		case *th.BudgetTokens < minThinkingBudget:
			return nil, invalid("thinking", fmt.Sprintf("thinking.enabled.budget_tokens: Input should be greater than or equal to %d", minThinkingBudget))
		case *th.BudgetTokens >= maxTokens:
			return nil, invalid("thinking", "`max_tokens` must be greater than `thinking.budget_tokens`")
		}
		out.BudgetTokens = *th.BudgetTokens
	case "disabled", "adaptive", "between_tools":
		if th.BudgetTokens != nil {
			return nil, invalid("thinking", fmt.Sprintf("thinking.%s.budget_tokens: Extra inputs are not permitted", th.Type))
		}
	default:
		return nil, invalid("thinking", fmt.Sprintf("thinking.type: must be enabled, adaptive, between_tools or disabled, got %q", th.Type))
	}
	switch th.Display {
	case "", "summarized", "omitted":
	default:
		return nil, invalid("thinking", fmt.Sprintf("thinking.display: must be summarized or omitted, got %q", th.Display))
	}
	if (th.Type == "disabled" || th.Type == "between_tools") && th.Display != "" {
		return nil, invalid("thinking", fmt.Sprintf("thinking.%s.display: Extra inputs are not permitted", th.Type))
	}
	return out, nil
}

// thinkingBlock translates an assistant turn's thinking or redacted_thinking block. An empty
// signature is accepted: it is what this endpoint answered with for a provider that does not
// sign its reasoning (see answerThinking), and the Anthropic adapter leaves such blocks out.
func thinkingBlock(blk *Block, where string) (api.ThinkingBlock, error) {
	if blk.Type == api.ThinkingBlockRedacted {
		if blk.Data == "" {
			return api.ThinkingBlock{}, invalid("messages", where+".data: Field required")
		}
		return api.ThinkingBlock{Type: blk.Type, Data: blk.Data}, nil
	}
	return api.ThinkingBlock{Type: blk.Type, Thinking: blk.Thinking, Signature: blk.Signature}, nil
}

// answerThinking returns an answer's thinking blocks: the provider's own, or, from a provider
// that reports only reasoning text (an OpenAI-compatible reasoning model), one unsigned block
// holding it, so Anthropic clients still see the reasoning.
func answerThinking(m *api.Message) []api.ThinkingBlock {
	if len(m.ThinkingBlocks) > 0 || m.ReasoningContent == "" {
		return m.ThinkingBlocks
	}
	return []api.ThinkingBlock{{Type: api.ThinkingBlockThinking, Thinking: m.ReasoningContent}}
}

// responseThinking renders a thinking block of an answer.
func responseThinking(tb *api.ThinkingBlock) ResponseBlock {
	if tb.Type == api.ThinkingBlockRedacted {
		return ResponseBlock{Type: tb.Type, Data: ptr(tb.Data)}
	}
	return ResponseBlock{Type: api.ThinkingBlockThinking, Thinking: ptr(tb.Thinking), Signature: ptr(tb.Signature)}
}
