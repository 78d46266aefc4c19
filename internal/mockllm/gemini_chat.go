package mockllm

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
)

// Gemini generateContent answers: https://ai.google.dev/api/generate-content#generatecontentresponse.
// The reply is planned exactly as for OpenAI (same text for the same conversation, same knobs);
// only its rendering differs.

type gmResponse struct {
	Candidates    []gmCandidate `json:"candidates"`
	UsageMetadata *gmUsage      `json:"usageMetadata,omitempty"`
	ModelVersion  string        `json:"modelVersion"`
	ResponseID    string        `json:"responseId"`
}

type gmCandidate struct {
	Content      gmContent `json:"content"`
	FinishReason string    `json:"finishReason,omitempty"`
	Index        int       `json:"index"`
}

type gmUsage struct {
	PromptTokenCount     int          `json:"promptTokenCount"`
	CandidatesTokenCount int          `json:"candidatesTokenCount,omitempty"`
	TotalTokenCount      int          `json:"totalTokenCount"`
	PromptTokensDetails  []gmModality `json:"promptTokensDetails"`
}

type gmModality struct {
	Modality   string `json:"modality"`
	TokenCount int    `json:"tokenCount"`
}

// gmImageTokens is what Gemini counts for an image (258 tokens at default resolution).
const gmImageTokens = 258

// gmReply is a planned answer, rendered whole or as a stream.
type gmReply struct {
	model, id    string
	plans        []choicePlan
	promptTokens int
	withUsage    bool
}

// gmGenerate serves generateContent and streamGenerateContent.
func (s *Server) gmGenerate(w http.ResponseWriter, r *http.Request, body []byte, model string, stream bool) error {
	f := geminiFormat{}
	var req gmRequest
	if fl := decodeGemini(body, &req); fl != nil {
		return f.writeError(w, *fl)
	}
	n, fl := req.validate(model)
	if fl != nil {
		return f.writeError(w, *fl)
	}
	b := s.defaults
	if err := b.applyHeaders(r.Header); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	if err := b.applyDirectives(req.Contents[len(req.Contents)-1].text()); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	fns, fl := req.functionsToCall(&b)
	if fl != nil {
		return f.writeError(w, *fl)
	}
	if done, err := s.inject(r.Context(), w, f, &b, model); done {
		return err
	}
	seed, promptTokens := req.fingerprint(model)
	maxTokens, stop := 0, []string(nil)
	if g := req.GenerationConfig; g != nil {
		stop = g.StopSequences
		if g.MaxOutputTokens != nil {
			maxTokens = *g.MaxOutputTokens
		}
	}
	plans := planChoices(seed, n, b.Tokens, maxTokens, stop, fns)
	if g := req.GenerationConfig; g != nil && g.ResponseMimeType == "application/json" {
		jsonText(plans)
	}
	reply := &gmReply{model: model, id: randomID("", 23), plans: plans, promptTokens: promptTokens, withUsage: b.Usage}
	if stream {
		return s.gmStream(r.Context(), w, r, &b, reply)
	}
	if err := s.wait(r.Context(), b.TTFT); err != nil {
		return err
	}
	return writeGeminiJSON(w, http.StatusOK, reply.whole())
}

