package gemini

import (
	"fmt"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// translateTools puts every function into one Gemini tool, as its function calling guide does:
// https://ai.google.dev/gemini-api/docs/function-calling.
func translateTools(tools []api.Tool) ([]tool, error) {
	if len(tools) == 0 {
		return nil, nil
	}
	decls := make([]functionDeclaration, 0, len(tools))
	for i, t := range tools {
		if t.Type != "function" || t.Function == nil {
			return nil, invalid(fmt.Sprintf("tools[%d].type", i), "Gemini supports function tools only, got %q", t.Type)
		}
		params, err := toolParameters(t.Function.Parameters)
		if err != nil {
			return nil, invalid(fmt.Sprintf("tools[%d].function.parameters", i), "%s", err)
		}
		decls = append(decls, functionDeclaration{Name: t.Function.Name, Description: t.Function.Description, Parameters: params})
	}
	return []tool{{FunctionDeclarations: decls}}, nil
}

// openaiToolChoice is the object form of tool_choice: {"type":"function","function":{"name"}}.
type openaiToolChoice struct {
	Type     string `json:"type"`
	Function struct {
		Name string `json:"name"`
	} `json:"function"`
}

// translateToolChoice maps auto/none/required to AUTO/NONE/ANY and a named function to ANY
// restricted to it. Without tools there is nothing to choose: "auto" and "none" are dropped,
// anything that demands a call is refused, as OpenAI does.
func translateToolChoice(raw jsonx.Value, hasTools bool) (*toolConfig, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	cfg := functionCallingConfig{}
	var s string
	if jsonx.Unmarshal(raw, &s) == nil {
		switch s {
		case "auto":
			cfg.Mode = "AUTO"
		case "none":
			cfg.Mode = "NONE"
		case "required":
			cfg.Mode = "ANY"
		default:
			return nil, invalid("tool_choice", "%q is not one of auto, none, required", s)
		}
	} else {
		var c openaiToolChoice
		if err := jsonx.Unmarshal(raw, &c); err != nil || c.Type != "function" || c.Function.Name == "" {
			return nil, invalid("tool_choice", "must be auto, none, required or {\"type\":\"function\",\"function\":{\"name\":...}}")
		}
		cfg = functionCallingConfig{Mode: "ANY", AllowedFunctionNames: []string{c.Function.Name}}
	}
	if !hasTools {
		if cfg.Mode == "ANY" {
			return nil, invalid("tool_choice", "requires tools")
		}
		return nil, nil
	}
	return &toolConfig{FunctionCallingConfig: cfg}, nil
}
