package anthropic

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// DecodeChatResponse reads a Message and renders it as a chat.completion.
func (Adapter) DecodeChatResponse(resp *http.Response) (*api.ChatResponse, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return nil, api.NewError("upstream_unreachable", "reading the provider's response failed", fmt.Errorf("anthropic: read body: %w", err))
	}
	if len(body) > maxResponseBytes {
		return nil, api.Errorf("upstream_error", "the provider's response exceeds %d bytes", maxResponseBytes)
	}
	var msg messageResponse
	// A 200 carrying anything but a Message (an error object from a proxy) is not an answer;
	// a missing type is tolerated for Anthropic-compatible servers that leave it out.
	if err := jsonx.Unmarshal(body, &msg); err != nil || msg.Type != "" && msg.Type != "message" {
		if err == nil {
			err = fmt.Errorf("type %q, want message", msg.Type)
		}
		e := api.NewError("upstream_error", "the provider's response is not a valid message", fmt.Errorf("anthropic: decode response: %w", err))
		e.Retryable = false
		return nil, e
	}
	return toChatResponse(&msg), nil
}

// toChatResponse joins the text blocks into the message content, turns tool_use blocks
// into tool calls and keeps thinking blocks as thinking_blocks, their text joined in
// reasoning_content. Content is null when the model only called tools, as at OpenAI.
func toChatResponse(m *messageResponse) *api.ChatResponse {
	var text strings.Builder
	var calls []api.ToolCall
	for i := range m.Content {
		b := &m.Content[i]
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "tool_use":
			calls = append(calls, api.ToolCall{ID: b.ID, Type: "function",
				Function: api.FunctionCall{Name: b.Name, Arguments: arguments(b.Input)}})
		}
	}
	msg := api.Message{Role: "assistant", ToolCalls: calls, ThinkingBlocks: answerThinking(m.Content)}
	msg.ReasoningContent = api.ThinkingText(msg.ThinkingBlocks)
	if text.Len() > 0 || len(calls) == 0 {
		msg.Content = api.TextContent(text.String())
	}
	return &api.ChatResponse{
		ID:      m.ID,
		Object:  "chat.completion",
		Created: now().Unix(),
		Model:   m.Model,
		Choices: []api.Choice{{
			Message:      msg,
			FinishReason: finishReason(m.StopReason),
			Logprobs:     jsonx.Value("null"),
		}},
		Usage: toUsage(m.Usage),
	}
}

// arguments renders a tool_use input as OpenAI's arguments string: compact JSON, "{}" when
// absent.
func arguments(input jsonx.Value) string {
	if len(input) == 0 || string(input) == "null" {
		return "{}"
	}
	if err := input.Compact(); err != nil {
		return "{}" // unreachable: the decoder validated it
	}
	return string(input)
}

// finishReason maps stop_reason (https://docs.anthropic.com/en/api/handling-stop-reasons).
// pause_turn (a server tool paused a long turn) ends this answer as far as the client can
// tell; model_context_window_exceeded is a length limit like max_tokens.
func finishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "refusal":
		return "content_filter"
	}
	return "stop" // end_turn, stop_sequence, pause_turn, and null in a cut-short answer
}

// tokens is a usage total built from message_start and message_delta.
type tokens struct {
	input, output, cacheRead, cacheWrite int
	seen                                 bool
}

// add applies a usage object: the counts it carries replace earlier ones, since each is a
// whole-message total.
func (t *tokens) add(u *usage) {
	if u == nil {
		return
	}
	t.seen = true
	set := func(dst *int, src *int) {
		if src != nil {
			*dst = *src
		}
	}
	set(&t.input, u.InputTokens)
	set(&t.output, u.OutputTokens)
	set(&t.cacheRead, u.CacheReadInputTokens)
	set(&t.cacheWrite, u.CacheCreationInputTokens)
}

// openai renders the total in OpenAI's shape. OpenAI's prompt_tokens includes cached tokens,
// while Anthropic's input_tokens counts only the uncached rest, so cache reads and writes are
// added back.
func (t *tokens) openai() *api.Usage {
	if !t.seen {
		return nil
	}
	prompt := t.input + t.cacheRead + t.cacheWrite
	return &api.Usage{
		PromptTokens:     prompt,
		CompletionTokens: t.output,
		TotalTokens:      prompt + t.output,
		PromptTokensDetails: &api.PromptTokensDetails{
			CachedTokens:        t.cacheRead,
			CacheCreationTokens: t.cacheWrite,
		},
	}
}

func toUsage(u *usage) *api.Usage {
	var t tokens
	t.add(u)
	return t.openai()
}
