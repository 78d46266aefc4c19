package anthropic

import (
	"bytes"
	"context"
	"fmt"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

// NewChatRequest builds POST {base}/messages. A parameter the Messages API cannot honour is
// refused with a 400 naming it, rather than silently dropped.
func (Adapter) NewChatRequest(ctx context.Context, t *provider.Target, req *api.ChatRequest) (*http.Request, error) {
	out, err := translateRequest(t, req, api.CacheMarksFrom(ctx))
	if err != nil {
		return nil, err
	}
	body, err := jsonx.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("anthropic: encode messages request: %w", err)
	}
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, t.BaseURL+"/messages", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("anthropic: new request: %w", err)
	}
	for k, vs := range t.Headers {
		r.Header[k] = vs // e.g. anthropic-beta from config
	}
	for k, vs := range provider.ForwardedHeaders(ctx) {
		r.Header[k] = vs // the client's own anthropic-beta, through /v1/messages
	}
	r.Header.Set("Content-Type", "application/json")
	if out.Stream {
		r.Header.Set("Accept", "text/event-stream")
	} else {
		r.Header.Set("Accept", "application/json")
	}
	r.Header.Set("Anthropic-Version", apiVersion)
	if !t.APIKey.IsZero() {
		r.Header.Set("X-Api-Key", t.APIKey.Reveal())
	}
	return r, nil
}

// translateRequest translates req; marks are the client's prompt-cache breakpoints, nil when
// it set none.
func translateRequest(t *provider.Target, req *api.ChatRequest, marks *api.CacheMarks) (*messagesRequest, error) {
	if err := refuseUnsupported(t, req); err != nil {
		return nil, err
	}
	out := &messagesRequest{
		Model:         t.Model,
		MaxTokens:     maxTokens(req),
		StopSequences: req.Stop,
		Stream:        req.Stream,
		Temperature:   req.Temperature,
		TopP:          req.TopP,
	}
	if req.User != "" {
		out.Metadata = &metadata{UserID: req.User}
	}
	var err error
	if out.Thinking, out.MaxTokens, err = translateThinking(t, req, out.MaxTokens); err != nil {
		return nil, err
	}
	if out.System, out.Messages, err = translateMessages(t, req.Messages, marks); err != nil {
		return nil, err
	}
	if out.Tools, out.ToolChoice, err = translateTools(t, req, marks); err != nil {
		return nil, err
	}
	return out, nil
}

// maxTokens picks max_completion_tokens (OpenAI's current name), else max_tokens, else the
// default the API's required field needs.
func maxTokens(req *api.ChatRequest) int {
	switch {
	case req.MaxCompletionTokens != nil:
		return *req.MaxCompletionTokens
	case req.MaxTokens != nil:
		return *req.MaxTokens
	}
	return defaultMaxTokens
}

// unsupported is the 400 for a parameter this provider cannot honour.
func unsupported(t *provider.Target, param, why string) *api.Error {
	e := api.Errorf("invalid_request", "%s is not supported by provider %q (anthropic): %s", param, t.Provider, why)
	e.Param = param
	return e
}

// refuseUnsupported checks the typed parameters that have no Messages equivalent, then the
// untyped ones in Extra.
func refuseUnsupported(t *provider.Target, req *api.ChatRequest) error {
	switch {
	case req.N != nil && *req.N > 1:
		return unsupported(t, "n", "the Messages API returns one completion per request")
	case req.PresencePenalty != nil && *req.PresencePenalty != 0:
		return unsupported(t, "presence_penalty", "the Messages API has no repetition penalties")
	case req.FrequencyPenalty != nil && *req.FrequencyPenalty != 0:
		return unsupported(t, "frequency_penalty", "the Messages API has no repetition penalties")
	}
	if len(req.ResponseFormat) > 0 {
		var rf struct {
			Type string `json:"type"`
		}
		if jsonx.Unmarshal(req.ResponseFormat, &rf) != nil || rf.Type != "text" {
			return unsupported(t, "response_format",
				"the Messages API has no JSON mode; describe the format in the prompt, or define a tool whose input is the schema")
		}
	}
	return refuseExtra(t, req.Extra)
}

// droppable are OpenAI parameters that never change the answer: platform bookkeeping and
// latency hints. Anything else unknown may change it, so it is refused.
var droppable = map[string]bool{
	"store": true, "metadata": true, "service_tier": true, "prediction": true,
	"prompt_cache_key": true, "safety_identifier": true,
}

func refuseExtra(t *provider.Target, extra jsonx.Value) error {
	if len(extra) == 0 {
		return nil
	}
	var members map[string]jsonx.Value
	if err := jsonx.Unmarshal(extra, &members); err != nil {
		return api.NewError("invalid_request", "the request's extra parameters cannot be read", fmt.Errorf("anthropic: decode extra: %w", err))
	}
	for name, v := range members {
		_ = v.Compact() // so `[ "text" ]` compares equal to `["text"]`
		switch {
		case droppable[name]:
		case name == "logprobs" && (string(v) == "false" || string(v) == "null"):
		case name == "modalities" && string(v) == `["text"]`:
		case name == "logprobs" || name == "top_logprobs":
			return unsupported(t, name, "the Messages API does not return token log probabilities")
		default:
			return unsupported(t, name, "the Messages API has no such parameter")
		}
	}
	return nil
}

// translateTools maps function tools and tool_choice. parallel_tool_calls:false becomes
// disable_parallel_tool_use, which lives inside tool_choice.
func translateTools(t *provider.Target, req *api.ChatRequest, marks *api.CacheMarks) ([]tool, *toolChoice, error) {
	if len(req.Tools) == 0 {
		// The API refuses a tool_choice without tools; without tools no call is possible anyway.
		return nil, nil, nil
	}
	tools := make([]tool, 0, len(req.Tools))
	for i, tl := range req.Tools {
		if tl.Type != "function" || tl.Function == nil {
			return nil, nil, unsupported(t, fmt.Sprintf("tools[%d].type", i), fmt.Sprintf("only function tools can be translated, not %q", tl.Type))
		}
		schema := tl.Function.Parameters
		if len(schema) == 0 {
			// OpenAI allows a function without parameters; input_schema is required.
			schema = jsonx.Value(`{"type":"object","properties":{}}`)
		}
		tools = append(tools, tool{Name: tl.Function.Name, Description: tl.Function.Description, InputSchema: schema,
			CacheControl: marks.Tool(i)})
	}
	choice, err := translateToolChoice(t, req.ToolChoice)
	if err != nil {
		return nil, nil, err
	}
	if req.ParallelToolCalls != nil && !*req.ParallelToolCalls {
		if choice == nil {
			choice = &toolChoice{Type: "auto"}
		}
		choice.DisableParallelToolUse = choice.Type != "none"
	}
	return tools, choice, nil
}

// translateToolChoice maps "auto", "none", "required" and {"type":"function","function":{"name"}}
// (https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use#forcing-tool-use).
func translateToolChoice(t *provider.Target, raw jsonx.Value) (*toolChoice, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	switch string(raw) {
	case `"auto"`:
		return &toolChoice{Type: "auto"}, nil
	case `"none"`:
		return &toolChoice{Type: "none"}, nil
	case `"required"`:
		return &toolChoice{Type: "any"}, nil
	}
	var named struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if jsonx.Unmarshal(raw, &named) == nil && named.Type == "function" && named.Function.Name != "" {
		return &toolChoice{Type: "tool", Name: named.Function.Name}, nil
	}
	return nil, unsupported(t, "tool_choice", "only auto, none, required or a named function can be translated")
}