func (c *gmContent) text() string {
	var parts []string
	for _, p := range c.Parts {
		if p.Text != nil {
			parts = append(parts, *p.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// functionsToCall resolves which functions the reply calls: the tool_call knob, else a
// function calling mode of ANY (the first allowed, or first declared, function), else none.
func (req *gmRequest) functionsToCall(b *behavior) ([]functionDef, *failure) {
	names := b.ToolCalls
	if len(names) == 0 {
		names = req.forcedFunction()
	}
	fns := make([]functionDef, 0, len(names))
	for _, name := range names {
		d := req.declaration(name)
		if d == nil {
			return nil, ptr(gmInvalid("mockllm: the tool_call knob names function %q, which is not in the request's tools", name))
		}
		fns = append(fns, functionDef{name: name, schema: d.toolSchema()})
	}
	return fns, nil
}

func (req *gmRequest) forcedFunction() []string {
	tc := req.ToolConfig
	if tc == nil || tc.FunctionCallingConfig == nil || !strings.EqualFold(tc.FunctionCallingConfig.Mode, "ANY") {
		return nil
	}
	if allowed := tc.FunctionCallingConfig.AllowedFunctionNames; len(allowed) > 0 {
		return allowed[:1]
	}
	for _, t := range req.Tools {
		for _, d := range t.FunctionDeclarations {
			return []string{d.Name}
		}
	}
	return nil
}

func (req *gmRequest) declaration(name string) *gmFunctionDecl {
	for i := range req.Tools {
		for j := range req.Tools[i].FunctionDeclarations {
			if d := &req.Tools[i].FunctionDeclarations[j]; d.Name == name {
				return d
			}
		}
	}
	return nil
}

// toolSchema reads the property types that argument generation needs; Gemini's types may be
// upper case ("STRING").
func (d *gmFunctionDecl) toolSchema() toolSchema {
	var ts toolSchema
	if d.ParametersJSONSchema != nil {
		_ = json.Unmarshal(d.ParametersJSONSchema, &ts) // a schema it cannot read yields "{}"
		return ts
	}
	if d.Parameters == nil {
		return ts
	}
	ts.Properties = make(map[string]toolProperty, len(d.Parameters.Properties))
	for name, p := range d.Parameters.Properties {
		if p != nil {
			ts.Properties[name] = toolProperty{Type: strings.ToLower(p.Type)}
		}
	}
	return ts
}

// fingerprint hashes what determines the reply and estimates prompt tokens the way the OpenAI
// side does, plus Gemini's fixed count per image or file.
func (req *gmRequest) fingerprint(model string) (seed uint64, promptTokens int) {
	h := newHasher()
	h.add(model)
	promptTokens = replyPrimingTokens
	contents := req.Contents
	if req.SystemInstruction != nil {
		contents = append([]gmContent{*req.SystemInstruction}, contents...)
	}
	for _, c := range contents {
		h.add(c.Role)
		promptTokens += perMessageTokens
		for _, p := range c.Parts {
			switch {
			case p.Text != nil:
				h.add(*p.Text)
				promptTokens += estimateTokens(*p.Text)
			case p.FunctionCall != nil:
				h.add(p.FunctionCall.Name)
				h.add(string(p.FunctionCall.Args))
				promptTokens += estimateTokens(p.FunctionCall.Name) + estimateTokens(string(p.FunctionCall.Args))
			case p.FunctionResponse != nil:
				h.add(p.FunctionResponse.Name)
				h.add(string(p.FunctionResponse.Response))
				promptTokens += estimateTokens(string(p.FunctionResponse.Response))
			case p.InlineData != nil:
				h.add(p.InlineData.Data)
				promptTokens += gmImageTokens
			case p.FileData != nil:
				h.add(p.FileData.FileURI)
				promptTokens += gmImageTokens
			}
		}
	}
	return h.sum(), promptTokens
}

// jsonText makes text replies a JSON object, {"text":"..."}, for responseMimeType
// application/json; the words contain no character that needs escaping.
func jsonText(plans []choicePlan) {
	for i := range plans {
		p := &plans[i]
		if len(p.calls) > 0 {
			continue
		}
		if len(p.pieces) == 0 {
			p.pieces = []string{""}
		}
		p.pieces = append([]string(nil), p.pieces...)
		p.pieces[0] = `{"text":"` + p.pieces[0]
		p.pieces[len(p.pieces)-1] += `"}`
	}
}

func gmFinishReason(finish string) string {
	if finish == "length" {
		return "MAX_TOKENS"
	}
	return "STOP" // Gemini ends function calls with STOP too
}

// gmSignature is a deterministic stand-in for the opaque thought signature Gemini puts on a
// step's first function call, base64 as the API sends bytes.
func gmSignature(callID string) string {
	h := newHasher()
	h.add(callID)
	r := rng(h.sum())
	b := make([]byte, 0, 48)
	for len(b) < 48 {
		x := r.next()
		for k := 0; k < 8; k++ {
			b = append(b, byte(x>>(8*k)))
		}
	}
	return base64.StdEncoding.EncodeToString(b)
}

func (p *choicePlan) gmParts() []gmPart {
	if len(p.calls) == 0 {
		text := strings.Join(p.pieces, "")
		return []gmPart{{Text: &text}}
	}
	parts := make([]gmPart, len(p.calls))
	for k, c := range p.calls {
		parts[k] = gmPart{FunctionCall: &gmFunctionCall{Name: c.name, Args: json.RawMessage(c.args)}}
		if k == 0 {
			parts[k].ThoughtSignature = gmSignature(c.id)
		}
	}
	return parts
}

func (rp *gmReply) usage(candidates int) *gmUsage {
	if !rp.withUsage {
		return nil
	}
	return &gmUsage{PromptTokenCount: rp.promptTokens, CandidatesTokenCount: candidates,
		TotalTokenCount: rp.promptTokens + candidates, PromptTokensDetails: []gmModality{{"TEXT", rp.promptTokens}}}
}

func (rp *gmReply) whole() gmResponse {
	out := gmResponse{ModelVersion: rp.model, ResponseID: rp.id, Candidates: make([]gmCandidate, len(rp.plans))}
	total := 0
	for i := range rp.plans {
		p := &rp.plans[i]
		total += p.tokens
		out.Candidates[i] = gmCandidate{Content: gmContent{Role: "model", Parts: p.gmParts()},
			FinishReason: gmFinishReason(p.finish), Index: i}
	}
	out.UsageMetadata = rp.usage(total)
	return out
}
