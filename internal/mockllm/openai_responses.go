package mockllm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// OpenAI Responses API: POST /v1/responses, non-streaming. Shapes follow the API reference
// (https://platform.openai.com/docs/api-reference/responses/object) and openai-go's responses
// package. The reply is planned exactly like a chat completion's (same seed, knobs and tool
// calls), so a test can compare what a client gets through either API.

// rsRequest holds the request members the mock reads; the rest are accepted and ignored, as
// OpenAI ignores nothing but the mock has no use for them.
type rsRequest struct {
	Model           string          `json:"model"`
	Input           rsInput         `json:"input"`
	Instructions    *string         `json:"instructions"`
	Tools           []rsTool        `json:"tools"`
	ToolChoice      json.RawMessage `json:"tool_choice"`
	MaxOutputTokens *int            `json:"max_output_tokens"`
	Stream          bool            `json:"stream"`
	Reasoning       *rsReasoning    `json:"reasoning"`
	Store           *bool           `json:"store"`
	Text            json.RawMessage `json:"text"`
	Temperature     *float64        `json:"temperature"`
	TopP            *float64        `json:"top_p"`
	Truncation      string          `json:"truncation"`
	Metadata        json.RawMessage `json:"metadata"`
	PrevResponseID  *string         `json:"previous_response_id"`
	PromptCacheKey  string          `json:"prompt_cache_key"`
	Include         []string        `json:"include"`
	ParallelTools   *bool           `json:"parallel_tool_calls"`
	User            *string         `json:"user"`
}

type rsReasoning struct {
	Effort  *string `json:"effort"`
	Summary *string `json:"summary"`
}

// rsTool is a function tool ({"type":"function","name","parameters"}, flat, unlike chat's) or
// a built-in tool, which the mock accepts and never calls.
type rsTool struct {
	Type       string          `json:"type"`
	Name       string          `json:"name"`
	Parameters json.RawMessage `json:"parameters"`
}

// rsInput is input: a string (one user message) or an array of items, of which the mock reads
// the role, text and function call fields.
type rsInput []rsItem

type rsItem struct {
	Type      string          `json:"type"`
	Role      string          `json:"role"`
	Content   rsContent       `json:"content"`
	CallID    string          `json:"call_id"`
	Name      string          `json:"name"`
	Arguments string          `json:"arguments"`
	Output    json.RawMessage `json:"output"`
}

func (in *rsInput) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*in = rsInput{{Type: "message", Role: "user", Content: rsContent(s)}}
		return nil
	}
	var items []rsItem
	if err := json.Unmarshal(b, &items); err != nil {
		return &shapeError{param: "input", want: "a string or an array of input items", got: jsonKind(b)}
	}
	*in = items
	return nil
}

// rsContent is a message's text: a string or the text of its input_text/output_text parts.
type rsContent string

func (c *rsContent) UnmarshalJSON(b []byte) error {
	text, err := contentText(b, "input[].content", "input_text", "output_text")
	*c = rsContent(text)
	return err
}

// rsResponse is the response object. Members are always present, null when unset, as the API
// sends them.
type rsResponse struct {
	ID                 string          `json:"id"`
	Object             string          `json:"object"`
	CreatedAt          int64           `json:"created_at"`
	Status             string          `json:"status"`
	Background         bool            `json:"background"`
	Error              *rsError        `json:"error"`
	IncompleteDetails  *rsIncomplete   `json:"incomplete_details"`
	Instructions       *string         `json:"instructions"`
	MaxOutputTokens    *int            `json:"max_output_tokens"`
	Model              string          `json:"model"`
	Output             []rsOutputItem  `json:"output"`
	ParallelToolCalls  bool            `json:"parallel_tool_calls"`
	PreviousResponseID *string         `json:"previous_response_id"`
	Reasoning          rsReasoning     `json:"reasoning"`
	ServiceTier        string          `json:"service_tier"`
	Store              bool            `json:"store"`
	Temperature        float64         `json:"temperature"`
	Text               json.RawMessage `json:"text"`
	ToolChoice         json.RawMessage `json:"tool_choice"`
	Tools              json.RawMessage `json:"tools"`
	TopP               float64         `json:"top_p"`
	Truncation         string          `json:"truncation"`
	Usage              *rsUsage        `json:"usage"`
	User               *string         `json:"user"`
	Metadata           json.RawMessage `json:"metadata"`
}

