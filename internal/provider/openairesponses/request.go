package openairesponses

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/inbound/responses"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/openaiwire"
)

// NewChatRequest translates a chat request into POST {base}/responses.
func (Adapter) NewChatRequest(ctx context.Context, t *provider.Target, req *api.ChatRequest) (*http.Request, error) {
	out, err := translateRequest(t, req)
	if err != nil {
		return nil, err
	}
	body, err := jsonx.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("openairesponses: encode request: %w", err)
	}
	return openaiwire.NewJSONRequest(ctx, endpoint{}, t, "/responses", body, req.Stream)
}

var (
	falseValue = false
	noStore    = &falseValue
)

func translateRequest(t *provider.Target, req *api.ChatRequest) (*responses.Request, error) {
	if err := refuseUnsupported(t, req); err != nil {
		return nil, err
	}
	out := &responses.Request{
		Model: t.Model, Temperature: req.Temperature, TopP: req.TopP, ParallelToolCalls: req.ParallelToolCalls,
		User: req.User, Stream: req.Stream, Store: noStore, MaxOutputTokens: req.MaxCompletionTokens,
	}
	if out.MaxOutputTokens == nil {
		out.MaxOutputTokens = req.MaxTokens
	}
	items, err := translateMessages(t, req.Messages)
	if err != nil {
		return nil, err
	}
	out.Input = items
	if err := translateTools(t, req, out); err != nil {
		return nil, err
	}
	if err := translateFormat(t, req.ResponseFormat, out); err != nil {
		return nil, err
	}
	if err := translateExtra(t, req.Extra, out); err != nil {
		return nil, err
	}
	// Claude's thinking object and thinking blocks have no meaning to OpenAI's models and are
	// dropped, as for every provider without them; the effort is OpenAI's own control.
	if req.ReasoningEffort != "" {
		out.Reasoning = &responses.Reasoning{Effort: req.ReasoningEffort}
	}
	return out, nil
}

// unsupported is the 400 for a parameter the Responses API cannot honour.
func unsupported(t *provider.Target, param, why string) *api.Error {
	e := api.Errorf("invalid_request", "%s is not supported by provider %q for model %q (Responses API): %s", param, t.Provider, t.Model, why)
	e.Param = param
	return e
}

func refuseUnsupported(t *provider.Target, req *api.ChatRequest) error {
	switch {
	case req.N != nil && *req.N > 1:
		return unsupported(t, "n", "a response has one answer")
	case len(req.Stop) > 0:
		return unsupported(t, "stop", "the Responses API has no stop sequences")
	case req.PresencePenalty != nil && *req.PresencePenalty != 0:
		return unsupported(t, "presence_penalty", "the Responses API has no repetition penalties")
	case req.FrequencyPenalty != nil && *req.FrequencyPenalty != 0:
		return unsupported(t, "frequency_penalty", "the Responses API has no repetition penalties")
	}
	return nil
}

// translateMessages turns messages into input items, in order.
func translateMessages(t *provider.Target, msgs []api.Message) (responses.Items, error) {
	items := make(responses.Items, 0, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		where := fmt.Sprintf("messages[%d]", i)
		switch m.Role {
		case "system", "developer", "user":
			parts, err := inputParts(t, m, where)
			if err != nil {
				return nil, err
			}
			items = append(items, responses.Item{Type: "message", Role: m.Role, Content: parts})
		case "assistant":
			var parts responses.Parts
			if text := m.Content.String(); text != "" {
				parts = append(parts, responses.Part{Type: "output_text", Text: text})
			}
			if m.Refusal != nil && *m.Refusal != "" {
				parts = append(parts, responses.Part{Type: "refusal", Refusal: *m.Refusal})
			}
			if len(parts) > 0 {
				items = append(items, responses.Item{Type: "message", Role: "assistant", Content: parts})
			}
			for _, tc := range m.ToolCalls {
				items = append(items, responses.Item{Type: "function_call", CallID: tc.ID, Name: tc.Function.Name, Arguments: tc.Function.Arguments})
			}
		case "tool":
			out, err := jsonx.Marshal(m.Content.String())
			if err != nil {
				return nil, fmt.Errorf("openairesponses: encode tool output: %w", err)
			}
			items = append(items, responses.Item{Type: "function_call_output", CallID: m.ToolCallID, Output: out})
		default:
			return nil, unsupported(t, where+".role", fmt.Sprintf("role %q has no Responses API equivalent", m.Role))
		}
	}
	return items, nil
}

