package mockllm

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Converse and ConverseStream requests, their validation and the non-streaming answer
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html).

// brRequest is the Converse request. Every member of the API is declared, those the mock does not
// read as raw values, so that brDecode can refuse members the API does not define.
type brRequest struct {
	Messages                          []brMessage        `json:"messages"`
	System                            []brSystemBlock    `json:"system"`
	InferenceConfig                   *brInferenceConfig `json:"inferenceConfig"`
	ToolConfig                        *brToolConfig      `json:"toolConfig"`
	OutputConfig                      json.RawMessage    `json:"outputConfig"`
	AdditionalModelRequestFields      json.RawMessage    `json:"additionalModelRequestFields"`
	AdditionalModelResponseFieldPaths json.RawMessage    `json:"additionalModelResponseFieldPaths"`
	GuardrailConfig                   json.RawMessage    `json:"guardrailConfig"`
	PerformanceConfig                 json.RawMessage    `json:"performanceConfig"`
	PromptVariables                   json.RawMessage    `json:"promptVariables"`
	RequestMetadata                   json.RawMessage    `json:"requestMetadata"`
	ServiceTier                       json.RawMessage    `json:"serviceTier"`
}

type brSystemBlock struct {
	Text         *string         `json:"text"`
	GuardContent json.RawMessage `json:"guardContent"`
	CachePoint   json.RawMessage `json:"cachePoint"`
}

type brMessage struct {
	Role    string    `json:"role"`
	Content []brBlock `json:"content"`
}

// brBlock is a content block, a union: one member is set.
type brBlock struct {
	Text             *string         `json:"text"`
	Image            *brImage        `json:"image"`
	ToolUse          *brToolUse      `json:"toolUse"`
	ToolResult       *brToolResult   `json:"toolResult"`
	Document         json.RawMessage `json:"document"`
	Video            json.RawMessage `json:"video"`
	Audio            json.RawMessage `json:"audio"`
	GuardContent     json.RawMessage `json:"guardContent"`
	CachePoint       json.RawMessage `json:"cachePoint"`
	ReasoningContent *brReasoning    `json:"reasoningContent"`
	CitationsContent json.RawMessage `json:"citationsContent"`
	SearchResult     json.RawMessage `json:"searchResult"`
}

type brImage struct {
	Format string `json:"format"`
	Source struct {
		Bytes      []byte          `json:"bytes"` // base64 in JSON; invalid base64 is refused
		S3Location json.RawMessage `json:"s3Location"`
	} `json:"source"`
}

type brToolUse struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
	Type      json.RawMessage `json:"type"`
}

type brToolResult struct {
	ToolUseID string            `json:"toolUseId"`
	Content   []json.RawMessage `json:"content"`
	Status    string            `json:"status"`
	Type      json.RawMessage   `json:"type"`
}

type brInferenceConfig struct {
	MaxTokens     *int     `json:"maxTokens"`
	Temperature   *float64 `json:"temperature"`
	TopP          *float64 `json:"topP"`
	StopSequences []string `json:"stopSequences"`
}

type brToolConfig struct {
	Tools      []brTool      `json:"tools"`
	ToolChoice *brToolChoice `json:"toolChoice"`
}

type brTool struct {
	ToolSpec *struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		InputSchema struct {
			JSON json.RawMessage `json:"json"`
		} `json:"inputSchema"`
		Strict *bool `json:"strict"`
	} `json:"toolSpec"`
	CachePoint json.RawMessage `json:"cachePoint"`
	SystemTool json.RawMessage `json:"systemTool"`
}

type brToolChoice struct {
	Auto *struct{} `json:"auto"`
	Any  *struct{} `json:"any"`
	Tool *struct {
		Name string `json:"name"`
	} `json:"tool"`
}

var brImageFormats = map[string]bool{"png": true, "jpeg": true, "gif": true, "webp": true}

// validate checks what Bedrock checks, with its messages.
func (req *brRequest) validate() *failure {
	invalid := func(format string, args ...any) *failure { fl := brInvalid(format, args...); return &fl }
	if len(req.Messages) == 0 || req.Messages[0].Role != "user" {
		return invalid("A conversation must start with a user message. Try again with a conversation that starts with a user message.")
	}
	if c := req.InferenceConfig; c != nil && c.MaxTokens != nil && *c.MaxTokens < 1 {
		return invalid("1 validation error detected: Value '%d' at 'inferenceConfig.maxTokens' failed to satisfy constraint: "+
			"Member must have value greater than or equal to 1", *c.MaxTokens)
	}
	for i, m := range req.Messages {
		if m.Role != "user" && m.Role != "assistant" {
			return invalid("1 validation error detected: Value '%s' at 'messages.%d.member.role' failed to satisfy constraint: "+
				"Member must satisfy enum value set: [user, assistant]", m.Role, i+1)
		}
		if i > 0 && req.Messages[i-1].Role == m.Role {
			return invalid("A conversation must alternate between user and assistant roles. " +
				"Make sure the conversation alternates between user and assistant roles and try again.")
		}
		for j, b := range m.Content {
			if fl := req.validateBlock(i, j, b); fl != nil {
				return fl
			}
		}
	}
	return nil
}

