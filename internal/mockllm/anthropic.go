package mockllm

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Anthropic Messages API: POST /v1/messages (https://docs.anthropic.com/en/api/messages), its
// request parsing and validation, and the non-streaming Message. Streaming is in
// anthropic_stream.go, errors in anthropic_errors.go, extended thinking in
// anthropic_thinking.go.

// anthropicAPI speaks the Messages API.
type anthropicAPI struct{ anthropicFormat }

func (anthropicAPI) matches(r *http.Request) bool {
	return r.URL.Path == "/v1/messages" || strings.HasPrefix(r.URL.Path, anBatchesPath)
}

// authorize checks x-api-key, the API's only key header
// (https://docs.anthropic.com/en/api/overview#authentication).
func (anthropicAPI) authorize(s *Server, r *http.Request, _ []byte) (failure, bool) {
	if s.opts.APIKey == "" {
		return failure{}, true
	}
	key := r.Header.Get("X-Api-Key")
	switch {
	case key == "":
		return failure{Status: http.StatusUnauthorized, Message: "x-api-key header is required"}, false
	case subtle.ConstantTimeCompare([]byte(key), []byte(s.opts.APIKey)) != 1:
		return failure{Status: http.StatusUnauthorized, Message: "invalid x-api-key"}, false
	}
	return failure{}, true
}

// anVersions are the anthropic-version values the API accepts
// (https://docs.anthropic.com/en/api/versioning).
var anVersions = map[string]bool{"2023-06-01": true, "2023-01-01": true}

func (a anthropicAPI) serve(s *Server, w http.ResponseWriter, r *http.Request, body []byte) error {
	if strings.HasPrefix(r.URL.Path, anBatchesPath) {
		return a.serveBatches(s, w, r, body)
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return a.writeError(w, failure{Status: http.StatusMethodNotAllowed, Message: "Method Not Allowed"})
	}
	switch v := r.Header.Get("Anthropic-Version"); {
	case v == "":
		return a.writeError(w, failure{Status: http.StatusBadRequest, Message: "anthropic-version: header is required"})
	case !anVersions[v]:
		return a.writeError(w, failure{Status: http.StatusBadRequest, Message: fmt.Sprintf("anthropic-version: invalid version %q", v)})
	}
	var req anRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return a.writeError(w, anDecodeFailure(err))
	}
	if fl := req.validate(); fl != nil {
		return a.writeError(w, *fl)
	}
	b := s.defaults
	if err := b.applyHeaders(r.Header); err != nil {
		return a.writeError(w, invalidKnob(err))
	}
	if err := b.applyDirectives(req.Messages[len(req.Messages)-1].Content.text); err != nil {
		return a.writeError(w, invalidKnob(err))
	}
	fns, fl := req.functionsToCall(&b)
	if fl != nil {
		return a.writeError(w, *fl)
	}
	if done, err := s.inject(r.Context(), w, a, &b, *req.Model); done {
		return err
	}
	out := req.plan(&b, fns)
	if req.Stream {
		return s.streamMessages(r.Context(), w, &req, &b, &out)
	}
	if err := s.wait(r.Context(), b.TTFT); err != nil {
		return err
	}
	return anWriteJSON(w, http.StatusOK, req.message(&out, b.Usage))
}

// anRequest holds the request members the mock reads; the rest are accepted and ignored.
type anRequest struct {
	Model         *string       `json:"model"`
	MaxTokens     *int          `json:"max_tokens"`
	Messages      []anMessage   `json:"messages"`
	System        anContent     `json:"system"`
	Stream        bool          `json:"stream"`
	StopSequences []string      `json:"stop_sequences"`
	Tools         []anTool      `json:"tools"`
	ToolChoice    *anToolChoice `json:"tool_choice"`
	Thinking      *anThinking   `json:"thinking"`
	Temperature   *float64      `json:"temperature"`
}

type anMessage struct {
	Role    string    `json:"role"`
	Content anContent `json:"content"`
}

// anContent is a string or an array of content blocks; text is the text blocks joined with
// newlines (what directives are read from and what counts as prompt text).
type anContent struct {
	text   string
	blocks []anBlock
}

func (c *anContent) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &c.text)
	}
	if err := json.Unmarshal(b, &c.blocks); err != nil {
		return err
	}
	var sb strings.Builder
	for _, bl := range c.blocks {
		if bl.Type == "text" {
			if sb.Len() > 0 {
				sb.WriteByte('\n')
			}
			sb.WriteString(bl.Text)
		}
	}
	c.text = sb.String()
	return nil
}

// anBlock is a request content block: text, image, tool_use, tool_result, ...
type anBlock struct {
	Type      string          `json:"type"`
	Text      string          `json:"text"`
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	Thinking  *string         `json:"thinking"`
	Signature *string         `json:"signature"`
	Data      string          `json:"data"` // redacted_thinking
}

