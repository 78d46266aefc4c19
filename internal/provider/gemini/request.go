package gemini

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

// NewChatRequest builds POST {base}/models/{model}:generateContent, or
// :streamGenerateContent?alt=sse for a stream (without alt=sse Gemini streams one JSON array
// instead of server-sent events).
//
// Accepted but without a Gemini equivalent, so not sent: user, parallel_tool_calls (Gemini
// decides itself), stream_options (usage always comes back), store, metadata, service_tier,
// reasoning_effort (Gemini's thinking knobs differ per model generation) and members Sluice does
// not know. Refused with a 400 naming the parameter, because the answer would silently lack what
// was asked for: see unsupportedParams.
func (Adapter) NewChatRequest(ctx context.Context, t *provider.Target, req *api.ChatRequest) (*http.Request, error) {
	if err := refuseUnsupported(t, req.Extra); err != nil {
		return nil, err
	}
	contents, system, err := translateMessages(req.Messages)
	if err != nil {
		return nil, err
	}
	out := generateContentRequest{Contents: contents, SystemInstruction: system}
	if out.Tools, err = translateTools(req.Tools); err != nil {
		return nil, err
	}
	if out.ToolConfig, err = translateToolChoice(req.ToolChoice, len(out.Tools) > 0); err != nil {
		return nil, err
	}
	if out.GenerationConfig, err = translateGenerationConfig(req); err != nil {
		return nil, err
	}
	body, err := jsonx.Marshal(&out)
	if err != nil {
		return nil, fmt.Errorf("gemini: encode chat request: %w", err)
	}
	method := ":generateContent"
	if req.Stream {
		method = ":streamGenerateContent?alt=sse"
	}
	return newRequest(ctx, t, modelPath(t.Model)+method, body, req.Stream)
}

// modelPath names the model resource: "models/{id}", or a full resource name as given
// ("tunedModels/...").
func modelPath(model string) string {
	if strings.Contains(model, "/") {
		return model
	}
	return "models/" + url.PathEscape(model)
}

func newRequest(ctx context.Context, t *provider.Target, path string, body []byte, stream bool) (*http.Request, error) {
	r, err := http.NewRequestWithContext(ctx, http.MethodPost, t.BaseURL+"/"+path, bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("gemini: new request: %w", err)
	}
	for k, vs := range t.Headers {
		r.Header[k] = vs
	}
	r.Header.Set("Content-Type", "application/json")
	if stream {
		r.Header.Set("Accept", "text/event-stream")
	} else {
		r.Header.Set("Accept", "application/json")
	}
	if !t.APIKey.IsZero() {
		// The header rather than ?key=, so the key stays out of URLs that proxies log.
		r.Header.Set("x-goog-api-key", t.APIKey.Reveal())
	}
	return r, nil
}

// unsupportedParams are OpenAI parameters, not modelled by api.ChatRequest, whose effect Gemini
// cannot give through this adapter.
type unsupportedParams struct {
	Logprobs         *bool       `json:"logprobs"`
	TopLogprobs      jsonx.Value `json:"top_logprobs"`
	LogitBias        jsonx.Value `json:"logit_bias"`
	Audio            jsonx.Value `json:"audio"`
	Modalities       []string    `json:"modalities"`
	Prediction       jsonx.Value `json:"prediction"`
	WebSearchOptions jsonx.Value `json:"web_search_options"`
}

func refuseUnsupported(t *provider.Target, extra jsonx.Value) error {
	if len(extra) == 0 {
		return nil
	}
	var p unsupportedParams
	if err := jsonx.Unmarshal(extra, &p); err != nil {
		return api.NewError("invalid_request", "the request has a parameter of the wrong type", err)
	}
	set := func(v jsonx.Value) bool { s := string(v); return s != "" && s != "null" && s != "{}" }
	var name string
	switch {
	case p.Logprobs != nil && *p.Logprobs:
		name = "logprobs"
	case set(p.TopLogprobs):
		name = "top_logprobs"
	case set(p.LogitBias):
		name = "logit_bias"
	case set(p.Audio):
		name = "audio"
	case len(p.Modalities) > 1 || len(p.Modalities) == 1 && p.Modalities[0] != "text":
		name = "modalities"
	case set(p.Prediction):
		name = "prediction"
	case set(p.WebSearchOptions):
		name = "web_search_options"
	default:
		return nil
	}
	return unsupported(t, name)
}

func unsupported(t *provider.Target, param string) *api.Error {
	e := api.Errorf("invalid_request", "parameter %s is not supported by provider %q (type gemini)", param, t.Provider)
	e.Param = param
	return e
}

// invalid is a 400 about one parameter of the request.
func invalid(param, format string, args ...any) *api.Error {
	e := api.Errorf("invalid_request", "%s: "+format, append([]any{param}, args...)...)
	e.Param = param
	return e
}

func translateGenerationConfig(req *api.ChatRequest) (*generationConfig, error) {
	g := generationConfig{
		StopSequences:    req.Stop,
		CandidateCount:   req.N,
		Temperature:      req.Temperature,
		TopP:             req.TopP,
		PresencePenalty:  req.PresencePenalty,
		FrequencyPenalty: req.FrequencyPenalty,
		MaxOutputTokens:  req.MaxTokens,
	}
	if req.MaxCompletionTokens != nil {
		g.MaxOutputTokens = req.MaxCompletionTokens // it supersedes max_tokens at OpenAI too
	}
	if req.Seed != nil {
		if *req.Seed < math.MinInt32 || *req.Seed > math.MaxInt32 {
			return nil, invalid("seed", "Gemini takes a 32-bit seed, got %d", *req.Seed)
		}
		g.Seed = req.Seed
	}
	if err := responseFormat(req.ResponseFormat, &g); err != nil {
		return nil, err
	}
	if g.isZero() {
		return nil, nil
	}
	return &g, nil
}

func (g *generationConfig) isZero() bool {
	return len(g.StopSequences) == 0 && g.ResponseMimeType == "" && g.CandidateCount == nil &&
		g.MaxOutputTokens == nil && g.Temperature == nil && g.TopP == nil && g.Seed == nil &&
		g.PresencePenalty == nil && g.FrequencyPenalty == nil
}

// openaiResponseFormat is response_format: {"type":"text"|"json_object"|"json_schema",
// "json_schema":{"name","schema","strict"}}.
type openaiResponseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Schema jsonx.Value `json:"schema"`
	} `json:"json_schema"`
}

// responseFormat maps JSON mode to responseMimeType, and a JSON schema to responseJsonSchema,
// which takes JSON Schema as is (Gemini 2.5 and later), unlike responseSchema's OpenAPI subset:
// https://ai.google.dev/gemini-api/docs/structured-output.
func responseFormat(raw jsonx.Value, g *generationConfig) error {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var f openaiResponseFormat
	if err := jsonx.Unmarshal(raw, &f); err != nil {
		return invalid("response_format", "must be an object with a type")
	}
	switch f.Type {
	case "text":
	case "json_object":
		g.ResponseMimeType = "application/json"
	case "json_schema":
		if f.JSONSchema == nil || len(f.JSONSchema.Schema) == 0 {
			return invalid("response_format.json_schema.schema", "is required")
		}
		g.ResponseMimeType = "application/json"
		g.ResponseJSONSchema = f.JSONSchema.Schema
	default:
		return invalid("response_format.type", "%q is not one of text, json_object, json_schema", f.Type)
	}
	return nil
}