type rsError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type rsIncomplete struct {
	Reason string `json:"reason"`
}

// rsOutputItem is a message, function_call or reasoning output item; omitempty keeps each
// type to its own members.
type rsOutputItem struct {
	Type      string      `json:"type"`
	ID        string      `json:"id"`
	Status    string      `json:"status,omitempty"`
	Role      string      `json:"role,omitempty"`
	Content   *[]rsPart   `json:"content,omitempty"`
	CallID    string      `json:"call_id,omitempty"`
	Name      string      `json:"name,omitempty"`
	Arguments *string     `json:"arguments,omitempty"`
	Summary   *[]struct{} `json:"summary,omitempty"`
	Encrypted string      `json:"encrypted_content,omitempty"`
}

type rsPart struct {
	Type        string     `json:"type"`
	Text        string     `json:"text"`
	Annotations []struct{} `json:"annotations"`
	Logprobs    []struct{} `json:"logprobs"`
}

type rsUsage struct {
	InputTokens        int `json:"input_tokens"`
	InputTokensDetails struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokens        int `json:"output_tokens"`
	OutputTokensDetails struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
	TotalTokens int `json:"total_tokens"`
}

// reasoningTokensPerEffort is what the mock "thinks" per effort level, so reasoning tokens are
// non-zero and predictable when a request asks for reasoning.
var reasoningTokensPerEffort = map[string]int{"minimal": 4, "low": 8, "medium": 16, "high": 32}

// rsPlan is one response decided before any of it is written.
type rsPlan struct {
	resp      rsResponse
	plan      choicePlan
	reasoning bool
	encrypted bool // include asked for reasoning.encrypted_content
	usage     rsUsage
	msgID     string
}

func (s *Server) responses(w http.ResponseWriter, r *http.Request, body []byte) error {
	f := openaiFormat{}
	var req rsRequest
	if fl := decodeJSON(body, &req); fl != nil {
		return f.writeError(w, *fl)
	}
	if fl := req.validate(); fl != nil {
		return f.writeError(w, *fl)
	}
	b := s.defaults
	if err := b.applyHeaders(r.Header); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	if err := b.applyDirectives(req.lastText()); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	fns, fl := req.functionsToCall(&b)
	if fl != nil {
		return f.writeError(w, *fl)
	}
	if done, err := s.inject(r.Context(), w, f, &b, req.Model); done {
		return err
	}
	p := req.plan(&b, fns)
	if req.Stream {
		return s.streamResponse(r.Context(), w, &b, p)
	}
	if err := s.wait(r.Context(), b.TTFT); err != nil {
		return err
	}
	p.finish()
	return writeJSON(w, http.StatusOK, p.resp)
}

func (req *rsRequest) validate() *failure {
	switch {
	case req.Model == "":
		return missingParam("model")
	case req.Input == nil:
		return missingParam("input")
	case req.MaxOutputTokens != nil && *req.MaxOutputTokens < 16:
		// The API's documented minimum.
		return outOfRange("max_output_tokens", *req.MaxOutputTokens, 16, maxKnobTokens)
	}
	if req.PrevResponseID != nil && *req.PrevResponseID != "" {
		// The mock keeps no responses: every previous_response_id is unknown to it, so a
		// gateway that owns conversation state must never send one.
		return &failure{Status: http.StatusNotFound, Param: "previous_response_id",
			Message: fmt.Sprintf("Previous response with id '%s' not found.", *req.PrevResponseID)}
	}
	return nil
}

// lastText is where directives are read: the text of the last message item.
func (req *rsRequest) lastText() string {
	for i := len(req.Input) - 1; i >= 0; i-- {
		if it := req.Input[i]; it.Type == "" || it.Type == "message" {
			return string(it.Content)
		}
	}
	return ""
}

