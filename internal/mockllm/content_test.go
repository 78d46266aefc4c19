package mockllm

import (
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestCompletionPiecesAreWordsWithLeadingSpaces(t *testing.T) {
	p := completionPieces(42, 5)
	if len(p) != 5 || strings.HasPrefix(p[0], " ") {
		t.Fatalf("completionPieces(42, 5): got %q, want 5 pieces, the first without a space", p)
	}
	for _, w := range p[1:] {
		if !strings.HasPrefix(w, " ") || strings.Count(w, " ") != 1 {
			t.Errorf("piece %q: want one leading space", w)
		}
	}
	if !reflect.DeepEqual(p, completionPieces(42, 5)) {
		t.Error("completionPieces is not deterministic")
	}
}

func TestTruncateAtStop(t *testing.T) {
	pieces := []string{"the", " quick", " brown", " fox"}
	tests := []struct {
		stop    []string
		want    []string
		stopped bool
	}{
		{nil, pieces, false},
		{[]string{"zebra"}, pieces, false},
		{[]string{" brown"}, []string{"the", " quick"}, true},
		{[]string{"ick"}, []string{"the", " qu"}, true},
		{[]string{" fox", "quick"}, []string{"the", " "}, true},
		{[]string{"the"}, nil, true},
	}
	for _, tt := range tests {
		got, stopped := truncateAtStop(pieces, tt.stop)
		if stopped != tt.stopped || strings.Join(got, "") != strings.Join(tt.want, "") || len(got) != len(tt.want) {
			t.Errorf("truncateAtStop(%q): got %q, %v; want %q, %v", tt.stop, got, stopped, tt.want, tt.stopped)
		}
	}
}

func TestEmbeddingVectorIsUnitLengthAndPrefixStable(t *testing.T) {
	full := embeddingVector(7, 1536)
	short := embeddingVector(7, 64)
	var norm, dot float64
	for i, v := range full {
		norm += float64(v) * float64(v)
		if i < len(short) {
			dot += float64(v) * float64(short[i])
		}
	}
	if math.Abs(norm-1) > 1e-4 {
		t.Errorf("squared norm: got %v, want 1", norm)
	}
	// A shortened vector points the same way as the full one's prefix, as with OpenAI's `dimensions`.
	if dot <= 0 {
		t.Errorf("dot product of the 64-dim vector with the full one's prefix: got %v, want > 0", dot)
	}
}

func TestToolArgumentsFollowTheSchema(t *testing.T) {
	schema := toolSchema{Properties: map[string]toolProperty{
		"city": {Type: "string"}, "days": {Type: "integer"}, "warm": {Type: "boolean"},
		"temp": {Type: []any{"number", "null"}}, "tags": {Type: "array"},
	}}
	args := toolArguments(1, schema)
	var got map[string]any
	if err := json.Unmarshal([]byte(args), &got); err != nil {
		t.Fatalf("toolArguments: %q is not JSON: %v", args, err)
	}
	if _, ok := got["city"].(string); !ok {
		t.Errorf("city: got %T, want string", got["city"])
	}
	if _, ok := got["warm"].(bool); !ok {
		t.Errorf("warm: got %T, want bool", got["warm"])
	}
	if _, ok := got["temp"].(float64); !ok {
		t.Errorf("temp: got %T, want number", got["temp"])
	}
	if strings.Join(splitArguments(args), "") != args {
		t.Errorf("splitArguments(%q) does not rejoin to the input", args)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\slash", "\x00\x1f\n\t", "é\u2028\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		enc := appendJSONString(nil, s)
		var got string
		if err := json.Unmarshal(enc, &got); err != nil {
			t.Fatalf("appendJSONString(%q) = %s: not a JSON string: %v", s, enc, err)
		}
		want, _ := json.Marshal(s)
		var wantStr string
		_ = json.Unmarshal(want, &wantStr)
		if got != wantStr {
			t.Fatalf("appendJSONString(%q) decodes to %q, encoding/json's to %q", s, got, wantStr)
		}
	})
}
