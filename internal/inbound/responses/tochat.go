package responses

import (
	"strings"

	"github.com/sluicehq/sluice/internal/api"
)

// ToChatResponse reads a response object as a chat completion: the text of its messages,
// its function calls as tool calls, and a finish_reason from its status. Reasoning and built-in
// tool items have no chat equivalent. u is the usage, already converted.
func ToChatResponse(r *Response, u *api.Usage) *api.ChatResponse {
	msg := api.Message{Role: "assistant"}
	var text, refusal strings.Builder
	for i := range r.Output {
		o := &r.Output[i]
		switch o.Type {
		case "message":
			for _, c := range o.Content {
				if c.Text != nil {
					text.WriteString(*c.Text)
				}
				if c.Refusal != nil {
					refusal.WriteString(*c.Refusal)
				}
			}
		case "function_call":
			args := ""
			if o.Arguments != nil {
				args = *o.Arguments
			}
			msg.ToolCalls = append(msg.ToolCalls, api.ToolCall{ID: o.CallID, Type: "function",
				Function: api.FunctionCall{Name: o.Name, Arguments: args}})
		}
		// reasoning and built-in tool items have no chat equivalent; their tokens are in usage.
	}
	if text.Len() > 0 || len(msg.ToolCalls) == 0 {
		msg.Content = api.TextContent(text.String())
	}
	if refusal.Len() > 0 {
		s := refusal.String()
		msg.Refusal = &s
	}
	return &api.ChatResponse{ID: r.ID, Object: "chat.completion", Created: r.CreatedAt, Model: r.Model, Usage: u,
		Choices: []api.Choice{{Index: 0, Message: msg, FinishReason: FinishReason(r.Status, r.IncompleteDetails, len(msg.ToolCalls) > 0)}}}
}

// FinishReason maps a response's status to chat's finish_reason.
func FinishReason(status string, d *IncompleteDetails, calls bool) string {
	switch {
	case status == StatusIncomplete && d != nil && d.Reason == "content_filter":
		return "content_filter"
	case status == StatusIncomplete:
		return "length"
	case calls:
		return "tool_calls"
	}
	return "stop"
}
