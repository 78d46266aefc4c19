package openairesponses

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/inbound/responses"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider/openaiwire"
)

// DecodeChatResponse reads a response object as a chat completion.
func (Adapter) DecodeChatResponse(resp *http.Response) (*api.ChatResponse, error) {
	a, err := openaiwire.DecodeResponsesResponse(resp)
	if err != nil {
		return nil, err
	}
	var r responses.Response
	if err := jsonx.Unmarshal(a.Body, &r); err != nil {
		return nil, api.NewError("upstream_error", "the provider's response is not a response object", fmt.Errorf("openairesponses: decode response: %w", err))
	}
	if r.Status == responses.StatusFailed {
		return nil, failedError(r.Error)
	}
	return toChat(&r, a.Usage), nil
}

func toChat(r *responses.Response, u *api.Usage) *api.ChatResponse {
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
		Choices: []api.Choice{{Index: 0, Message: msg, FinishReason: finishReason(r.Status, r.IncompleteDetails, len(msg.ToolCalls) > 0)}}}
}

// finishReason maps a response's status to chat's finish_reason.
func finishReason(status string, d *responses.IncompleteDetails, calls bool) string {
	switch {
	case status == responses.StatusIncomplete && d != nil && d.Reason == "content_filter":
		return "content_filter"
	case status == responses.StatusIncomplete:
		return "length"
	case calls:
		return "tool_calls"
	}
	return "stop"
}

// failedError is a response that failed upstream (status failed, or response.failed).
func failedError(re *responses.ResponseError) *api.Error {
	msg := "the provider failed the response"
	code := ""
	if re != nil {
		msg, code = re.Message, re.Code
	}
	e := api.NewError("upstream_error", msg, fmt.Errorf("openairesponses: response failed: %s", code))
	if code != "" {
		e.Code = code
	}
	e.Retryable = false
	return e
}
