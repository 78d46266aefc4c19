package responses

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// ToChatRequest translates a Responses request into the gateway's chat-shaped request.
// conversation is every input item in order: the items of the previous responses the request
// continues (resolved by the gateway from previous_response_id), then the request's own input.
// What has no chat-shaped equivalent is refused with a 400 naming it, because dropping it would
// silently change the answer the client gets.
func ToChatRequest(in *Request, conversation Items) (*api.ChatRequest, error) {
	if err := refuseExtra(in.Extra); err != nil {
		return nil, err
	}
	switch {
	case in.Model == "":
		return nil, invalid("model", "model is required")
	case len(conversation) == 0:
		return nil, invalid("input", "input must contain at least one item")
	case in.MaxOutputTokens != nil && *in.MaxOutputTokens < 1:
		return nil, invalid("max_output_tokens", "max_output_tokens must be at least 1")
	}
	out := &api.ChatRequest{
		Model:               in.Model,
		Temperature:         in.Temperature,
		TopP:                in.TopP,
		MaxCompletionTokens: in.MaxOutputTokens,
		ParallelToolCalls:   in.ParallelToolCalls,
		User:                in.User,
		Stream:              in.Stream,
		Messages:            make([]api.Message, 0, len(conversation)+1),
	}
	if in.Stream {
		// response.completed must carry usage, so it is always requested.
		out.StreamOptions = &api.StreamOptions{IncludeUsage: true}
	}
	if in.Instructions != "" {
		out.Messages = append(out.Messages, api.Message{Role: "system", Content: api.TextContent(in.Instructions)})
	}
	var err error
	for i := range conversation {
		if out.Messages, err = appendItem(out.Messages, &conversation[i], i); err != nil {
			return nil, err
		}
	}
	if err := translateTools(out, in); err != nil {
		return nil, err
	}
	if err := translateFormat(out, in.Text); err != nil {
		return nil, err
	}
	return out, nil
}

// refuseExtra rejects members the translation does not know, naming them in sorted order so
// the message is stable.
func refuseExtra(extra jsonx.Value) error {
	if len(extra) == 0 {
		return nil
	}
	var members map[string]jsonx.Value
	if err := jsonx.Unmarshal(extra, &members); err != nil || len(members) == 0 {
		return nil
	}
	names := make([]string, 0, len(members))
	for k := range members {
		names = append(names, k)
	}
	slices.Sort(names)
	return invalid(names[0], fmt.Sprintf("%s: not supported by this gateway's Responses endpoint (it routes to providers without an equivalent)",
		strings.Join(names, ", ")))
}

// appendItem translates one input item. Function calls join the assistant message before
// them, as chat completions carry a turn's text and calls in one message.
func appendItem(dst []api.Message, it *Item, i int) ([]api.Message, error) {
	where := fmt.Sprintf("input[%d]", i)
	switch it.Type {
	case "", "message":
		return appendMessage(dst, it, where)
	case "function_call":
		if it.CallID == "" || it.Name == "" {
			return nil, invalid("input", where+": function_call needs call_id and name")
		}
		args := it.Arguments
		if args == "" {
			args = "{}"
		}
		call := api.ToolCall{ID: it.CallID, Type: "function", Function: api.FunctionCall{Name: it.Name, Arguments: args}}
		if n := len(dst); n > 0 && dst[n-1].Role == "assistant" {
			dst[n-1].ToolCalls = append(dst[n-1].ToolCalls, call)
			return dst, nil
		}
		return append(dst, api.Message{Role: "assistant", ToolCalls: []api.ToolCall{call}}), nil
	case "function_call_output":
		if it.CallID == "" {
			return nil, invalid("input", where+": function_call_output needs call_id")
		}
		text, err := outputText(it.Output, where)
		if err != nil {
			return nil, err
		}
		return append(dst, api.Message{Role: "tool", ToolCallID: it.CallID, Content: api.TextContent(text)}), nil
	case "reasoning":
		// A previous turn's reasoning summary or encrypted content: only the model that wrote
		// it can use it, and chat-shaped requests have nowhere to put it.
		return dst, nil
	default:
		return nil, invalid("input", fmt.Sprintf("%s: item type %q is not supported by this gateway (message, function_call and function_call_output are)", where, it.Type))
	}
}

func appendMessage(dst []api.Message, it *Item, where string) ([]api.Message, error) {
	switch it.Role {
	case "user", "system", "developer":
		parts := make([]api.ContentPart, 0, len(it.Content))
		for j := range it.Content {
			p, err := inputPart(&it.Content[j], fmt.Sprintf("%s.content[%d]", where, j))
			if err != nil {
				return nil, err
			}
			parts = append(parts, p)
		}
		return append(dst, api.Message{Role: it.Role, Content: partsContent(parts)}), nil
	case "assistant":
		msg := api.Message{Role: "assistant"}
		var text strings.Builder
		for j := range it.Content {
			p := &it.Content[j]
			switch p.Type {
			case "output_text", "input_text":
				text.WriteString(p.Text)
			case "refusal":
				text.WriteString(p.Refusal)
			default:
				return nil, invalid("input", fmt.Sprintf("%s.content[%d]: assistant content type %q is not supported (output_text and refusal are)", where, j, p.Type))
			}
		}
		msg.Content = api.TextContent(text.String())
		return append(dst, msg), nil
	default:
		return nil, invalid("input", fmt.Sprintf("%s.role: must be user, assistant, system or developer, got %q", where, it.Role))
	}
}

