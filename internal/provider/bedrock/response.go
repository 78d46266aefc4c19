package bedrock

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// DecodeChatResponse reads a Converse answer into a chat.completion: text blocks joined into the
// content, toolUse blocks as tool_calls, reasoningContent blocks as thinking_blocks (their text
// joined in reasoning_content), stopReason as finish_reason, usage with cache tokens.
// Converse answers carry no id; the request id Bedrock sends as a header stands in.
func (a Adapter) DecodeChatResponse(resp *http.Response) (*api.ChatResponse, error) {
	var body converseResponse
	if err := decodeBody(resp, &body); err != nil {
		return nil, err
	}
	msg := api.Message{Role: "assistant"}
	var text strings.Builder
	for _, b := range body.Output.Message.Content {
		switch {
		case b.Text != nil:
			text.WriteString(*b.Text)
		case b.ToolUse != nil:
			msg.ToolCalls = append(msg.ToolCalls, api.ToolCall{ID: b.ToolUse.ToolUseID, Type: "function",
				Function: api.FunctionCall{Name: b.ToolUse.Name, Arguments: arguments(b.ToolUse.Input)}})
		case b.ReasoningContent != nil:
			if tb, ok := thinkingBlock(b.ReasoningContent); ok {
				msg.ThinkingBlocks = append(msg.ThinkingBlocks, tb)
			}
		}
	}
	msg.ReasoningContent = api.ThinkingText(msg.ThinkingBlocks)
	if text.Len() > 0 || len(msg.ToolCalls) == 0 {
		msg.Content = api.TextContent(text.String()) // else null, as OpenAI sends beside tool calls
	}
	return &api.ChatResponse{
		ID:      responseID(resp),
		Object:  "chat.completion",
		Created: a.now().Unix(),
		Model:   callOf(resp).model,
		Choices: []api.Choice{{Index: 0, Message: msg, FinishReason: finishReason(body.StopReason)}},
		Usage:   toUsage(body.Usage),
	}, nil
}

// arguments renders a tool's input object as OpenAI's arguments string.
func arguments(input jsonx.Value) string {
	if len(input) == 0 || string(input) == "null" {
		return "{}"
	}
	v := jsonx.Value(append([]byte(nil), input...))
	if v.Compact() != nil {
		return string(input)
	}
	return string(v)
}

func responseID(resp *http.Response) string {
	if id := resp.Header.Get("X-Amzn-Requestid"); id != "" {
		return "chatcmpl-" + id
	}
	return "chatcmpl-bedrock"
}

// finishReason maps Converse's stopReason to OpenAI's finish_reason.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_ResponseSyntax
func finishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "guardrail_intervened", "content_filtered":
		return "content_filter"
	default: // end_turn, stop_sequence, malformed_model_output, malformed_tool_use, future ones
		return "stop"
	}
}

// toUsage maps Bedrock's token usage. Bedrock counts cache reads and writes apart from
// inputTokens, while OpenAI's prompt_tokens includes cached tokens: the prompt is their sum.
// https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html
func toUsage(u *tokenUsage) *api.Usage {
	if u == nil {
		return nil
	}
	prompt := u.InputTokens + u.CacheReadInputTokens + u.CacheWriteInputTokens
	return &api.Usage{
		PromptTokens:     prompt,
		CompletionTokens: u.OutputTokens,
		TotalTokens:      prompt + u.OutputTokens,
		PromptTokensDetails: &api.PromptTokensDetails{
			CachedTokens:        u.CacheReadInputTokens,
			CacheCreationTokens: u.CacheWriteInputTokens,
		},
	}
}

func decodeBody(resp *http.Response, v any) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return api.NewError("upstream_unreachable", "reading the provider's response failed", fmt.Errorf("bedrock: read body: %w", err))
	}
	if len(body) > maxResponseBytes {
		return api.Errorf("upstream_error", "the provider's response exceeds %d bytes", maxResponseBytes)
	}
	if err := jsonx.Unmarshal(body, v); err != nil {
		e := api.NewError("upstream_error", "the provider's response is not valid JSON", fmt.Errorf("bedrock: decode response: %w", err))
		e.Retryable = false
		return e
	}
	return nil
}
