package bedrock

import (
	"bytes"
	"fmt"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// Tool choice kinds of OpenAI's tool_choice.
const (
	choiceUnset    = ""
	choiceAuto     = "auto"
	choiceNone     = "none"
	choiceRequired = "required"
	choiceNamed    = "named"
)

// convertTools builds toolConfig. tool_choice maps as:
//
//   - auto, or absent: no toolChoice, Converse's default — sending {auto:{}} would fail on the
//     models that accept no toolChoice at all;
//   - required: {any:{}}; a named function: {tool:{name}} (models that lack these refuse them);
//   - none: toolConfig left out, so the model cannot call a tool. When the conversation already
//     holds tool calls, Converse requires toolConfig, and keeping it would let the model call
//     a tool: that case is a 400.
//
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ToolChoice.html
func convertTools(req *api.ChatRequest, conversationUsesTools bool) (*toolConfig, error) {
	kind, name, err := parseToolChoice(req.ToolChoice)
	if err != nil {
		return nil, err
	}
	if len(req.Tools) == 0 {
		if kind == choiceRequired || kind == choiceNamed {
			return nil, unsupported("tool_choice", "it names no tool, as the request has no tools")
		}
		return nil, nil
	}
	if kind == choiceNone {
		if conversationUsesTools {
			return nil, unsupported("tool_choice", `"none" cannot be honoured once the conversation holds tool calls: Bedrock then requires the tools, and the model could call them`)
		}
		return nil, nil
	}
	tc := &toolConfig{Tools: make([]tool, 0, len(req.Tools))}
	for i, t := range req.Tools {
		if t.Type != "function" || t.Function == nil {
			return nil, unsupported(fmt.Sprintf("tools[%d].type", i), "only function tools exist in Converse, got %q", t.Type)
		}
		spec := toolSpec{Name: t.Function.Name, Description: t.Function.Description, InputSchema: inputSchema{JSON: t.Function.Parameters}}
		if len(spec.InputSchema.JSON) == 0 || string(spec.InputSchema.JSON) == "null" {
			// OpenAI allows a function without parameters; Converse requires a schema.
			spec.InputSchema.JSON = jsonx.Value(`{"type":"object","properties":{}}`)
		}
		if t.Function.Strict != nil && *t.Function.Strict {
			spec.Strict = t.Function.Strict
		}
		tc.Tools = append(tc.Tools, tool{ToolSpec: spec})
	}
	switch kind {
	case choiceRequired:
		tc.ToolChoice = &toolChoice{Any: &struct{}{}}
	case choiceNamed:
		tc.ToolChoice = &toolChoice{Tool: &specificTool{Name: name}}
	}
	return tc, nil
}

// parseToolChoice reads "auto" | "none" | "required" | {"type":"function","function":{"name"}}.
func parseToolChoice(raw jsonx.Value) (kind, name string, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return choiceUnset, "", nil
	}
	var s string
	if jsonx.Unmarshal(raw, &s) == nil {
		switch s {
		case choiceAuto, choiceNone, choiceRequired:
			return s, "", nil
		}
		return "", "", unsupported("tool_choice", "unknown value %q", s)
	}
	var named struct {
		Type     string `json:"type"`
		Function struct {
			Name string `json:"name"`
		} `json:"function"`
	}
	if jsonx.Unmarshal(raw, &named) != nil || named.Type != "function" || named.Function.Name == "" {
		return "", "", unsupported("tool_choice", "only auto, none, required or a named function can be expressed")
	}
	return choiceNamed, named.Function.Name, nil
}

// convertResponseFormat maps response_format json_schema to Converse's structured output, which
// Bedrock enforces. json_object has no schema to enforce and is refused rather than faked.
// https://docs.aws.amazon.com/bedrock/latest/userguide/structured-output.html
func convertResponseFormat(raw jsonx.Value) (*outputConfig, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var rf struct {
		Type       string `json:"type"`
		JSONSchema *struct {
			Name        string      `json:"name"`
			Description string      `json:"description"`
			Schema      jsonx.Value `json:"schema"`
		} `json:"json_schema"`
	}
	if err := jsonx.Unmarshal(raw, &rf); err != nil {
		return nil, unsupported("response_format", "it must be an object with a type")
	}
	switch rf.Type {
	case "text":
		return nil, nil
	case "json_object":
		return nil, unsupported("response_format", `"json_object" has no Converse equivalent; use "json_schema", which Bedrock enforces`)
	case "json_schema":
	default:
		return nil, unsupported("response_format", "unknown type %q", rf.Type)
	}
	if rf.JSONSchema == nil || len(rf.JSONSchema.Schema) == 0 {
		return nil, unsupported("response_format.json_schema.schema", "Bedrock needs the schema itself")
	}
	schema := jsonx.Value(bytes.Clone(rf.JSONSchema.Schema))
	if err := schema.Compact(); err != nil {
		return nil, unsupported("response_format.json_schema.schema", "it is not valid JSON")
	}
	return &outputConfig{TextFormat: outputFormat{Type: "json_schema", Structure: outputStructure{
		JSONSchema: jsonSchemaDefinition{Schema: string(schema), Name: rf.JSONSchema.Name, Description: rf.JSONSchema.Description},
	}}}, nil
}