func inputParts(t *provider.Target, m *api.Message, where string) (responses.Parts, error) {
	if !m.Content.IsArray() {
		return responses.Parts{{Type: "input_text", Text: m.Content.String()}}, nil
	}
	parts := make(responses.Parts, 0, len(m.Content.Parts))
	for j, p := range m.Content.Parts {
		switch {
		case p.Type == "text":
			parts = append(parts, responses.Part{Type: "input_text", Text: p.Text})
		case p.Type == "image_url" && p.ImageURL != nil:
			detail := p.ImageURL.Detail
			if detail == "" {
				detail = "auto" // required by the Responses API's input_image
			}
			parts = append(parts, responses.Part{Type: "input_image", ImageURL: p.ImageURL.URL, Detail: detail})
		default:
			return nil, unsupported(t, fmt.Sprintf("%s.content[%d]", where, j), fmt.Sprintf("content part %q is not translated", p.Type))
		}
	}
	return parts, nil
}

// translateTools maps function tools (flat in the Responses API) and tool_choice.
func translateTools(t *provider.Target, req *api.ChatRequest, out *responses.Request) error {
	for i, tl := range req.Tools {
		if tl.Type != "function" || tl.Function == nil {
			return unsupported(t, fmt.Sprintf("tools[%d]", i), fmt.Sprintf("tool type %q is not translated; only function tools are", tl.Type))
		}
		strict := tl.Function.Strict
		if strict == nil {
			strict = noStore // chat's default; the Responses API would assume strict
		}
		out.Tools = append(out.Tools, responses.Tool{Type: "function", Name: tl.Function.Name,
			Description: tl.Function.Description, Parameters: tl.Function.Parameters, Strict: strict})
	}
	tc := req.ToolChoice
	if len(tc) == 0 || string(tc) == "null" {
		return nil
	}
	var mode string
	if jsonx.Unmarshal(tc, &mode) == nil {
		out.ToolChoice = tc
		return nil
	}
	var obj struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if err := jsonx.Unmarshal(tc, &obj); err != nil || obj.Type != "function" || obj.Function.Name == "" {
		return unsupported(t, "tool_choice", "only none, auto, required or a named function are translated")
	}
	name, err := jsonx.Marshal(obj.Function.Name)
	if err != nil {
		return fmt.Errorf("openairesponses: encode tool name: %w", err)
	}
	out.ToolChoice = jsonx.Value(`{"type":"function","name":` + string(name) + `}`)
	return nil
}

// translateFormat maps response_format to text.format, whose json_schema is flat.
func translateFormat(t *provider.Target, rf jsonx.Value, out *responses.Request) error {
	if len(rf) == 0 || string(rf) == "null" {
		return nil
	}
	var f struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Name        string      `json:"name"`
			Description string      `json:"description"`
			Schema      jsonx.Value `json:"schema"`
			Strict      *bool       `json:"strict"`
		} `json:"json_schema"`
	}
	if err := jsonx.Unmarshal(rf, &f); err != nil {
		return unsupported(t, "response_format", "it must be an object with a type")
	}
	switch f.Type {
	case "text":
		return nil
	case "json_object":
		out.Text = &responses.TextConfig{Format: &responses.TextFormat{Type: "json_object"}}
	case "json_schema":
		s := f.JSONSchema
		out.Text = &responses.TextConfig{Format: &responses.TextFormat{Type: "json_schema", Name: s.Name,
			Description: s.Description, Schema: s.Schema, Strict: s.Strict}}
	default:
		return unsupported(t, "response_format", fmt.Sprintf("type %q is not translated", f.Type))
	}
	return nil
}

// droppable are parameters that never change the answer.
var droppable = []string{"store", "seed", "stream_options", "prediction"}

// translateExtra maps the untyped chat parameters that have a Responses equivalent and
// refuses the rest by name, in sorted order so the message is stable.
func translateExtra(t *provider.Target, extra jsonx.Value, out *responses.Request) error {
	if len(extra) == 0 {
		return nil
	}
	var members map[string]jsonx.Value
	if err := jsonx.Unmarshal(extra, &members); err != nil {
		return api.NewError("invalid_request", "the request's extra parameters cannot be read", fmt.Errorf("openairesponses: decode extra: %w", err))
	}
	names := make([]string, 0, len(members))
	for k := range members {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, name := range names {
		v := members[name]
		var err error
		switch name {
		case "metadata":
			err = jsonx.Unmarshal(v, &out.Metadata)
		case "service_tier":
			err = jsonx.Unmarshal(v, &out.ServiceTier)
		case "prompt_cache_key":
			err = jsonx.Unmarshal(v, &out.PromptCacheKey)
		case "safety_identifier":
			err = jsonx.Unmarshal(v, &out.SafetyIdentifier)
		case "verbosity":
			if out.Text == nil {
				out.Text = &responses.TextConfig{}
			}
			err = jsonx.Unmarshal(v, &out.Text.Verbosity)
		case "logprobs":
			if string(v) != "false" && string(v) != "null" {
				return unsupported(t, name, "token log probabilities are not translated")
			}
		default:
			if slices.Contains(droppable, name) {
				continue
			}
			return unsupported(t, name, "it has no Responses API equivalent here")
		}
		if err != nil {
			return unsupported(t, name, "its value has the wrong type")
		}
	}
	return nil
}
