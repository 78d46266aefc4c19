package mockllm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// OpenAI API: routes, request parsing and non-streaming responses. Field names and order follow the
// API reference (https://platform.openai.com/docs/api-reference/chat/object) and the official SDKs.

// route dispatches a request to its endpoint. Other wire formats will add their routes here.
func (s *Server) route(w http.ResponseWriter, r *http.Request, body []byte) error {
	f := openaiFormat{}
	path := r.URL.Path
	if ok, err := s.batchRoute(w, r, body); ok {
		return err
	}
	var want string // the method the route accepts
	switch {
	case path == "/v1/chat/completions":
		if want = http.MethodPost; r.Method == want {
			return s.chatCompletions(w, r, body)
		}
	case path == "/v1/responses":
		if want = http.MethodPost; r.Method == want {
			return s.responses(w, r, body)
		}
	case path == "/v1/embeddings":
		if want = http.MethodPost; r.Method == want {
			return s.embeddings(w, r, body)
		}
	case path == "/v1/images/generations":
		if want = http.MethodPost; r.Method == want {
			return s.imageGenerations(w, r, body, "")
		}
	case strings.HasPrefix(path, imageFilesPath):
		if want = http.MethodGet; r.Method == want {
			return s.imageFile(w, path[len(imageFilesPath):])
		}
	case path == "/v1/audio/transcriptions":
		if want = http.MethodPost; r.Method == want {
			return s.transcriptions(w, r, body, "")
		}
	case path == "/v1/audio/speech":
		if want = http.MethodPost; r.Method == want {
			return s.speech(w, r, body, "")
		}
	case path == "/v1/models":
		if want = http.MethodGet; r.Method == want {
			return s.listModels(w, r)
		}
	case strings.HasPrefix(path, "/v1/models/") && len(path) > len("/v1/models/"):
		if want = http.MethodGet; r.Method == want {
			return s.getModel(w, r, path[len("/v1/models/"):])
		}
	}
	if want != "" {
		w.Header().Set("Allow", want)
		return f.writeError(w, failure{Status: http.StatusMethodNotAllowed,
			Message: fmt.Sprintf("Method %s not allowed for %s; use %s.", r.Method, path, want)})
	}
	// OpenAI answers unknown paths with exactly this message.
	return f.writeError(w, failure{Status: http.StatusNotFound,
		Message: fmt.Sprintf("Invalid URL (%s %s)", r.Method, path)})
}

