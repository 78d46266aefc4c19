package tokens

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// The ids of these strings are o200k_base's published test vectors; their counts follow.
func TestTextCountsO200kTokens(t *testing.T) {
	for text, want := range map[string]int{
		"":                     0,
		"hello world":          2,
		"hello   world":        3,
		"supercalifragilistic": 6,
		"We know what we are, but know not what we may be.": 14,
	} {
		if got := Text(text); got != want {
			t.Errorf("Text(%q) = %d, want %d", text, got, want)
		}
	}
}

func TestPromptAddsChatFraming(t *testing.T) {
	var req api.ChatRequest
	body := `{"model":"m","messages":[{"role":"system","content":"hello world"},
		{"role":"user","name":"ann","content":[{"type":"text","text":"hello world"}]},
		{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}]}`
	if err := jsonx.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	// reply priming 3; system 3+1+2; user 3+1+2 + name 1+1; assistant 3+1 + f 1 + {} 1.
	want := 3 + (3 + 1 + 2) + (3 + 1 + 2 + 1 + 1) + (3 + 1 + 1 + 1)
	if got := Prompt(&req); got != want {
		t.Fatalf("Prompt = %d, want %d", got, want)
	}
	if Prompt(nil) != 0 {
		t.Fatal("Prompt(nil) != 0")
	}
}

func TestCompletionCountsTextAndToolArguments(t *testing.T) {
	if got, want := Completion("hello world", `{"a":1}`), 2+Text(`{"a":1}`); got != want {
		t.Fatalf("Completion = %d, want %d", got, want)
	}
}

func BenchmarkText2KB(b *testing.B) {
	s := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 46)
	Text(s)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		Text(s)
	}
}
