package mockllm

import (
	"encoding/json"
	"strings"
)

// Extended thinking of Claude on Bedrock
// (https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html):
// the thinking object arrives in additionalModelRequestFields, the answer starts with a
// reasoningContent block signed as the Anthropic mock signs its thinking (anSign), and
// reasoning sent back is verified with the errors Bedrock relays from the model.

// brReasoning is a reasoningContent block: reasoning text with its signature, or redacted
// content.
type brReasoning struct {
	ReasoningText *struct {
		Text      *string `json:"text"`
		Signature *string `json:"signature"`
	} `json:"reasoningText,omitempty"`
	RedactedContent *string `json:"redactedContent,omitempty"`
}

// brReasoningDelta is a stream delta's reasoningContent: one of its members is set.
type brReasoningDelta struct {
	Text            *string `json:"text,omitempty"`
	Signature       *string `json:"signature,omitempty"`
	RedactedContent *string `json:"redactedContent,omitempty"`
}

// brModelErr is a ValidationException carrying the model's own error, as Bedrock relays it.
func brModelErr(format string, args ...any) *failure {
	fl := brInvalid("The model returned the following errors: "+format, args...)
	return &fl
}

// thinking reads Claude's thinking object from additionalModelRequestFields; nil for other
// models or without one.
func (req *brRequest) thinking(model string) *anThinking {
	if !strings.Contains(model, "anthropic.") || len(req.AdditionalModelRequestFields) == 0 {
		return nil
	}
	var f struct {
		Thinking *anThinking `json:"thinking"`
	}
	if json.Unmarshal(req.AdditionalModelRequestFields, &f) != nil {
		return nil
	}
	return f.Thinking
}

// validateThinking applies the Anthropic model's checks to the thinking object and to the
// reasoning blocks sent back.
func (req *brRequest) validateThinking(th *anThinking) *failure {
	if th != nil && th.Type == "enabled" {
		switch {
		case th.BudgetTokens == nil:
			return brModelErr("thinking.enabled.budget_tokens: Field required")
		case *th.BudgetTokens < anMinThinkingBudget:
			return brModelErr("thinking.enabled.budget_tokens: Input should be greater than or equal to %d", anMinThinkingBudget)
		case req.InferenceConfig != nil && req.InferenceConfig.MaxTokens != nil && *th.BudgetTokens >= *req.InferenceConfig.MaxTokens:
			return brModelErr("`max_tokens` must be greater than `thinking.budget_tokens`.")
		}
	}
	for i, m := range req.Messages {
		for j, b := range m.Content {
			rc := b.ReasoningContent
			switch {
			case rc == nil:
			case m.Role != "assistant":
				return brModelErr("messages.%d.content.%d: reasoning blocks are only allowed in assistant messages", i, j)
			case rc.RedactedContent != nil:
				if !anVerifyRedacted(*rc.RedactedContent) {
					return brModelErr("messages.%d.content.%d: Invalid `data` in `redacted_thinking` block", i, j)
				}
			case rc.ReasoningText == nil || rc.ReasoningText.Text == nil:
				return brModelErr("messages.%d.content.%d.thinking.thinking: Field required", i, j)
			case rc.ReasoningText.Signature == nil:
				return brModelErr("messages.%d.content.%d.thinking.signature: Field required", i, j)
			case !anVerify(*rc.ReasoningText.Text, *rc.ReasoningText.Signature):
				return brModelErr("messages.%d.content.%d: Invalid `signature` in `thinking` block", i, j)
			}
		}
	}
	return req.checkReasoningFirst(th)
}

// checkReasoningFirst: with thinking enabled, the assistant turn that made the last tool
// calls must start with its reasoning.
func (req *brRequest) checkReasoningFirst(th *anThinking) *failure {
	n := len(req.Messages)
	if th == nil || th.Type != "enabled" || n < 2 {
		return nil
	}
	last, prev := req.Messages[n-1], req.Messages[n-2]
	results := false
	for _, b := range last.Content {
		results = results || b.ToolResult != nil
	}
	if !results || prev.Role != "assistant" || len(prev.Content) == 0 || prev.Content[0].ReasoningContent != nil {
		return nil
	}
	return brModelErr("messages.%d.content.0.type: Expected `thinking` or `redacted_thinking`, but found `%s`. "+
		"When `thinking` is enabled, a final `assistant` message must start with a thinking block.", n-2, brBlockKind(prev.Content[0]))
}

func brBlockKind(b brBlock) string {
	switch {
	case b.ToolUse != nil:
		return "tool_use"
	case b.ToolResult != nil:
		return "tool_result"
	case b.Image != nil:
		return "image"
	}
	return "text"
}

// planReasoning adds the reasoning blocks to out and their tokens to the output count: one
// signed reasoning text, and redacted content when the last message holds Anthropic's trigger.
func (req *brRequest) planReasoning(th *anThinking, out *brOutcome, seed uint64) {
	if th == nil || (th.Type != "enabled" && th.Type != "adaptive") {
		return
	}
	text := thinkingText(out.plan.calls)
	sig := anSign(text)
	rt := &brReasoningOut{ReasoningText: &brReasoningTextOut{Text: text, Signature: sig}}
	out.reasoning = append(out.reasoning, brBlockOut{ReasoningContent: rt})
	out.usage.OutputTokens += estimateTokens(text)
	if strings.Contains(req.lastText(), anRedactedTrigger) {
		out.reasoning = append(out.reasoning, brBlockOut{ReasoningContent: &brReasoningOut{RedactedContent: anRedactedData(seed)}})
		out.usage.OutputTokens += 16
	}
	out.usage.TotalTokens = out.usage.InputTokens + out.usage.OutputTokens
}

type brReasoningOut struct {
	ReasoningText   *brReasoningTextOut `json:"reasoningText,omitempty"`
	RedactedContent string              `json:"redactedContent,omitempty"`
}

type brReasoningTextOut struct {
	Text      string `json:"text"`
	Signature string `json:"signature"`
}

// reasoningFrames streams the reasoning blocks from index 0: text deltas a sentence at a time,
// then the signature, then the block's stop; redacted content in one delta.
func reasoningFrames(blocks []brBlockOut) []brFrame {
	var fs []brFrame
	for k, b := range blocks {
		idx := k
		rc := b.ReasoningContent
		if rc.ReasoningText == nil {
			fs = append(fs, brFrame{"contentBlockDelta", brPayload{ContentBlockIndex: &idx,
				Delta: &brDelta{ReasoningContent: &brReasoningDelta{RedactedContent: &rc.RedactedContent}}}, false})
		} else {
			for _, piece := range anThinkingPieces(rc.ReasoningText.Text) {
				fs = append(fs, brFrame{"contentBlockDelta", brPayload{ContentBlockIndex: &idx,
					Delta: &brDelta{ReasoningContent: &brReasoningDelta{Text: &piece}}}, false})
			}
			fs = append(fs, brFrame{"contentBlockDelta", brPayload{ContentBlockIndex: &idx,
				Delta: &brDelta{ReasoningContent: &brReasoningDelta{Signature: &rc.ReasoningText.Signature}}}, false})
		}
		fs = append(fs, brFrame{"contentBlockStop", brPayload{ContentBlockIndex: &idx}, false})
	}
	return fs
}