func (req *brRequest) validateBlock(i, j int, b brBlock) *failure {
	switch {
	case b.Text != nil && strings.TrimSpace(*b.Text) == "":
		fl := brInvalid("The text field in the ContentBlock object at messages.%d.content.%d is blank. Add text to the text field, and try again.", i, j)
		return &fl
	case b.Image != nil && (!brImageFormats[b.Image.Format] || len(b.Image.Source.Bytes) == 0 && b.Image.Source.S3Location == nil):
		fl := brInvalid("The image in the ContentBlock object at messages.%d.content.%d is invalid: format must be png, jpeg, gif or webp, with bytes.", i, j)
		return &fl
	case (b.ToolUse != nil || b.ToolResult != nil) && req.ToolConfig == nil:
		fl := brInvalid("The toolConfig field must be defined when using toolUse and toolResult content blocks.")
		return &fl
	}
	return nil
}

// lastText is the text of the last message, where [[mock ...]] directives are read.
func (req *brRequest) lastText() string {
	var parts []string
	for _, b := range req.Messages[len(req.Messages)-1].Content {
		if b.Text != nil {
			parts = append(parts, *b.Text)
		}
	}
	return strings.Join(parts, "\n")
}

func (req *brRequest) toolIndex(name string) int {
	if req.ToolConfig == nil {
		return -1
	}
	for i, t := range req.ToolConfig.Tools {
		if t.ToolSpec != nil && t.ToolSpec.Name == name {
			return i
		}
	}
	return -1
}

// functionsToCall resolves which tools the reply calls: the tool_call knob, else a toolChoice
// that forces a call ({any:{}} calls the first tool, {tool:{name}} the named one).
func (req *brRequest) functionsToCall(b *behavior) ([]functionDef, *failure) {
	names := b.ToolCalls
	if tc := req.ToolConfig; len(names) == 0 && tc != nil && tc.ToolChoice != nil && len(tc.Tools) > 0 && tc.Tools[0].ToolSpec != nil {
		switch {
		case tc.ToolChoice.Any != nil:
			names = []string{tc.Tools[0].ToolSpec.Name}
		case tc.ToolChoice.Tool != nil:
			names = []string{tc.ToolChoice.Tool.Name}
		}
	}
	fns := make([]functionDef, 0, len(names))
	for _, name := range names {
		i := req.toolIndex(name)
		if i < 0 {
			fl := brInvalid("mockllm: the tool_call knob or toolChoice names tool %q, which is not in toolConfig.tools", name)
			return nil, &fl
		}
		var schema toolSchema
		_ = json.Unmarshal(req.ToolConfig.Tools[i].ToolSpec.InputSchema.JSON, &schema) // unreadable yields "{}"
		fns = append(fns, functionDef{name: name, schema: schema})
	}
	return fns, nil
}

// fingerprint hashes what determines the reply (model, system, each message's role and blocks)
// and estimates input tokens as the OpenAI routes do.
func (req *brRequest) fingerprint(model string) (seed uint64, promptTokens int) {
	h := newHasher()
	h.add(model)
	promptTokens = replyPrimingTokens
	for _, s := range req.System {
		if s.Text != nil {
			h.add(*s.Text)
			promptTokens += estimateTokens(*s.Text)
		}
	}
	for _, m := range req.Messages {
		h.add(m.Role)
		promptTokens += perMessageTokens
		for _, b := range m.Content {
			var parts []string
			switch {
			case b.Text != nil:
				parts = []string{*b.Text}
			case b.ToolUse != nil:
				parts = []string{b.ToolUse.ToolUseID, b.ToolUse.Name, string(b.ToolUse.Input)}
			case b.ToolResult != nil:
				parts = []string{b.ToolResult.ToolUseID}
				for _, c := range b.ToolResult.Content {
					parts = append(parts, string(c))
				}
			}
			for _, p := range parts {
				h.add(p)
				promptTokens += estimateTokens(p)
			}
		}
	}
	return h.sum(), promptTokens
}

