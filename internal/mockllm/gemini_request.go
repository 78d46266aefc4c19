package mockllm

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode"
)

// The generateContent request as the Gemini API reads it: https://ai.google.dev/api/generate-content.
// Like the real API, the mock rejects members it does not know ("Unknown name ... Cannot find
// field"), inside Schemas too, which is what catches a client sending JSON Schema keywords such
// as additionalProperties; and it accepts snake_case names as well as camelCase.

type gmRequest struct {
	Contents          []gmContent       `json:"contents"`
	SystemInstruction *gmContent        `json:"systemInstruction"`
	Tools             []gmTool          `json:"tools"`
	ToolConfig        *gmToolConfig     `json:"toolConfig"`
	SafetySettings    []json.RawMessage `json:"safetySettings"`
	GenerationConfig  *gmGenConfig      `json:"generationConfig"`
	CachedContent     string            `json:"cachedContent"`
}

type gmContent struct {
	Role  string   `json:"role"`
	Parts []gmPart `json:"parts"`
}

type gmPart struct {
	Text                *string         `json:"text,omitempty"`
	Thought             bool            `json:"thought,omitempty"`
	ThoughtSignature    string          `json:"thoughtSignature,omitempty"`
	InlineData          *gmBlob         `json:"inlineData,omitempty"`
	FileData            *gmFileData     `json:"fileData,omitempty"`
	FunctionCall        *gmFunctionCall `json:"functionCall,omitempty"`
	FunctionResponse    *gmFuncResponse `json:"functionResponse,omitempty"`
	ExecutableCode      json.RawMessage `json:"executableCode,omitempty"`
	CodeExecutionResult json.RawMessage `json:"codeExecutionResult,omitempty"`
	VideoMetadata       json.RawMessage `json:"videoMetadata,omitempty"`
}

type gmBlob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

type gmFileData struct {
	MimeType string `json:"mimeType"`
	FileURI  string `json:"fileUri"`
}

type gmFunctionCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

type gmFuncResponse struct {
	ID       string          `json:"id,omitempty"`
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type gmTool struct {
	FunctionDeclarations  []gmFunctionDecl  `json:"functionDeclarations"`
	GoogleSearch          json.RawMessage   `json:"googleSearch"`
	GoogleSearchRetrieval json.RawMessage   `json:"googleSearchRetrieval"`
	CodeExecution         json.RawMessage   `json:"codeExecution"`
	URLContext            json.RawMessage   `json:"urlContext"`
	GoogleMaps            json.RawMessage   `json:"googleMaps"`
	FileSearch            json.RawMessage   `json:"fileSearch"`
	ComputerUse           json.RawMessage   `json:"computerUse"`
	MCPServers            []json.RawMessage `json:"mcpServers"`
}

type gmFunctionDecl struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description"`
	Behavior             string          `json:"behavior"`
	Parameters           *gmSchema       `json:"parameters"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema"`
	Response             *gmSchema       `json:"response"`
	ResponseJSONSchema   json.RawMessage `json:"responseJsonSchema"`
}

// gmSchema is Gemini's Schema, an OpenAPI 3.0 subset: https://ai.google.dev/api/caching#Schema.
type gmSchema struct {
	Type             string               `json:"type"`
	Format           string               `json:"format"`
	Title            string               `json:"title"`
	Description      string               `json:"description"`
	Nullable         *bool                `json:"nullable"`
	Enum             []string             `json:"enum"`
	MaxItems         json.RawMessage      `json:"maxItems"`
	MinItems         json.RawMessage      `json:"minItems"`
	Properties       map[string]*gmSchema `json:"properties"`
	Required         []string             `json:"required"`
	MinProperties    json.RawMessage      `json:"minProperties"`
	MaxProperties    json.RawMessage      `json:"maxProperties"`
	MinLength        json.RawMessage      `json:"minLength"`
	MaxLength        json.RawMessage      `json:"maxLength"`
	Pattern          string               `json:"pattern"`
	Example          json.RawMessage      `json:"example"`
	AnyOf            []*gmSchema          `json:"anyOf"`
	PropertyOrdering []string             `json:"propertyOrdering"`
	Default          json.RawMessage      `json:"default"`
	Items            *gmSchema            `json:"items"`
	Minimum          *float64             `json:"minimum"`
	Maximum          *float64             `json:"maximum"`
}

