package app

import (
	"testing"

	"github.com/sluicehq/sluice/internal/provider"
)

func TestNativeBatchDefaultsToAnthropicOpenAIAndGeminiThemselves(t *testing.T) {
	target := func(name, typ, base string) *provider.Target {
		a, ok := Registry().Adapter(typ)
		if !ok {
			t.Fatalf("no adapter %q", typ)
		}
		return &provider.Target{Provider: name, Adapter: a, BaseURL: base}
	}
	for _, tc := range []struct {
		t      *provider.Target
		native map[string]bool
		want   bool
	}{
		{target("openai", "openai", "https://api.openai.com/v1"), nil, true},
		{target("groq", "openai", "https://api.groq.com/openai/v1"), nil, false},
		{target("groq", "openai", "https://api.groq.com/openai/v1"), map[string]bool{"groq": true}, true},
		{target("openai", "openai", "https://api.openai.com/v1"), map[string]bool{"openai": false}, false},
		{target("claude", "anthropic", "https://api.anthropic.com/v1"), nil, true},
		{target("az", "azure", "https://x.openai.azure.com"), nil, false},
		{target("az", "azure", "https://x.openai.azure.com"), map[string]bool{"az": true}, true},
		{target("g", "gemini", "https://generativelanguage.googleapis.com/v1beta"), nil, true},
		{target("g", "gemini", "https://generativelanguage.googleapis.com/v1beta"), map[string]bool{"g": false}, false},
		{target("g", "gemini", "http://127.0.0.1:8080/v1beta"), nil, false},
		{target("g", "gemini", "http://127.0.0.1:8080/v1beta"), map[string]bool{"g": true}, true},
	} {
		if got := nativeBatch(tc.native, tc.t); got != tc.want {
			t.Errorf("nativeBatch(%v, %s %s) = %v, want %v", tc.native, tc.t.Provider, tc.t.BaseURL, got, tc.want)
		}
	}
}