// oaChatRequest holds the chat request fields the mock reads; the rest are accepted and ignored.
type oaChatRequest struct {
	Model               string          `json:"model"`
	Messages            []oaMessage     `json:"messages"`
	Stream              bool            `json:"stream"`
	StreamOptions       *oaStreamOpts   `json:"stream_options"`
	N                   *int            `json:"n"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	Stop                oaStop          `json:"stop"`
	Tools               []oaTool        `json:"tools"`
	ToolChoice          json.RawMessage `json:"tool_choice"`
}

type oaStreamOpts struct {
	IncludeUsage bool `json:"include_usage"`
}

type oaMessage struct {
	Role       string       `json:"role"`
	Content    oaContent    `json:"content"`
	Name       string       `json:"name"`
	ToolCalls  []oaToolCall `json:"tool_calls"`
	ToolCallID string       `json:"tool_call_id"`
}

// oaContent is a message's text: a string, null, or an array of parts whose "text" parts are
// joined with newlines (image, audio and file parts carry no text).
type oaContent string

func (c *oaContent) UnmarshalJSON(b []byte) error {
	text, err := contentText(b, "messages[].content", "text")
	*c = oaContent(text)
	return err
}

// contentText reads message content in OpenAI's shapes: a string, null, or an array of parts
// whose text parts (of the given types) are joined with newlines; param names the member in
// the shape error.
func contentText(b []byte, param string, textTypes ...string) (string, error) {
	if string(b) == "null" {
		return "", nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		err := json.Unmarshal(b, &s)
		return s, err
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(b, &parts); err != nil {
		return "", &shapeError{param: param, want: "a string or an array of content parts", got: jsonKind(b)}
	}
	var sb strings.Builder
	for _, p := range parts {
		if !slices.Contains(textTypes, p.Type) {
			continue
		}
		if sb.Len() > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(p.Text)
	}
	return sb.String(), nil
}

// oaStop is the stop parameter: a string, an array of strings, or null.
type oaStop []string

func (st *oaStop) UnmarshalJSON(b []byte) error {
	switch {
	case string(b) == "null":
		*st = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*st = oaStop{s}
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return &shapeError{param: "stop", want: "a string or an array of strings", got: jsonKind(b)}
	}
	*st = list
	return nil
}

type oaTool struct {
	Type     string `json:"type"`
	Function struct {
		Name       string          `json:"name"`
		Parameters json.RawMessage `json:"parameters"`
	} `json:"function"`
}

type oaToolCall struct {
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

// oaChatCompletion is the chat.completion object.
type oaChatCompletion struct {
	ID                string     `json:"id"`
	Object            string     `json:"object"`
	Created           int64      `json:"created"`
	Model             string     `json:"model"`
	Choices           []oaChoice `json:"choices"`
	Usage             *oaUsage   `json:"usage,omitempty"`
	ServiceTier       string     `json:"service_tier"`
	SystemFingerprint string     `json:"system_fingerprint"`
}

type oaChoice struct {
	Index        int           `json:"index"`
	Message      oaRespMessage `json:"message"`
	Logprobs     *struct{}     `json:"logprobs"` // always null
	FinishReason string        `json:"finish_reason"`
}

type oaRespMessage struct {
	Role        string          `json:"role"`
	Content     *string         `json:"content"` // null when the message has tool calls
	ToolCalls   []oaToolCallOut `json:"tool_calls,omitempty"`
	Refusal     *string         `json:"refusal"`     // always null
	Annotations []struct{}      `json:"annotations"` // always []
}

type oaToolCallOut struct {
	ID       string         `json:"id"`
	Type     string         `json:"type"`
	Function oaFunctionCall `json:"function"`
}

type oaFunctionCall struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type oaUsage struct {
	PromptTokens            int                 `json:"prompt_tokens"`
	CompletionTokens        int                 `json:"completion_tokens"`
	TotalTokens             int                 `json:"total_tokens"`
	PromptTokensDetails     oaPromptDetails     `json:"prompt_tokens_details"`
	CompletionTokensDetails oaCompletionDetails `json:"completion_tokens_details"`
}

type oaPromptDetails struct {
	CachedTokens int `json:"cached_tokens"`
	AudioTokens  int `json:"audio_tokens"`
}

type oaCompletionDetails struct {
	ReasoningTokens          int `json:"reasoning_tokens"`
	AudioTokens              int `json:"audio_tokens"`
	AcceptedPredictionTokens int `json:"accepted_prediction_tokens"`
	RejectedPredictionTokens int `json:"rejected_prediction_tokens"`
}

// Constant parts of every chat response.
const (
	oaServiceTier       = "default"
	oaSystemFingerprint = "fp_m0ck11m5e1"
	maxChoices          = 128 // the API's limit for n
)

func (s *Server) chatCompletions(w http.ResponseWriter, r *http.Request, body []byte) error {
	f := openaiFormat{}
	var req oaChatRequest
	if fl := decodeJSON(body, &req); fl != nil {
		return f.writeError(w, *fl)
	}
	n, maxTokens, fl := req.validate()
	if fl != nil {
		return f.writeError(w, *fl)
	}
	if responsesOnly(req.Model) {
		return f.writeError(w, refuseResponsesOnly())
	}
	b := s.defaults
	if err := b.applyHeaders(r.Header); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	if err := b.applyDirectives(string(req.Messages[len(req.Messages)-1].Content)); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	fns, fl := req.functionsToCall(&b)
	if fl != nil {
		return f.writeError(w, *fl)
	}
	if done, err := s.inject(r.Context(), w, f, &b, req.Model); done {
		return err
	}
	seed, promptTokens := req.fingerprint()
	plans := planChoices(seed, n, b.Tokens, maxTokens, req.Stop, fns)
	b.applyReply(plans)
	usage := oaUsage{PromptTokens: promptTokens}
	for _, p := range plans {
		usage.CompletionTokens += p.tokens
	}
	usage.TotalTokens = usage.PromptTokens + usage.CompletionTokens
	if req.Stream {
		includeUsage := b.Usage && req.StreamOptions != nil && req.StreamOptions.IncludeUsage
		return s.streamChat(r.Context(), w, &req, &b, plans, usage, includeUsage)
	}
	if err := s.wait(r.Context(), b.TTFT); err != nil {
		return err
	}
	resp := oaChatCompletion{
		ID:                randomID("chatcmpl-", 29),
		Object:            "chat.completion",
		Created:           time.Now().Unix(),
		Model:             req.Model,
		Choices:           make([]oaChoice, len(plans)),
		ServiceTier:       oaServiceTier,
		SystemFingerprint: oaSystemFingerprint,
	}
	if b.Usage {
		resp.Usage = &usage
	}
	for i, p := range plans {
		msg := oaRespMessage{Role: "assistant", Annotations: []struct{}{}}
		if len(p.calls) == 0 {
			text := strings.Join(p.pieces, "")
			msg.Content = &text
		}
		for _, c := range p.calls {
			msg.ToolCalls = append(msg.ToolCalls, oaToolCallOut{ID: c.id, Type: "function",
				Function: oaFunctionCall{Name: c.name, Arguments: c.args}})
		}
		resp.Choices[i] = oaChoice{Index: i, Message: msg, FinishReason: p.finish}
	}
	return writeJSON(w, http.StatusOK, resp)
}

// validate checks the request as the API would, and returns n and the completion token cap (0 when
// uncapped).
func (req *oaChatRequest) validate() (n, maxTokens int, fl *failure) {
	switch {
	case req.Model == "":
		return 0, 0, &failure{Status: http.StatusBadRequest, Message: "you must provide a model parameter"}
	case req.Messages == nil:
		return 0, 0, missingParam("messages")
	case len(req.Messages) == 0:
		return 0, 0, &failure{Status: http.StatusBadRequest, Param: "messages", Code: "empty_array",
			Message: "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead."}
	}
	n = 1
	if req.N != nil {
		if n = *req.N; n < 1 || n > maxChoices {
			return 0, 0, outOfRange("n", n, 1, maxChoices)
		}
	}
	for _, p := range []struct {
		name string
		v    *int
	}{{"max_tokens", req.MaxTokens}, {"max_completion_tokens", req.MaxCompletionTokens}} {
		if p.v == nil {
			continue
		}
		if *p.v < 1 {
			return 0, 0, outOfRange(p.name, *p.v, 1, maxKnobTokens)
		}
		maxTokens = *p.v // max_completion_tokens, listed last, wins: it supersedes max_tokens
	}
	return n, maxTokens, nil
}

// functionsToCall resolves which functions the reply calls: the tool_call knob, else a tool_choice
// that forces a call ("required" or a named function), else none.
func (req *oaChatRequest) functionsToCall(b *behavior) ([]functionDef, *failure) {
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
		_ = json.Unmarshal(req.Tools[i].Function.Parameters, &schema) // a schema it cannot read yields "{}"
		fns = append(fns, functionDef{name: name, schema: schema})
	}
	return fns, nil
}

func (req *oaChatRequest) forcedFunction() []string {
	if len(req.Tools) == 0 || len(req.ToolChoice) == 0 {
		return nil
	}
	var choice struct {
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	switch {
	case string(req.ToolChoice) == `"required"`:
		return []string{req.Tools[0].Function.Name}
	case json.Unmarshal(req.ToolChoice, &choice) == nil && choice.Function.Name != "":
		return []string{choice.Function.Name}
	}
	return nil
}

func (req *oaChatRequest) toolIndex(name string) int {
	for i, t := range req.Tools {
		if (t.Type == "function" || t.Type == "") && t.Function.Name == name {
			return i
		}
	}
	return -1
}

// fingerprint hashes what determines the reply (model and each message's role, name, text and tool
// calls) and estimates prompt tokens (see perMessageTokens).
func (req *oaChatRequest) fingerprint() (seed uint64, promptTokens int) {
	h := newHasher()
	h.add(req.Model)
	promptTokens = replyPrimingTokens
	for _, m := range req.Messages {
		h.add(m.Role)
		h.add(m.Name)
		h.add(string(m.Content))
		h.add(m.ToolCallID)
		promptTokens += perMessageTokens + estimateTokens(string(m.Content))
		if m.Name != "" {
			promptTokens++
		}
		for _, c := range m.ToolCalls {
			h.add(c.Function.Name)
			h.add(c.Function.Arguments)
			promptTokens += estimateTokens(c.Function.Name) + estimateTokens(c.Function.Arguments)
		}
	}
	return h.sum(), promptTokens
}

// functionDef is a function the reply calls.
type functionDef struct {
	name   string
	schema toolSchema
}

// choicePlan is one choice's reply, decided before any of it is written.
type choicePlan struct {
	pieces []string // text tokens, when the reply is text
	calls  []plannedCall
	finish string
	tokens int // completion tokens
}

type plannedCall struct{ id, name, args string }

// planChoices decides every choice's reply. A text reply has `tokens` tokens, cut to maxTokens
// (finish "length") and before the first stop sequence (finish "stop"). A tool call costs the
// estimated tokens of its name and arguments.
func planChoices(seed uint64, n, tokens, maxTokens int, stop []string, fns []functionDef) []choicePlan {
	plans := make([]choicePlan, n)
	for i := range plans {
		cs := choiceSeed(seed, i)
		p := &plans[i]
		if len(fns) > 0 {
			p.finish = "tool_calls"
			for k, fn := range fns {
				ks := choiceSeed(cs, k)
				c := plannedCall{id: seededID("call_", 24, ks), name: fn.name, args: toolArguments(ks, fn.schema)}
				p.calls = append(p.calls, c)
				p.tokens += estimateTokens(c.name) + estimateTokens(c.args)
			}
			continue
		}
		count, finish := tokens, "stop"
		if maxTokens > 0 && count > maxTokens {
			count, finish = maxTokens, "length"
		}
		pieces, stopped := truncateAtStop(completionPieces(cs, count), stop)
		if stopped {
			finish = "stop"
		}
		p.pieces, p.finish, p.tokens = pieces, finish, len(pieces)
	}
	return plans
}
