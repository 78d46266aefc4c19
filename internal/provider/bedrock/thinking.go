package bedrock

import (
	"slices"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
)

// Extended thinking of Claude on Bedrock
// (https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html):
// the thinking object goes in additionalModelRequestFields, the answer's reasoning comes back as
// reasoningContent blocks, and earlier turns' reasoning goes back first in its turn, unchanged,
// since Bedrock verifies the signatures as Anthropic does.

// defaultAnswerTokens is the room left for the answer above a budget taken from
// reasoning_effort when the client set no token limit.
const defaultAnswerTokens = 4096

// thinks reports whether the model takes Claude's thinking object: Anthropic's models, by id
// or through an inference profile ("us.anthropic.claude-…"). Others refuse unknown fields.
func thinks(model string) bool { return strings.Contains(model, "anthropic.") }

// convertThinking sets the thinking fields of out for a Claude model: the request's thinking
// object as given, or reasoning_effort as a budget, with maxTokens raised or the budget fitted
// as provider.EffortBudget decides.
func convertThinking(model string, req *api.ChatRequest, out *converseRequest) error {
	if !thinks(model) {
		dropReasoning(out.Messages)
		return nil
	}
	var th *thinkingConfig
	if t := req.Thinking; t != nil {
		th = &thinkingConfig{Type: t.Type, BudgetTokens: t.BudgetTokens, Display: t.Display}
	} else {
		var limit *int
		if out.InferenceConfig != nil {
			limit = out.InferenceConfig.MaxTokens
		}
		budget, maxTokens, err := provider.EffortBudget(req.ReasoningEffort, limit, defaultAnswerTokens)
		switch {
		case err != nil:
			return unsupported("reasoning_effort", "%s", err)
		case budget == 0:
			return nil
		}
		th = &thinkingConfig{Type: "enabled", BudgetTokens: budget}
		if out.InferenceConfig == nil {
			out.InferenceConfig = &inferenceConfig{}
		}
		out.InferenceConfig.MaxTokens = &maxTokens
	}
	out.AdditionalModelRequestFields = &modelFields{Thinking: th}
	return nil
}

// dropReasoning removes earlier turns' reasoning for a model without Claude's thinking, as for
// any provider without it.
func dropReasoning(msgs []message) {
	for i := range msgs {
		msgs[i].Content = slices.DeleteFunc(msgs[i].Content, func(b contentBlock) bool { return b.ReasoningContent != nil })
	}
}

// reasoningBlocks renders an assistant turn's thinking blocks. Unsigned thinking (from a
// provider that does not sign it) is left out: Bedrock would refuse it.
func reasoningBlocks(tbs []api.ThinkingBlock) []contentBlock {
	var out []contentBlock
	for _, tb := range tbs {
		switch {
		case tb.Type == api.ThinkingBlockRedacted:
			out = append(out, contentBlock{ReasoningContent: &reasoningContent{RedactedContent: tb.Data}})
		case tb.Type == api.ThinkingBlockThinking && tb.Signature != "":
			out = append(out, contentBlock{ReasoningContent: &reasoningContent{
				ReasoningText: &reasoningText{Text: tb.Thinking, Signature: tb.Signature}}})
		}
	}
	return out
}

// thinkingBlock is a reasoningContent block of an answer as a thinking block.
func thinkingBlock(rc *reasoningContent) (api.ThinkingBlock, bool) {
	switch {
	case rc.ReasoningText != nil:
		return api.ThinkingBlock{Type: api.ThinkingBlockThinking, Thinking: rc.ReasoningText.Text, Signature: rc.ReasoningText.Signature}, true
	case rc.RedactedContent != "":
		return api.ThinkingBlock{Type: api.ThinkingBlockRedacted, Data: rc.RedactedContent}, true
	}
	return api.ThinkingBlock{}, false
}