// brOutcome is the reply, decided before any of it is written.
type brOutcome struct {
	plan       choicePlan
	stopReason string
	usage      brUsage
	reasoning  []brBlockOut // reasoningContent blocks, before the rest
}

type brUsage struct {
	InputTokens  int `json:"inputTokens"`
	OutputTokens int `json:"outputTokens"`
	TotalTokens  int `json:"totalTokens"`
}

// plan decides the reply: tool calls (stopReason tool_use), or text cut to maxTokens
// (max_tokens) and before the earliest stop sequence (stop_sequence, the sequence not included).
func (req *brRequest) plan(model string, b *behavior, fns []functionDef, th *anThinking) brOutcome {
	seed, promptTokens := req.fingerprint(model)
	maxTokens := 0
	var stop []string
	if c := req.InferenceConfig; c != nil {
		stop = c.StopSequences
		if c.MaxTokens != nil {
			maxTokens = *c.MaxTokens
		}
	}
	p := planChoices(seed, 1, b.Tokens, maxTokens, nil, fns)[0]
	out := brOutcome{stopReason: "end_turn"}
	switch {
	case len(p.calls) > 0:
		out.stopReason = "tool_use"
		for k := range p.calls {
			// Bedrock's tool use ids are "tooluse_" and 22 characters.
			p.calls[k].id = "tooluse_" + p.calls[k].id[len("call_"):len("call_")+22]
		}
	case p.finish == "length":
		out.stopReason = "max_tokens"
	}
	if pieces, stopped := truncateAtStop(p.pieces, stop); stopped {
		p.pieces, p.tokens, out.stopReason = pieces, len(pieces), "stop_sequence"
	}
	out.plan = p
	out.usage = brUsage{InputTokens: promptTokens, OutputTokens: p.tokens, TotalTokens: promptTokens + p.tokens}
	req.planReasoning(th, &out, seed)
	return out
}

// brResponse is Converse's answer.
type brResponse struct {
	Output struct {
		Message brMessageOut `json:"message"`
	} `json:"output"`
	StopReason string    `json:"stopReason"`
	Usage      *brUsage  `json:"usage,omitempty"`
	Metrics    brMetrics `json:"metrics"`
}

type brMessageOut struct {
	Role    string       `json:"role"`
	Content []brBlockOut `json:"content"`
}

type brBlockOut struct {
	Text             *string         `json:"text,omitempty"`
	ToolUse          *brToolUseOut   `json:"toolUse,omitempty"`
	ReasoningContent *brReasoningOut `json:"reasoningContent,omitempty"`
}

type brToolUseOut struct {
	ToolUseID string          `json:"toolUseId"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`
}

type brMetrics struct {
	LatencyMs int64 `json:"latencyMs"`
}

func (s *Server) bedrockConverse(w http.ResponseWriter, r *http.Request, body []byte, model string, stream bool) error {
	f := bedrockFormat{}
	var req brRequest
	if fl := brDecode(body, &req); fl != nil {
		return f.writeError(w, *fl)
	}
	if fl := req.validate(); fl != nil {
		return f.writeError(w, *fl)
	}
	th := req.thinking(model)
	if fl := req.validateThinking(th); fl != nil {
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
	if done, err := s.inject(r.Context(), w, f, &b, model); done {
		return err
	}
	out := req.plan(model, &b, fns, th)
	if stream {
		return s.bedrockStream(r.Context(), w, &b, &out)
	}
	if err := s.wait(r.Context(), b.TTFT); err != nil {
		return err
	}
	resp := brResponse{StopReason: out.stopReason, Metrics: brMetrics{LatencyMs: (b.Latency + b.TTFT).Milliseconds()}}
	resp.Output.Message = brMessageOut{Role: "assistant", Content: out.content()}
	if b.Usage {
		resp.Usage = &out.usage
	}
	return brWriteJSON(w, http.StatusOK, resp)
}

// content is the answer's blocks: the reasoning, then the text or one toolUse block per call.
func (out *brOutcome) content() []brBlockOut {
	blocks := append([]brBlockOut(nil), out.reasoning...)
	if len(out.plan.calls) == 0 {
		text := strings.Join(out.plan.pieces, "")
		return append(blocks, brBlockOut{Text: &text})
	}
	for _, c := range out.plan.calls {
		blocks = append(blocks, brBlockOut{ToolUse: &brToolUseOut{ToolUseID: c.id, Name: c.name, Input: json.RawMessage(c.args)}})
	}
	return blocks
}
