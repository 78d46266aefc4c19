package pricing

import (
	"strings"
	"testing"
)

func TestDefaultCatalog(t *testing.T) {
	c := Default()
	if c.AsOf() == "" {
		t.Errorf("Default().AsOf() is empty, want the date the prices were taken")
	}
	models := c.Models()
	if len(models) < 60 {
		t.Errorf("Default().Models() has %d models, want the major providers' (>= 60)", len(models))
	}
	for _, want := range []string{"openai/gpt-4o-mini", "anthropic/claude-sonnet-4-5", "gemini/gemini-2.5-pro", "bedrock/amazon.titan-embed-text-v2", "groq/llama-3.3-70b-versatile"} {
		found := false
		for _, m := range models {
			found = found || m == want
		}
		if !found {
			t.Errorf("Default().Models() lacks %q", want)
		}
	}
}

// TestRatePrecedence: account+model > account+glob > format+model > format+glob > catalog.
// All at 1M prompt + 1M completion tokens, so a want reads as (input + output) * 10^6.
func TestRatePrecedence(t *testing.T) {
	c := Default().With(
		Rate{Provider: "acme", Model: "gpt-4o", Input: "1", Output: "2"},
		Rate{Provider: "acme", Model: "gpt-*", Discount: "50"},
		Rate{Provider: "openai", Model: "gpt-4o-mini", Input: "0.10", Output: "0.40"},
		Rate{Provider: "anthropic", Model: "claude-*", Discount: "12.5"},
		Rate{Provider: "vllm", Model: "llama-*", PerGPUHour: "2.00", TokensPerSecond: "1000"},
		Rate{Provider: "ollama", Model: "qwen*", PerGPUHour: "2.00", TokensPerSecond: "1000", Discount: "50"},
		Rate{Provider: "acme", Model: "o3", CachedInput: "0.10"},
	)
	tests := []struct {
		name                    string
		provider, format, model string
		want                    int64
		wantOK                  bool
	}{
		{"account+model: 1+2", "acme", "openai", "gpt-4o", 3_000_000, true},
		{"account+model via the resolved snapshot", "acme", "openai", "gpt-4o-2024-08-06", 3_000_000, true},
		{"account+glob discount: (2+8)*0.5", "acme", "openai", "gpt-4.1", 5_000_000, true},
		{"account+glob beats format+model: (0.15+0.60)*0.5", "acme", "openai", "gpt-4o-mini", 375_000, true},
		{"format+model beats catalog: 0.10+0.40", "other", "openai", "gpt-4o-mini", 500_000, true},
		{"no rate: catalog 2.50+10", "other", "openai", "gpt-4o", 12_500_000, true},
		{"glob not matching: catalog o3 2+8", "other", "openai", "o3", 10_000_000, true},
		{"modifier rate on an unknown model prices nothing", "acme", "openai", "gpt-unknown", 0, false},
		{"format glob discount: haiku-4-5 (1+5)*0.875", "anthropic", "anthropic", "claude-haiku-4-5", 5_250_000, true},
		// 2 USD/h / (1000 tok/s * 3600 s) = 0.555555555(5) USD per million -> 0.555555556 half up.
		{"GPU-hour: 2M tokens * 0.555555556 = 1.111111112 USD", "vllm", "openai", "llama-3.1-8b", 1_111_111, true},
		{"GPU-hour with discount: 0.555555556*0.5 = 0.277777778 per M", "ollama", "openai", "qwen3:8b", 555_556, true},
		{"self-hosted without a rate is unknown", "vllm", "openai", "mistral-7b", 0, false},
	}
	for _, tt := range tests {
		got, ok := c.Cost(tt.provider, tt.format, tt.model, million)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: Cost(%q, %q, %q) = %d, %v; want %d, %v", tt.name, tt.provider, tt.format, tt.model, got, ok, tt.want, tt.wantOK)
		}
	}
	// A cache-only modifier keeps the catalog's input/output: o3 1000 cached * 0.10 = 100.
	if got, _ := c.Cost("acme", "openai", "o3", usage(1000, 1000, 0, 0, 0)); got != 100 {
		t.Errorf("Cost(acme, o3, 1000 cached) = %d, want 100 (rate's cached_input 0.10)", got)
	}
	// Discount applies to cache writes too: haiku-4-5 1M created * 1.25 * 0.875 = 1.09375.
	if got, _ := c.Cost("anthropic", "anthropic", "claude-haiku-4-5", usage(1_000_000, 0, 1_000_000, 0, 0)); got != 1_093_750 {
		t.Errorf("Cost(haiku-4-5, 1M cache write, 12.5%% off) = %d, want 1093750", got)
	}
	if got, _ := Default().Cost("acme", "openai", "gpt-4o", million); got != 12_500_000 {
		t.Errorf("With changed Default(): Cost(acme, gpt-4o) = %d, want 12500000", got)
	}
}