func (req *rsRequest) functionsToCall(b *behavior) ([]functionDef, *failure) {
	names := b.ToolCalls
	if len(names) == 0 {
		names = req.forcedFunction()
	}
	fns := make([]functionDef, 0, len(names))
	for _, name := range names {
		i := req.toolIndex(name)
		if i < 0 {
			return nil, &failure{Status: http.StatusBadRequest, Param: "tools",
				Message: fmt.Sprintf("mockllm: the tool_call knob names function %q, which is not in the request's tools", name)}
		}
		var schema toolSchema
		_ = json.Unmarshal(req.Tools[i].Parameters, &schema)
		fns = append(fns, functionDef{name: name, schema: schema})
	}
	return fns, nil
}

// forcedFunction reads tool_choice "required" (the first function tool) or
// {"type":"function","name":...}.
func (req *rsRequest) forcedFunction() []string {
	if len(req.ToolChoice) == 0 {
		return nil
	}
	var choice struct {
		Type string `json:"type"`
		Name string `json:"name"`
	}
	switch {
	case string(req.ToolChoice) == `"required"`:
		for _, t := range req.Tools {
			if t.Type == "function" {
				return []string{t.Name}
			}
		}
	case json.Unmarshal(req.ToolChoice, &choice) == nil && choice.Type == "function" && choice.Name != "":
		return []string{choice.Name}
	}
	return nil
}

func (req *rsRequest) toolIndex(name string) int {
	for i, t := range req.Tools {
		if t.Type == "function" && t.Name == name {
			return i
		}
	}
	return -1
}

// fingerprint hashes what determines the reply and estimates input tokens, like the chat
// endpoint's.
func (req *rsRequest) fingerprint() (seed uint64, inputTokens int) {
	h := newHasher()
	h.add(req.Model)
	inputTokens = replyPrimingTokens
	if req.Instructions != nil {
		h.add(*req.Instructions)
		inputTokens += perMessageTokens + estimateTokens(*req.Instructions)
	}
	for _, it := range req.Input {
		h.add(it.Type)
		h.add(it.Role)
		h.add(string(it.Content))
		h.add(it.CallID)
		h.add(it.Name)
		h.add(it.Arguments)
		h.add(string(it.Output))
		inputTokens += perMessageTokens + estimateTokens(string(it.Content)) + estimateTokens(it.Arguments) + estimateTokens(string(it.Output))
	}
	return h.sum(), inputTokens
}

// plan decides the reply and builds the in-progress response that echoes the request.
func (req *rsRequest) plan(b *behavior, fns []functionDef) *rsPlan {
	seed, inputTokens := req.fingerprint()
	maxTokens := 0
	if req.MaxOutputTokens != nil {
		maxTokens = *req.MaxOutputTokens
	}
	plans := planChoices(seed, 1, b.Tokens, maxTokens, nil, fns)
	b.applyReply(plans)
	p := &rsPlan{plan: plans[0], msgID: seededID("msg_", 48, seed), encrypted: slices.Contains(req.Include, "reasoning.encrypted_content")}
	p.usage.InputTokens = inputTokens
	if req.PromptCacheKey != "" {
		// A prompt cache key makes the mock report half the input as read from cache, so
		// cached-token accounting has something to count.
		p.usage.InputTokensDetails.CachedTokens = inputTokens / 2
	}
	p.usage.OutputTokens = p.plan.tokens
	if req.Reasoning != nil && req.Reasoning.Effort != nil {
		if n := reasoningTokensPerEffort[*req.Reasoning.Effort]; n > 0 {
			p.reasoning = true
			p.usage.OutputTokensDetails.ReasoningTokens = n
			p.usage.OutputTokens += n
		}
	}
	p.usage.TotalTokens = p.usage.InputTokens + p.usage.OutputTokens
	if !b.Usage {
		p.usage = rsUsage{}
	}
	p.resp = req.echo()
	return p
}

