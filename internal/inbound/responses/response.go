package responses

import (
	"strconv"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// Response statuses.
const (
	StatusInProgress = "in_progress"
	StatusCompleted  = "completed"
	StatusIncomplete = "incomplete"
	StatusFailed     = "failed"
)

var emptyArray = jsonx.Value("[]")

// NewResponse returns the in-progress response object for a request: id and creation time
// from the gateway, and the request's settings echoed back as the API does, with its defaults
// filled in.
func NewResponse(in *Request, id string, createdAt int64) *Response {
	r := &Response{
		ID: id, Object: "response", CreatedAt: createdAt, Status: StatusInProgress, Model: in.Model,
		MaxOutputTokens: in.MaxOutputTokens, ParallelToolCalls: in.ParallelToolCalls == nil || *in.ParallelToolCalls,
		Store: in.Store == nil || *in.Store, Temperature: in.Temperature, TopP: in.TopP, Truncation: "disabled",
		Output: []OutputItem{}, Tools: in.Tools, ToolChoice: in.ToolChoice, Metadata: in.Metadata,
		Text: TextConfig{Format: &TextFormat{Type: "text"}},
	}
	if in.Instructions != "" {
		r.Instructions = &in.Instructions
	}
	if in.PreviousResponseID != "" {
		r.PreviousResponseID = &in.PreviousResponseID
	}
	if in.User != "" {
		r.User = &in.User
	}
	if in.Reasoning != nil {
		r.Reasoning = *in.Reasoning
	}
	if in.Text != nil && in.Text.Format != nil {
		r.Text = *in.Text
	}
	if r.Tools == nil {
		r.Tools = []Tool{}
	}
	if len(r.ToolChoice) == 0 {
		r.ToolChoice = jsonx.Value(`"auto"`)
	}
	if r.Metadata == nil {
		r.Metadata = map[string]string{}
	}
	return r
}

// Complete fills r from a chat completion: its output items, status and usage. Item ids derive
// from the response id, so one response's items are named alike and never collide with
// another's.
func Complete(r *Response, c *api.ChatResponse) {
	if c.Model != "" {
		r.Model = c.Model
	}
	r.Output = r.Output[:0]
	finish := ""
	if len(c.Choices) > 0 {
		ch := &c.Choices[0]
		finish = ch.FinishReason
		status := itemStatus(finish)
		if text := ch.Message.Content.String(); text != "" {
			r.Output = append(r.Output, messageItem(MessageID(r.ID), status, text))
		} else if ch.Message.Refusal != nil && *ch.Message.Refusal != "" {
			refusal := *ch.Message.Refusal
			r.Output = append(r.Output, OutputItem{Type: "message", ID: MessageID(r.ID), Status: status, Role: "assistant",
				Content: []OutputContent{{Type: "refusal", Refusal: &refusal}}})
		}
		for i := range ch.Message.ToolCalls {
			tc := &ch.Message.ToolCalls[i]
			args := tc.Function.Arguments
			r.Output = append(r.Output, OutputItem{Type: "function_call", ID: CallItemID(r.ID, i), Status: StatusCompleted,
				CallID: tc.ID, Name: tc.Function.Name, Arguments: &args})
		}
	}
	finishResponse(r, finish, c.Usage)
}

// finishResponse sets the final status and usage.
func finishResponse(r *Response, finish string, u *api.Usage) {
	r.Status = StatusCompleted
	switch finish {
	case "length":
		r.Status, r.IncompleteDetails = StatusIncomplete, &IncompleteDetails{Reason: "max_output_tokens"}
	case "content_filter":
		r.Status, r.IncompleteDetails = StatusIncomplete, &IncompleteDetails{Reason: "content_filter"}
	}
	r.Usage = UsageFrom(u)
}

func itemStatus(finish string) string {
	if finish == "length" || finish == "content_filter" {
		return StatusIncomplete
	}
	return StatusCompleted
}

func messageItem(id, status, text string) OutputItem {
	return OutputItem{Type: "message", ID: id, Status: status, Role: "assistant",
		Content: []OutputContent{{Type: "output_text", Text: &text, Annotations: emptyArray}}}
}

// UsageFrom converts chat usage; nil stays nil (the provider reported none).
func UsageFrom(u *api.Usage) *Usage {
	if u == nil {
		return nil
	}
	out := &Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens, TotalTokens: u.TotalTokens}
	if out.TotalTokens == 0 {
		out.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	if d := u.PromptTokensDetails; d != nil {
		out.InputTokensDetails.CachedTokens = d.CachedTokens
	}
	if d := u.CompletionTokensDetails; d != nil {
		out.OutputTokensDetails.ReasoningTokens = d.ReasoningTokens
	}
	return out
}

// MessageID is the id of a response's message item.
func MessageID(responseID string) string { return "msg_" + suffix(responseID) }

// CallItemID is the id of a response's i-th function_call item (the call_id is the model's).
func CallItemID(responseID string, i int) string {
	return "fc_" + suffix(responseID) + "_" + strconv.Itoa(i)
}

func suffix(responseID string) string {
	if len(responseID) > 5 && responseID[:5] == "resp_" {
		return responseID[5:]
	}
	return responseID
}

// ToItems turns a response's output into input items, the form in which a later request
// that names it as previous_response_id continues the conversation.
func ToItems(output []OutputItem) Items {
	out := make(Items, 0, len(output))
	for i := range output {
		o := &output[i]
		switch o.Type {
		case "message":
			parts := make(Parts, 0, len(o.Content))
			for _, c := range o.Content {
				switch {
				case c.Text != nil:
					parts = append(parts, Part{Type: "output_text", Text: *c.Text})
				case c.Refusal != nil:
					parts = append(parts, Part{Type: "refusal", Refusal: *c.Refusal})
				}
			}
			out = append(out, Item{Type: "message", ID: o.ID, Role: "assistant", Status: o.Status, Content: parts})
		case "function_call":
			args := ""
			if o.Arguments != nil {
				args = *o.Arguments
			}
			out = append(out, Item{Type: "function_call", ID: o.ID, Status: o.Status, CallID: o.CallID, Name: o.Name, Arguments: args})
		}
	}
	return out
}

// Failed marks r failed with the error the client is told.
func Failed(r *Response, e *api.Error) {
	r.Status = StatusFailed
	code := "server_error"
	if e.Status == 429 {
		code = "rate_limit_exceeded"
	}
	r.Error = &ResponseError{Code: code, Message: e.Message}
}