type anTool struct {
	Name        string          `json:"name"`
	InputSchema json.RawMessage `json:"input_schema"`
}

type anToolChoice struct {
	Type string `json:"type"`
	Name string `json:"name"`
}

func anInvalid(format string, args ...any) *failure {
	return &failure{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// validate checks the request as the API does, with its messages.
func (req *anRequest) validate() *failure {
	switch {
	case req.Model == nil:
		return anInvalid("model: Field required")
	case req.MaxTokens == nil:
		return anInvalid("max_tokens: Field required")
	case *req.MaxTokens < 1:
		return anInvalid("max_tokens: Input should be greater than or equal to 1")
	case req.Messages == nil:
		return anInvalid("messages: Field required")
	case len(req.Messages) == 0:
		return anInvalid("messages: at least one message is required")
	}
	for i, m := range req.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return anInvalid("messages.%d.role: Input should be 'user' or 'assistant'", i)
		}
		if i > 0 && req.Messages[i-1].Role == m.Role {
			return anInvalid(`messages: roles must alternate between "user" and "assistant", but found multiple %q roles in a row`, m.Role)
		}
		if fl := req.checkToolResults(i); fl != nil {
			return fl
		}
	}
	if c := req.ToolChoice; c != nil && c.Type == "tool" && req.toolIndex(c.Name) < 0 {
		return anInvalid("tool_choice.name: Tool '%s' not found in provided tools", c.Name)
	}
	return req.validateThinking()
}

// checkToolResults enforces the API's pairing rule: every tool_use of an assistant message has
// a tool_result in the next message, and every tool_result answers a tool_use of the previous one.
func (req *anRequest) checkToolResults(i int) *failure {
	m := req.Messages[i]
	if m.Role == "assistant" {
		if i+1 == len(req.Messages) {
			return nil // a prefilled answer: nothing follows yet
		}
		results := blockIDs(req.Messages[i+1], "tool_result")
		for _, id := range blockIDs(m, "tool_use") {
			if !slices.Contains(results, id) {
				return anInvalid("messages.%d: `tool_use` ids were found without `tool_result` blocks immediately after: %s. "+
					"Each `tool_use` block must have a corresponding `tool_result` block in the next message.", i, id)
			}
		}
		return nil
	}
	var uses []string
	if i > 0 {
		uses = blockIDs(req.Messages[i-1], "tool_use")
	}
	for j, b := range m.Content.blocks {
		if b.Type == "tool_result" && !slices.Contains(uses, b.ToolUseID) {
			return anInvalid("messages.%d.content.%d: unexpected `tool_use_id` found in `tool_result` blocks: %s. "+
				"Each `tool_result` block must have a corresponding `tool_use` block in the previous message.", i, j, b.ToolUseID)
		}
	}
	return nil
}

// blockIDs lists the ids of a message's tool_use blocks, or the tool_use_ids of its
// tool_result blocks.
func blockIDs(m anMessage, typ string) []string {
	var out []string
	for _, b := range m.Content.blocks {
		switch {
		case b.Type != typ:
		case typ == "tool_use":
			out = append(out, b.ID)
		default:
			out = append(out, b.ToolUseID)
		}
	}
	return out
}

func (req *anRequest) toolIndex(name string) int {
	for i, t := range req.Tools {
		if t.Name == name {
			return i
		}
	}
	return -1
}

// functionsToCall resolves which tools the reply calls: the tool_call knob, else a tool_choice
// that forces a call ({"type":"any"} calls the first tool, {"type":"tool"} the named one).
func (req *anRequest) functionsToCall(b *behavior) ([]functionDef, *failure) {
	names := b.ToolCalls
	if len(names) == 0 && len(req.Tools) > 0 && req.ToolChoice != nil {
		switch req.ToolChoice.Type {
		case "any":
			names = []string{req.Tools[0].Name}
		case "tool":
			names = []string{req.ToolChoice.Name}
		}
	}
	fns := make([]functionDef, 0, len(names))
	for _, name := range names {
		i := req.toolIndex(name)
		if i < 0 {
			return nil, &failure{Status: http.StatusBadRequest,
				Message: fmt.Sprintf("mockllm: the tool_call knob names function %q, which is not in the request's tools", name)}
		}
		var schema toolSchema
		_ = json.Unmarshal(req.Tools[i].InputSchema, &schema) // a schema it cannot read yields "{}"
		fns = append(fns, functionDef{name: name, schema: schema})
	}
	return fns, nil
}

// anOutcome is the reply, decided before any of it is written.
type anOutcome struct {
	id           string
	plan         choicePlan
	stopReason   string
	stopSequence string // the stop sequence that ended the text; "" renders as null
	usage        anUsage
	thinking     []anBlockOut // thinking and redacted_thinking blocks, before the rest
}