func TestLoad(t *testing.T) {
	c, err := Load([]byte(`
as_of: "2026-01-01"
providers:
  openai:
    gpt-4o: {input: "2.00", output: "8.00"}
  vllm:
    my-model: {input: 0.5, output: 1}
aliases:
  azure: {prod-chat: gpt-4o}
rates:
  - {provider: acme, model: "*", discount: "10"}
`))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	tests := []struct {
		name                    string
		provider, format, model string
		want                    int64
	}{
		{"file replaces gpt-4o: 2+8", "openai", "openai", "gpt-4o", 10_000_000},
		{"default entries stay: gpt-4o-mini", "openai", "openai", "gpt-4o-mini", 750_000},
		{"unquoted YAML numbers keep their text: 0.5+1", "vllm", "openai", "my-model", 1_500_000},
		{"Azure alias -> file's gpt-4o", "azure-prod", "azure", "prod-chat", 10_000_000},
		{"file rates apply: (2+8)*0.9", "acme", "openai", "gpt-4o", 9_000_000},
	}
	for _, tt := range tests {
		if got, ok := c.Cost(tt.provider, tt.format, tt.model, million); got != tt.want || !ok {
			t.Errorf("%s: Cost(%q, %q, %q) = %d, %v; want %d, true", tt.name, tt.provider, tt.format, tt.model, got, ok, tt.want)
		}
	}
	if c.AsOf() != "2026-01-01" {
		t.Errorf("AsOf() = %q, want the file's 2026-01-01", c.AsOf())
	}
	if _, err := Load([]byte(`{"providers": {"openai": {"gpt-x": {"input": "1", "output": "2"}}}}`)); err != nil {
		t.Errorf("Load(JSON) = %v, want nil", err)
	}
}

func TestLoadRejects(t *testing.T) {
	tests := []struct {
		name, file string
		wantErrs   []string
	}{
		{"malformed prices, every one named", `
providers:
  openai:
    gpt-4o: {input: "1.2.3", output: "-1", cached_input: 1.5e-3}
    gpt-4o-mini: {input: "1E3", cache_write: ""}
`, []string{
			`providers.openai.gpt-4o.input: "1.2.3": not a plain decimal`,
			`providers.openai.gpt-4o.output: "-1": must not be negative`,
			`providers.openai.gpt-4o.cached_input: "1.5e-3": not a plain decimal`,
			`providers.openai.gpt-4o-mini.input: "1E3": not a plain decimal`,
		}},
		{"missing input", "providers: {openai: {gpt-4o: {output: \"1\"}}}", []string{`providers.openai.gpt-4o.input: "": not a plain decimal`}},
		{"too precise", "providers: {openai: {gpt-4o: {input: \"0.0000000001\"}}}", []string{"providers.openai.gpt-4o.input", "too many decimal places"}},
		{"unknown field", "providers: {openai: {gpt-4o: {inputs: \"1\"}}}", []string{"field inputs not found"}},
		{"bad rates", `
rates:
  - {provider: acme, model: "gpt-*", discount: "101"}
  - {provider: acme, model: "[", input: "1", output: "1"}
  - {model: x, input: "1"}
  - {provider: vllm, model: x, per_gpu_hour: "2", tokens_per_second: "0"}
  - {provider: vllm, model: y}
`, []string{
			`rates[0].discount: "101": must be at most 100`,
			`rates[1].model: "[": syntax error in pattern`,
			"rates[2].provider: required",
			"rates[2].output: input and output are set together",
			"rates[3].tokens_per_second: must be > 0",
			"rates[4].input: a rate sets",
		}},
	}
	for _, tt := range tests {
		_, err := Load([]byte(tt.file))
		if err == nil {
			t.Errorf("%s: Load = nil error, want %q", tt.name, tt.wantErrs)
			continue
		}
		for _, want := range tt.wantErrs {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("%s: Load error %q lacks %q", tt.name, err, want)
			}
		}
	}
	if err := ValidateRates([]Rate{{Provider: "a", Model: "b", Discount: "x"}}); err == nil || !strings.Contains(err.Error(), "rates[0].discount") {
		t.Errorf("ValidateRates(discount x) = %v, want rates[0].discount error", err)
	}
}