func inputPart(p *Part, where string) (api.ContentPart, error) {
	switch p.Type {
	case "input_text", "output_text":
		return api.ContentPart{Type: "text", Text: p.Text}, nil
	case "input_image":
		if p.ImageURL == "" {
			// file_id names an upload in OpenAI's file store, which other providers cannot read.
			return api.ContentPart{}, invalid("input", where+": input_image needs image_url (a URL or a data: URL); file_id is not supported")
		}
		return api.ContentPart{Type: "image_url", ImageURL: &api.ImageURL{URL: p.ImageURL, Detail: p.Detail}}, nil
	default:
		return api.ContentPart{}, invalid("input", fmt.Sprintf("%s: content type %q is not supported by this gateway (input_text and input_image are)", where, p.Type))
	}
}

// partsContent keeps a lone text part as a plain string, the form every upstream accepts.
func partsContent(parts []api.ContentPart) api.Content {
	if len(parts) == 1 && parts[0].Type == "text" {
		return api.TextContent(parts[0].Text)
	}
	if len(parts) == 0 {
		return api.TextContent("")
	}
	return api.PartsContent(parts)
}

// outputText reads a function_call_output's output: a string, or an array of parts whose
// text is joined.
func outputText(v jsonx.Value, where string) (string, error) {
	if len(v) == 0 {
		return "", nil
	}
	var s string
	if jsonx.Unmarshal(v, &s) == nil {
		return s, nil
	}
	var parts []Part
	if err := jsonx.Unmarshal(v, &parts); err != nil {
		return "", invalid("input", where+".output: must be a string or an array of content parts")
	}
	var b strings.Builder
	for k := range parts {
		if parts[k].Type != "input_text" && parts[k].Type != "output_text" {
			return "", invalid("input", fmt.Sprintf("%s.output[%d]: tool outputs may contain only text here, got %q", where, k, parts[k].Type))
		}
		b.WriteString(parts[k].Text)
	}
	return b.String(), nil
}

// translateTools maps function tools to chat functions and tool_choice to chat's forms.
// Built-in tools run inside OpenAI's platform; no other provider can run them.
func translateTools(out *api.ChatRequest, in *Request) error {
	for i := range in.Tools {
		t := &in.Tools[i]
		if t.Type != "function" {
			return invalid("tools", fmt.Sprintf("tools[%d]: built-in tool %q is not supported by this gateway; only function tools are", i, t.Type))
		}
		if t.Name == "" {
			return invalid("tools", fmt.Sprintf("tools[%d].name is required", i))
		}
		out.Tools = append(out.Tools, api.Tool{Type: "function", Function: &api.FunctionDef{
			Name: t.Name, Description: t.Description, Parameters: t.Parameters, Strict: t.Strict}})
	}
	tc := in.ToolChoice
	if len(tc) == 0 || string(tc) == "null" {
		return nil
	}
	var mode string
	if jsonx.Unmarshal(tc, &mode) == nil {
		switch mode {
		case "none", "auto", "required":
			out.ToolChoice = jsonx.Value(`"` + mode + `"`)
			return nil
		}
		return invalid("tool_choice", fmt.Sprintf("tool_choice: must be none, auto, required or a function, got %q", mode))
	}
	var obj struct {
		Type string `json:"type"`
		Name string `json:"name"`
	}
	if err := jsonx.Unmarshal(tc, &obj); err != nil {
		return invalid("tool_choice", "tool_choice: must be a string or an object")
	}
	if obj.Type != "function" {
		return invalid("tool_choice", fmt.Sprintf("tool_choice: type %q is not supported by this gateway; only function is", obj.Type))
	}
	if obj.Name == "" {
		return invalid("tool_choice", `tool_choice.name is required with type "function"`)
	}
	name, err := jsonx.Marshal(obj.Name)
	if err != nil {
		return fmt.Errorf("responses: encode tool name: %w", err)
	}
	out.ToolChoice = jsonx.Value(`{"type":"function","function":{"name":` + string(name) + `}}`)
	return nil
}

// translateFormat maps text.format to response_format: json_schema moves its schema under a
// json_schema member, as chat completions nest it.
func translateFormat(out *api.ChatRequest, text *TextConfig) error {
	if text == nil || text.Format == nil {
		return nil
	}
	f := text.Format
	switch f.Type {
	case "text":
		return nil
	case "json_object":
		out.ResponseFormat = jsonx.Value(`{"type":"json_object"}`)
		return nil
	case "json_schema":
		if f.Name == "" || len(f.Schema) == 0 {
			return invalid("text.format", "text.format: json_schema needs name and schema")
		}
		body, err := jsonx.Marshal(&chatFormat{Type: "json_schema", JSONSchema: chatSchema{
			Name: f.Name, Description: f.Description, Schema: f.Schema, Strict: f.Strict}})
		if err != nil {
			return fmt.Errorf("responses: encode response_format: %w", err)
		}
		out.ResponseFormat = body
		return nil
	default:
		return invalid("text.format", fmt.Sprintf("text.format.type: must be text, json_object or json_schema, got %q", f.Type))
	}
}

// chatFormat is chat completions' response_format for json_schema.
type chatFormat struct {
	Type       string     `json:"type"`
	JSONSchema chatSchema `json:"json_schema"`
}

type chatSchema struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitzero"`
	Schema      jsonx.Value `json:"schema"`
	Strict      *bool       `json:"strict,omitzero"`
}

func invalid(param, msg string) *api.Error {
	e := api.Errorf("invalid_request", "%s", msg)
	e.Param = param
	return e
}
