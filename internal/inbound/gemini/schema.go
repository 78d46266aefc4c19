package gemini

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/internal/jsonx"
)

// maxSchemaDepth bounds the recursion over a client's schema.
const maxSchemaDepth = 64

// jsonSchema converts Gemini's Schema (https://ai.google.dev/api/caching#Schema), an OpenAPI
// 3.0 subset whose types are upper-case enum names and whose nullability is a flag, into the
// JSON Schema that OpenAI-shaped requests carry. Keywords both dialects share pass through.
func jsonSchema(raw jsonx.Value) (jsonx.Value, error) {
	var v any
	if err := jsonx.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("must be an object")
	}
	if err := convertSchema(obj, 0); err != nil {
		return nil, err
	}
	out, err := jsonx.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("gemini: encode schema: %w", err)
	}
	return out, nil
}

func convertSchema(s map[string]any, depth int) error {
	if depth > maxSchemaDepth {
		return fmt.Errorf("nested deeper than %d levels", maxSchemaDepth)
	}
	// Keywords of Gemini's Schema that JSON Schema spells differently or lacks.
	delete(s, "propertyOrdering")
	delete(s, "property_ordering")
	if t, ok := s["type"].(string); ok {
		t = strings.ToLower(t)
		if t == "type_unspecified" {
			delete(s, "type")
		} else {
			s["type"] = t
		}
	}
	if n, ok := s["nullable"].(bool); ok {
		delete(s, "nullable")
		if t, isStr := s["type"].(string); n && isStr {
			s["type"] = []any{t, "null"}
		}
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for _, p := range props {
			if ps, ok := p.(map[string]any); ok {
				if err := convertSchema(ps, depth+1); err != nil {
					return err
				}
			}
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		if err := convertSchema(items, depth+1); err != nil {
			return err
		}
	}
	for _, k := range []string{"anyOf", "any_of"} {
		list, ok := s[k].([]any)
		if !ok {
			continue
		}
		for _, e := range list {
			if es, ok := e.(map[string]any); ok {
				if err := convertSchema(es, depth+1); err != nil {
					return err
				}
			}
		}
		if k == "any_of" {
			delete(s, k)
			s["anyOf"] = list
		}
	}
	return nil
}