type gmToolConfig struct {
	FunctionCallingConfig *struct {
		Mode                 string   `json:"mode"`
		AllowedFunctionNames []string `json:"allowedFunctionNames"`
	} `json:"functionCallingConfig"`
	RetrievalConfig json.RawMessage `json:"retrievalConfig"`
}

type gmGenConfig struct {
	StopSequences              []string        `json:"stopSequences"`
	ResponseMimeType           string          `json:"responseMimeType"`
	ResponseSchema             *gmSchema       `json:"responseSchema"`
	ResponseJSONSchema         json.RawMessage `json:"responseJsonSchema"`
	ResponseModalities         []string        `json:"responseModalities"`
	CandidateCount             *int            `json:"candidateCount"`
	MaxOutputTokens            *int            `json:"maxOutputTokens"`
	Temperature                *float64        `json:"temperature"`
	TopP                       *float64        `json:"topP"`
	TopK                       *float64        `json:"topK"`
	Seed                       *int32          `json:"seed"`
	PresencePenalty            *float64        `json:"presencePenalty"`
	FrequencyPenalty           *float64        `json:"frequencyPenalty"`
	ResponseLogprobs           bool            `json:"responseLogprobs"`
	Logprobs                   *int            `json:"logprobs"`
	EnableEnhancedCivicAnswers *bool           `json:"enableEnhancedCivicAnswers"`
	SpeechConfig               json.RawMessage `json:"speechConfig"`
	ThinkingConfig             json.RawMessage `json:"thinkingConfig"`
	ImageConfig                json.RawMessage `json:"imageConfig"`
	MediaResolution            string          `json:"mediaResolution"`
}

// gmMaxCandidates and gmMaxStops are the API's limits on candidateCount and stopSequences.
const (
	gmMaxCandidates = 8
	gmMaxStops      = 5
)

// decodeGemini decodes body strictly into v after rewriting snake_case member names to
// camelCase, reporting problems in Google's words.
func decodeGemini(body []byte, v any) *failure {
	var generic any
	if err := json.Unmarshal(body, &generic); err != nil {
		if len(body) == 0 {
			return &failure{Status: http.StatusBadRequest, Message: "Invalid JSON payload received. Expected a JSON object, got nothing."}
		}
		return &failure{Status: http.StatusBadRequest, Message: "Invalid JSON payload received. " + err.Error()}
	}
	normalized, err := json.Marshal(camelKeys(generic, false))
	if err != nil {
		return &failure{Status: http.StatusBadRequest, Message: "Invalid JSON payload received. " + err.Error()}
	}
	dec := json.NewDecoder(bytes.NewReader(normalized))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
			return &failure{Status: http.StatusBadRequest, Message: "Invalid JSON payload received. Unknown name " + name + ": Cannot find field."}
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			msg = fmt.Sprintf("Invalid value at '%s' (%s), %s", te.Field, goKindToJSON(te.Type.Kind()), te.Value)
			return &failure{Status: http.StatusBadRequest, Message: "Invalid JSON payload received. " + msg}
		}
		return &failure{Status: http.StatusBadRequest, Message: "Invalid JSON payload received. " + msg}
	}
	return nil
}

// freeForm are members whose value is the caller's own JSON, not the API's: their keys stay.
var freeForm = map[string]bool{"args": true, "response": true, "parametersJsonSchema": true,
	"responseJsonSchema": true, "example": true, "default": true, "metadata": true}

