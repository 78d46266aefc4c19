package gemini

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/jsonx"
)

func TestToolParametersBecomeGeminiSchema(t *testing.T) {
	tests := []struct {
		name, in, want string // want "" means parameters are left out
	}{
		{"order kept, unknown members dropped",
			`{"type":"object","$schema":"x","properties":{"b":{"type":"integer","format":"int64","exclusiveMinimum":0},"a":{"type":"string","format":"email","examples":["x"]}},"required":["b"],"additionalProperties":false,"strict":true}`,
			`{"type":"object","properties":{"b":{"type":"integer","format":"int64"},"a":{"type":"string"}},"required":["b"]}`},
		{"nullable type list",
			`{"type":"object","properties":{"a":{"type":["null","number"],"minimum":1}}}`,
			`{"type":"object","properties":{"a":{"type":"number","nullable":true,"minimum":1}}}`},
		{"oneOf becomes anyOf, const becomes enum",
			`{"type":"object","properties":{"a":{"oneOf":[{"type":"string","const":"x"},{"type":"integer"}]}}}`,
			`{"type":"object","properties":{"a":{"anyOf":[{"type":"string","enum":["x"]},{"type":"integer"}]}}}`},
		{"refs to $defs are inlined, a description beside $ref wins",
			`{"$defs":{"City":{"type":"object","properties":{"name":{"type":"string"}},"description":"a city"}},"type":"object","properties":{"from":{"$ref":"#/$defs/City","description":"origin"},"to":{"type":"array","items":{"$ref":"#/$defs/City"}}}}`,
			`{"type":"object","properties":{"from":{"type":"object","properties":{"name":{"type":"string"}},"description":"origin"},"to":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"}},"description":"a city"}}}}`},
		{"no properties", `{"type":"object","properties":{},"additionalProperties":false}`, ``},
		{"absent", `null`, ``},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := toolParameters(jsonx.Value(tt.in))
			if err != nil {
				t.Fatalf("toolParameters(%s): %v", tt.in, err)
			}
			if string(got) != tt.want {
				t.Errorf("toolParameters(%s):\n got  %s\n want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestToolParametersRefuseWhatGeminiCannotMean(t *testing.T) {
	tests := []struct{ name, in, inErr string }{
		{"several types", `{"type":"object","properties":{"a":{"type":["string","integer"]}}}`, "one type"},
		{"recursion", `{"$defs":{"N":{"type":"object","properties":{"next":{"$ref":"#/$defs/N"}}}},"type":"object","properties":{"n":{"$ref":"#/$defs/N"}}}`, "refers to itself"},
		{"dangling ref", `{"type":"object","properties":{"a":{"$ref":"#/components/schemas/A"}}}`, "$ref"},
		{"not", `{"type":"object","properties":{"a":{"not":{"type":"string"}}}}`, `"not"`},
		{"not an object", `[1,2]`, "JSON Schema object"},
		{"properties not an object", `{"type":"object","properties":[1]}`, "properties"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := toolParameters(jsonx.Value(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.inErr) {
				t.Errorf("toolParameters(%s) = %s, %v; want an error mentioning %s", tt.in, got, err, tt.inErr)
			}
		})
	}
}

func FuzzToolParameters(f *testing.F) {
	for _, s := range []string{
		`{"type":"object","properties":{"a":{"type":["string","null"]}}}`,
		`{"$defs":{"A":{"type":"string"}},"type":"object","properties":{"a":{"$ref":"#/$defs/A"}}}`,
		`{"type":"object","properties":{"a":{"anyOf":[{"type":"string"},{"items":{"type":"integer"}}]}}}`,
		`{}`, `[]`, `"x"`, `{"properties":{"a":1}}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := toolParameters(jsonx.Value(in))
		if err != nil || out == nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("toolParameters(%q) produced invalid JSON %s", in, out)
		}
		again, err := toolParameters(out)
		if err != nil || string(again) != string(out) {
			t.Fatalf("toolParameters is not idempotent on %q: %s then %s (%v)", in, out, again, err)
		}
	})
}
