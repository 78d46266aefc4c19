package api

import "context"

// Extended thinking (reasoning) on the OpenAI-shaped API. OpenAI's own API has only the
// reasoning_effort request parameter and never returns the reasoning; the members below follow
// the de-facto convention of gateways in front of Anthropic (LiteLLM's thinking,
// reasoning_content and thinking_blocks), so a chat completions client can read a model's
// thinking and send its signed blocks back on the next turn, and the Anthropic Messages
// endpoint can carry them through to any provider.

// Thinking is the request's extended-thinking configuration, Anthropic's thinking object
// (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking): Type is
// "enabled" (with BudgetTokens), "adaptive", "between_tools" or "disabled"; Display is
// "summarized" or "omitted". Providers without thinking ignore it.
type Thinking struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens,omitzero"`
	Display      string `json:"display,omitzero"`
}

// Thinking block types.
const (
	ThinkingBlockThinking = "thinking"
	ThinkingBlockRedacted = "redacted_thinking"
)

// ThinkingBlock is one block of a model's thinking: Type "thinking" with its text and the
// provider's Signature over it, or "redacted_thinking" with encrypted Data. Both are opaque
// to Sluice and must reach the provider again unchanged and in order, or it rejects the turn.
// In a stream delta a thinking block is a fragment: text and signature arrive separately, the
// signature last.
type ThinkingBlock struct {
	Type      string `json:"type"`
	Thinking  string `json:"thinking,omitzero"`
	Signature string `json:"signature,omitzero"`
	Data      string `json:"data,omitzero"`
}

// ThinkingText joins the text of the thinking blocks: a message's reasoning_content.
func ThinkingText(blocks []ThinkingBlock) string {
	n := 0
	for i := range blocks {
		n += len(blocks[i].Thinking)
	}
	if n == 0 {
		return ""
	}
	b := make([]byte, 0, n)
	for i := range blocks {
		b = append(b, blocks[i].Thinking...)
	}
	return string(b)
}

type claudeThinkingKey struct{}

// WithClaudeThinking marks ctx: the request's thinking object was written for Claude, by a
// client of the Anthropic Messages endpoint, so adapters of providers without Claude's thinking
// leave it out. One a chat completions client sent is forwarded to OpenAI-compatible servers as
// sent, like any parameter Sluice does not translate: some define a thinking object of their own.
func WithClaudeThinking(ctx context.Context) context.Context {
	return context.WithValue(ctx, claudeThinkingKey{}, true)
}

// ClaudeThinking reports whether ctx carries the WithClaudeThinking mark.
func ClaudeThinking(ctx context.Context) bool {
	v, _ := ctx.Value(claudeThinkingKey{}).(bool)
	return v
}