// plan decides the reply: tool calls, or text cut to max_tokens (stop_reason max_tokens) and
// before the earliest stop sequence (stop_reason stop_sequence, the sequence not included).
func (req *anRequest) plan(b *behavior, fns []functionDef) anOutcome {
	seed, promptTokens := req.fingerprint()
	p := planChoices(seed, 1, b.Tokens, *req.MaxTokens, nil, fns)[0]
	out := anOutcome{id: randomID("msg_01", 22), stopReason: "end_turn"}
	switch {
	case len(p.calls) > 0:
		out.stopReason = "tool_use"
		for k := range p.calls {
			// Tool use ids look like toolu_01 and 22 alphanumerics.
			p.calls[k].id = "toolu_01" + p.calls[k].id[len("call_"):len("call_")+22]
		}
	case p.finish == "length":
		out.stopReason = "max_tokens"
	}
	if seq := earliestStop(strings.Join(p.pieces, ""), req.StopSequences); seq != "" {
		p.pieces, _ = truncateAtStop(p.pieces, []string{seq})
		p.tokens, out.stopReason, out.stopSequence = len(p.pieces), "stop_sequence", seq
	}
	out.plan = p
	out.usage = anUsage{InputTokens: promptTokens, OutputTokens: p.tokens, ServiceTier: "standard"}
	req.planThinking(&out, seed)
	return out
}

// earliestStop returns the stop sequence that occurs first in text, "" when none does.
func earliestStop(text string, stops []string) string {
	best, at := "", -1
	for _, s := range stops {
		if i := strings.Index(text, s); s != "" && i >= 0 && (at < 0 || i < at) {
			best, at = s, i
		}
	}
	return best
}

// fingerprint hashes what determines the reply (model, system, each message's role, text and
// tool blocks) and estimates input tokens as the OpenAI routes do.
func (req *anRequest) fingerprint() (seed uint64, promptTokens int) {
	h := newHasher()
	h.add(*req.Model)
	h.add(req.System.text)
	promptTokens = replyPrimingTokens + estimateTokens(req.System.text)
	for _, m := range req.Messages {
		h.add(m.Role)
		h.add(m.Content.text)
		promptTokens += perMessageTokens + estimateTokens(m.Content.text)
		for _, b := range m.Content.blocks {
			switch b.Type {
			case "tool_use":
				h.add(b.Name)
				h.add(string(b.Input))
				promptTokens += estimateTokens(b.Name) + estimateTokens(string(b.Input))
			case "tool_result":
				h.add(b.ToolUseID)
				h.add(string(b.Content))
				promptTokens += estimateTokens(string(b.Content))
			}
		}
	}
	return h.sum(), promptTokens
}

// anMessageOut is the Message object (https://docs.anthropic.com/en/api/messages#response).
type anMessageOut struct {
	ID           string       `json:"id"`
	Type         string       `json:"type"`
	Role         string       `json:"role"`
	Model        string       `json:"model"`
	Content      []anBlockOut `json:"content"`
	StopReason   *string      `json:"stop_reason"`
	StopSequence *string      `json:"stop_sequence"`
	Usage        *anUsage     `json:"usage,omitempty"`
}

type anBlockOut struct {
	Type      string          `json:"type"`
	Thinking  *string         `json:"thinking,omitempty"`
	Signature *string         `json:"signature,omitempty"`
	Data      string          `json:"data,omitempty"` // redacted_thinking
	Text      *string         `json:"text,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
}

type anUsage struct {
	InputTokens              int             `json:"input_tokens"`
	CacheCreationInputTokens int             `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int             `json:"cache_read_input_tokens"`
	CacheCreation            anCacheCreation `json:"cache_creation"`
	OutputTokens             int             `json:"output_tokens"`
	ServiceTier              string          `json:"service_tier"`
}

type anCacheCreation struct {
	Ephemeral5m int `json:"ephemeral_5m_input_tokens"`
	Ephemeral1h int `json:"ephemeral_1h_input_tokens"`
}

// message renders the non-streaming answer. The usage=false knob leaves usage out, which the
// real API never does; it exists to test clients' handling of a missing usage.
func (req *anRequest) message(out *anOutcome, withUsage bool) anMessageOut {
	msg := anMessageOut{ID: out.id, Type: "message", Role: "assistant", Model: *req.Model,
		StopReason: &out.stopReason, StopSequence: nullable(out.stopSequence)}
	if withUsage {
		msg.Usage = &out.usage
	}
	msg.Content = append(msg.Content, out.thinking...)
	if len(out.plan.calls) == 0 {
		text := strings.Join(out.plan.pieces, "")
		msg.Content = append(msg.Content, anBlockOut{Type: "text", Text: &text})
	}
	for _, c := range out.plan.calls {
		msg.Content = append(msg.Content, anBlockOut{Type: "tool_use", ID: c.id, Name: c.name, Input: json.RawMessage(c.args)})
	}
	return msg
}