// camelKeys renames member names like "system_instruction" to "systemInstruction", except in
// free-form values and for the property names of a Schema's "properties".
func camelKeys(v any, propertyNames bool) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, val := range t {
			name := k
			if !propertyNames {
				name = camel(k)
			}
			switch {
			case propertyNames:
				out[name] = camelKeys(val, false)
			case freeForm[name]:
				out[name] = val
			default:
				out[name] = camelKeys(val, name == "properties")
			}
		}
		return out
	case []any:
		for i := range t {
			t[i] = camelKeys(t[i], false)
		}
	}
	return v
}

func camel(s string) string {
	if !strings.Contains(s, "_") {
		return s
	}
	var b strings.Builder
	up := false
	for _, r := range s {
		switch {
		case r == '_':
			up = true
		case up:
			b.WriteRune(unicode.ToUpper(r))
			up = false
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// validate checks what the API checks before generating, and returns the candidate count.
func (req *gmRequest) validate(model string) (int, *failure) {
	if len(req.Contents) == 0 {
		return 0, &failure{Status: http.StatusBadRequest, Message: "* GenerateContentRequest.contents: contents is not specified\n"}
	}
	for i := range req.Contents {
		if fl := req.Contents[i].validate(fmt.Sprintf("contents[%d]", i)); fl != nil {
			return 0, fl
		}
	}
	if fl := req.checkSignatures(model); fl != nil {
		return 0, fl
	}
	for i, t := range req.Tools {
		for j, d := range t.FunctionDeclarations {
			if fl := d.validate(fmt.Sprintf("tools[%d].function_declarations[%d]", i, j)); fl != nil {
				return 0, fl
			}
		}
	}
	n := 1
	if g := req.GenerationConfig; g != nil {
		if g.CandidateCount != nil {
			if n = *g.CandidateCount; n < 1 || n > gmMaxCandidates {
				return 0, ptr(gmInvalid("* GenerateContentRequest.generation_config.candidate_count: must be between 1 and %d, got %d\n", gmMaxCandidates, n))
			}
		}
		if len(g.StopSequences) > gmMaxStops {
			return 0, ptr(gmInvalid("* GenerateContentRequest.generation_config.stop_sequences: at most %d stop sequences are allowed\n", gmMaxStops))
		}
		if g.MaxOutputTokens != nil && *g.MaxOutputTokens < 1 {
			return 0, ptr(gmInvalid("* GenerateContentRequest.generation_config.max_output_tokens: must be positive\n"))
		}
		if fl := g.validateMime(); fl != nil {
			return 0, fl
		}
	}
	return n, nil
}

func ptr[T any](v T) *T { return &v }

func (c *gmContent) validate(at string) *failure {
	switch c.Role {
	case "", "user", "model", "function":
	default:
		return ptr(gmInvalid("Please use a valid role: user, model."))
	}
	if len(c.Parts) == 0 {
		return ptr(gmInvalid("* GenerateContentRequest.%s.parts: contents.parts must not be empty.\n", at))
	}
	for j, p := range c.Parts {
		set := 0
		for _, ok := range []bool{p.Text != nil, p.InlineData != nil, p.FileData != nil, p.FunctionCall != nil,
			p.FunctionResponse != nil, p.ExecutableCode != nil, p.CodeExecutionResult != nil} {
			if ok {
				set++
			}
		}
		if set != 1 {
			return ptr(gmInvalid("* GenerateContentRequest.%s.parts[%d].data: required oneof field 'data' must have one initialized field\n", at, j))
		}
		if fl := p.validate(fmt.Sprintf("%s.parts[%d]", at, j)); fl != nil {
			return fl
		}
	}
	return nil
}

func (p *gmPart) validate(at string) *failure {
	if p.ThoughtSignature != "" && !isBase64(p.ThoughtSignature) {
		return ptr(gmInvalid("Invalid value at '%s.thought_signature' (TYPE_BYTES), Base64 decoding failed for %q", at, p.ThoughtSignature))
	}
	switch {
	case p.InlineData != nil && (p.InlineData.MimeType == "" || !isBase64(p.InlineData.Data)):
		return ptr(gmInvalid("Invalid value at '%s.inline_data' : a mime type and base64 data are required", at))
	case p.FileData != nil && p.FileData.FileURI == "":
		return ptr(gmInvalid("* GenerateContentRequest.%s.file_data.file_uri: file_uri is required\n", at))
	case p.FunctionCall != nil && p.FunctionCall.Name == "", p.FunctionResponse != nil && p.FunctionResponse.Name == "":
		return ptr(gmInvalid("* GenerateContentRequest.%s: function name is required\n", at))
	case p.FunctionCall != nil && len(p.FunctionCall.Args) > 0 && !isJSONObject(p.FunctionCall.Args):
		return ptr(gmInvalid("Invalid JSON payload received. Expected an object for '%s.function_call.args'.", at))
	case p.FunctionResponse != nil && !isJSONObject(p.FunctionResponse.Response):
		return ptr(gmInvalid("Invalid JSON payload received. Expected an object for '%s.function_response.response'.", at))
	}
	return nil
}

func isBase64(s string) bool {
	_, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		_, err = base64.URLEncoding.DecodeString(s)
	}
	return err == nil
}

func isJSONObject(b json.RawMessage) bool {
	b = bytes.TrimSpace(b)
	return len(b) > 0 && b[0] == '{'
}

// checkSignatures enforces what Gemini 3 enforces: in the current turn (after the last user
// text), each model step's first function call carries a thought signature.
// https://ai.google.dev/gemini-api/docs/thought-signatures
func (req *gmRequest) checkSignatures(model string) *failure {
	if !strings.HasPrefix(model, "gemini-3") {
		return nil
	}
	start := 0
	for i, c := range req.Contents {
		if c.Role != "model" && c.hasText() {
			start = i
		}
	}
	for i := start; i < len(req.Contents); i++ {
		for j, p := range req.Contents[i].Parts {
			if p.FunctionCall == nil {
				continue
			}
			if p.ThoughtSignature == "" {
				return ptr(gmInvalid("Function call is missing a thought_signature in functionCall parts. This is required for "+
					"tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional "+
					"data, function call `default_api:%s` , position %d. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures "+
					"for more details.", p.FunctionCall.Name, j+1))
			}
			break // only a step's first call is signed
		}
	}
	return nil
}

func (c *gmContent) hasText() bool {
	for _, p := range c.Parts {
		if p.Text != nil {
			return true
		}
	}
	return false
}

func (d *gmFunctionDecl) validate(at string) *failure {
	if d.Name == "" {
		return ptr(gmInvalid("* GenerateContentRequest.%s.name: Name cannot be empty.\n", at))
	}
	if d.Parameters != nil && d.ParametersJSONSchema != nil {
		return ptr(gmInvalid("* GenerateContentRequest.%s: parameters and parameters_json_schema cannot both be set.\n", at))
	}
	if p := d.Parameters; p != nil && strings.EqualFold(p.Type, "object") && len(p.Properties) == 0 {
		return ptr(gmInvalid("* GenerateContentRequest.%s.parameters.properties: should be non-empty for OBJECT type\n", at))
	}
	return nil
}

func (g *gmGenConfig) validateMime() *failure {
	switch g.ResponseMimeType {
	case "", "text/plain", "application/json", "text/x.enum":
	default:
		return ptr(gmInvalid("* GenerateContentRequest.generation_config.response_mime_type: allowed mimetypes are "+
			"`text/plain`, `application/json`, `application/xml`, `application/yaml` and `text/x.enum`, got %q.\n", g.ResponseMimeType))
	}
	hasSchema := g.ResponseSchema != nil || g.ResponseJSONSchema != nil
	if g.ResponseSchema != nil && g.ResponseJSONSchema != nil {
		return ptr(gmInvalid("* GenerateContentRequest.generation_config: response_schema and response_json_schema cannot both be set.\n"))
	}
	if hasSchema && g.ResponseMimeType != "application/json" && g.ResponseMimeType != "text/x.enum" {
		return ptr(gmInvalid("* GenerateContentRequest.generation_config.response_mime_type: response_mime_type must be " +
			"application/json or text/x.enum when a response schema is set.\n"))
	}
	return nil
}