// echo is the in-progress response: the request's settings with the API's defaults.
func (req *rsRequest) echo() rsResponse {
	r := rsResponse{
		ID: randomID("resp_", 48), Object: "response", CreatedAt: time.Now().Unix(), Status: "in_progress",
		Instructions: req.Instructions, MaxOutputTokens: req.MaxOutputTokens, Model: req.Model,
		Output: []rsOutputItem{}, ParallelToolCalls: req.ParallelTools == nil || *req.ParallelTools,
		PreviousResponseID: req.PrevResponseID, ServiceTier: "default", Store: req.Store == nil || *req.Store,
		Temperature: 1, TopP: 1, Truncation: "disabled", User: req.User,
		Text: rawOr(req.Text, `{"format":{"type":"text"}}`), ToolChoice: rawOr(req.ToolChoice, `"auto"`),
		Tools: json.RawMessage(`[]`), Metadata: rawOr(req.Metadata, `{}`),
	}
	if req.Reasoning != nil {
		r.Reasoning = *req.Reasoning
	}
	if req.Temperature != nil {
		r.Temperature = *req.Temperature
	}
	if req.TopP != nil {
		r.TopP = *req.TopP
	}
	if req.Truncation != "" {
		r.Truncation = req.Truncation
	}
	if len(req.Tools) > 0 {
		r.Tools, _ = json.Marshal(req.Tools)
	}
	return r
}

func rawOr(v json.RawMessage, def string) json.RawMessage {
	if len(v) == 0 || string(v) == "null" {
		return json.RawMessage(def)
	}
	return v
}

// items are the complete output items: reasoning (when asked for), then the message or the
// function calls.
func (p *rsPlan) items() []rsOutputItem {
	var out []rsOutputItem
	if p.reasoning {
		out = append(out, p.reasoningItem())
	}
	if len(p.plan.calls) == 0 {
		status := "completed"
		if p.plan.finish == "length" {
			status = "incomplete"
		}
		parts := []rsPart{{Type: "output_text", Text: strings.Join(p.plan.pieces, ""), Annotations: []struct{}{}, Logprobs: []struct{}{}}}
		return append(out, rsOutputItem{Type: "message", ID: p.msgID, Status: status, Role: "assistant", Content: &parts})
	}
	for _, c := range p.plan.calls {
		args := c.args
		out = append(out, rsOutputItem{Type: "function_call", ID: "fc_" + c.id[len("call_"):], Status: "completed",
			CallID: c.id, Name: c.name, Arguments: &args})
	}
	return out
}

func (p *rsPlan) reasoningItem() rsOutputItem {
	item := rsOutputItem{Type: "reasoning", ID: "rs_" + p.msgID[len("msg_"):], Summary: &[]struct{}{}}
	if p.encrypted {
		// Opaque at OpenAI; the mock's is recognisable so a test can follow it back.
		item.Encrypted = "gAAAAmock-" + p.msgID[len("msg_"):]
	}
	return item
}

// finish completes the response: output, status and usage.
func (p *rsPlan) finish() {
	p.resp.Output = p.items()
	p.resp.Status = "completed"
	if p.plan.finish == "length" {
		p.resp.Status = "incomplete"
		p.resp.IncompleteDetails = &rsIncomplete{Reason: "max_output_tokens"}
	}
	if p.usage != (rsUsage{}) {
		u := p.usage
		p.resp.Usage = &u
	}
}

// responsesOnlyModels are OpenAI models that the Chat Completions API refuses
// (https://platform.openai.com/docs/models: "Endpoints: v1/responses" only). The mock refuses
// them the same way, so a test proves a gateway reached them through /v1/responses.
var responsesOnlyModels = []string{"o1-pro", "o3-pro", "o3-deep-research", "o4-mini-deep-research",
	"gpt-5-pro", "gpt-5-codex", "gpt-5.1-codex", "codex-mini-latest", "computer-use-preview"}

func responsesOnly(model string) bool {
	for _, m := range responsesOnlyModels {
		if model == m || strings.HasPrefix(model, m+"-") {
			return true
		}
	}
	return false
}

// refuseResponsesOnly is OpenAI's answer to a chat completion for such a model.
func refuseResponsesOnly() failure {
	return failure{Status: http.StatusNotFound, Param: "model",
		Message: "This model is only supported in v1/responses and not in v1/chat/completions."}
}
