package anthropic

import (
	"math/rand/v2"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// FromChatResponse translates a chat completion into a Message: thinking blocks, text, tool_use
// blocks. Only the first choice is
// used: the Messages API has no n, so a translated request never asks for more.
func FromChatResponse(resp *api.ChatResponse) (*MessageResponse, error) {
	out := &MessageResponse{
		ID:      messageID(resp.ID),
		Type:    "message",
		Role:    "assistant",
		Model:   resp.Model,
		Content: []ResponseBlock{},
		Usage:   usageFrom(resp.Usage),
	}
	if len(resp.Choices) == 0 {
		out.StopReason = ptr("end_turn")
		return out, nil
	}
	c := &resp.Choices[0]
	// Thinking comes first, as Anthropic answers it.
	for _, tb := range answerThinking(&c.Message) {
		out.Content = append(out.Content, responseThinking(&tb))
	}
	if text := c.Message.Content.String(); text != "" {
		out.Content = append(out.Content, ResponseBlock{Type: "text", Text: &text})
	}
	if c.Message.Refusal != nil && *c.Message.Refusal != "" {
		out.Content = append(out.Content, ResponseBlock{Type: "text", Text: c.Message.Refusal})
	}
	for _, tc := range c.Message.ToolCalls {
		input, err := toolInput(tc.Function.Arguments)
		if err != nil {
			return nil, err
		}
		out.Content = append(out.Content, ResponseBlock{Type: "tool_use", ID: tc.ID, Name: tc.Function.Name, Input: input})
	}
	out.StopReason = ptr(StopReason(c.FinishReason))
	return out, nil
}

// toolInput parses a call's arguments: Anthropic clients receive input as a JSON object, not
// a string, so arguments that are not a JSON object cannot be passed on.
func toolInput(args string) (jsonx.Value, error) {
	args = strings.TrimSpace(args)
	if args == "" {
		return jsonx.Value("{}"), nil
	}
	if !strings.HasPrefix(args, "{") || !jsonx.Value(args).IsValid() {
		return nil, api.Errorf("upstream_error", "the provider returned tool arguments that are not a JSON object")
	}
	return jsonx.Value(args), nil
}

// StopReason maps an OpenAI finish_reason to Anthropic's stop_reason. OpenAI does not say
// which stop sequence matched, so "stop" is always end_turn and stop_sequence stays null.
func StopReason(finish string) string {
	switch finish {
	case "length":
		return "max_tokens"
	case "tool_calls", "function_call":
		return "tool_use"
	case "content_filter":
		return "refusal"
	default:
		return "end_turn"
	}
}

// usageFrom converts OpenAI usage, whose prompt_tokens includes cache reads and writes, into
// Anthropic's, whose input_tokens counts only the uncached rest.
func usageFrom(u *api.Usage) Usage {
	if u == nil {
		return Usage{}
	}
	out := Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}
	if d := u.PromptTokensDetails; d != nil {
		out.CacheReadInputTokens = d.CachedTokens
		out.CacheCreationInputTokens = d.CacheCreationTokens
		out.InputTokens = max(0, u.PromptTokens-d.CachedTokens-d.CacheCreationTokens)
	}
	return out
}

// messageID gives the upstream id Anthropic's "msg_" prefix, which some clients check, and
// makes one up when the provider sent none.
func messageID(id string) string {
	switch {
	case strings.HasPrefix(id, "msg_"):
		return id
	case id != "":
		return "msg_" + strings.TrimPrefix(id, "chatcmpl-")
	}
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	b := []byte("msg_000000000000000000000000")
	for i := 4; i < len(b); i++ {
		b[i] = digits[rand.IntN(len(digits))]
	}
	return string(b)
}

func ptr[T any](v T) *T { return &v }
