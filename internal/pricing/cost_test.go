package pricing

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/api"
)

// usage builds an api.Usage: prompt includes cached and created, completion includes reasoning.
func usage(prompt, cached, created, completion, reasoning int) *api.Usage {
	return &api.Usage{
		PromptTokens:            prompt,
		CompletionTokens:        completion,
		TotalTokens:             prompt + completion,
		PromptTokensDetails:     &api.PromptTokensDetails{CachedTokens: cached, CacheCreationTokens: created},
		CompletionTokensDetails: &api.CompletionTokensDetails{ReasoningTokens: reasoning},
	}
}

// million is 1M prompt and 1M completion tokens: its cost in micro-dollars reads as
// (input + output per million) * 10^6.
var million = usage(1_000_000, 0, 0, 1_000_000, 0)

func TestCost(t *testing.T) {
	tests := []struct {
		name                    string
		provider, format, model string
		u                       *api.Usage
		want                    int64
		wantOK                  bool
	}{
		{"gpt-4o-mini cached: 6000*0.15 + 4000*0.075 + 500*0.60 = 900+300+300",
			"openai", "openai", "gpt-4o-mini", usage(10_000, 4_000, 0, 500, 0), 1_500, true},
		{"anthropic cache write: 1000*3 + 5000*0.30 + 6000*3.75 + 800*15 = 3000+1500+22500+12000",
			"anthropic", "anthropic", "claude-sonnet-4-5-20250929", usage(12_000, 5_000, 6_000, 800, 0), 39_000, true},
		{"cache write falls back to input when unpriced: gpt-4o 1000 created * 2.50",
			"openai", "openai", "gpt-4o", usage(1_000, 0, 1_000, 0, 0), 2_500, true},
		{"reasoning inside completion, billed once: o4-mini 1000*1.10 + 3000*4.40 = 1100+13200",
			"openai", "openai", "o4-mini", usage(1_000, 0, 0, 3_000, 2_500), 14_300, true},
		{"half up: embedding 25*0.02 = 0.5 -> 1", "openai", "openai", "text-embedding-3-small", usage(25, 0, 0, 0, 0), 1, true},
		{"below half: 24*0.02 = 0.48 -> 0", "openai", "openai", "text-embedding-3-small", usage(24, 0, 0, 0, 0), 0, true},
		{"half up: 75*0.02 = 1.5 -> 2", "openai", "openai", "text-embedding-3-small", usage(75, 0, 0, 0, 0), 2, true},
		{"below half: 74*0.02 = 1.48 -> 1", "openai", "openai", "text-embedding-3-small", usage(74, 0, 0, 0, 0), 1, true},
		{"rounded once: 3*0.15 + 1*0.075 = 0.525 -> 1 (per term 0+0)",
			"openai", "openai", "gpt-4o-mini", usage(4, 1, 0, 0, 0), 1, true},
		{"10^12 tokens each way: opus-4-1 10^12*15 + 10^12*75 micro-per-million = 9*10^13",
			"anthropic", "anthropic", "claude-opus-4-1", usage(1e12, 0, 0, 1e12, 0), 90_000_000_000_000, true},
		{"saturates at MaxInt64", "anthropic", "anthropic", "claude-opus-4-1", usage(math.MaxInt, 0, 0, math.MaxInt, 0), math.MaxInt64, true},
		{"cached above prompt: uncached clamps to 0, 10 cached * 0.075 + 0 = 0.75 -> 1",
			"openai", "openai", "gpt-4o-mini", usage(5, 10, 0, 0, 0), 1, true},
		{"negative counts count as 0", "openai", "openai", "gpt-4o", usage(-5, -1, -1, -7, 0), 0, true},
		{"no details: 1000*2.50 + 1000*10", "openai", "openai", "gpt-4o", &api.Usage{PromptTokens: 1000, CompletionTokens: 1000}, 12_500, true},
		{"nil usage of a known model costs 0", "openai", "openai", "gpt-4o", nil, 0, true},
		{"long band starts above the threshold: gemini-2.5-pro 200000*1.25 + 1000*10 = 250000+10000",
			"gemini", "gemini", "gemini-2.5-pro", usage(200_000, 0, 0, 1_000, 0), 260_000, true},
		{"one token over moves the whole request: 200001*2.50 + 1000*15 = 500002.5+15000 -> 515003",
			"gemini", "gemini", "gemini-2.5-pro", usage(200_001, 0, 0, 1_000, 0), 515_003, true},
		{"cached and written tokens count toward the band: haiku-5-5 50000*0.50 + 60000*0.05 + 1000*2.50",
			"anthropic", "anthropic", "claude-haiku-5-5", usage(110_000, 60_000, 0, 1_000, 0), 25_000 + 3_000 + 2_500, true},
		{"unknown model", "openai", "openai", "gpt-9-ultra", million, 0, false},
		{"unknown provider", "acme", "acme", "gpt-4o", million, 0, false},
		// Resolution: all at 1M+1M, so the want is (input + output) * 10^6.
		{"dated OpenAI snapshot -> gpt-4o-mini (0.15+0.60)", "openai", "openai", "gpt-4o-mini-2024-07-18", million, 750_000, true},
		{"dated Anthropic snapshot -> claude-3-5-sonnet (3+15)", "anthropic", "anthropic", "claude-3-5-sonnet-20241022", million, 18_000_000, true},
		{"-latest -> claude-3-7-sonnet", "anthropic", "anthropic", "claude-3-7-sonnet-latest", million, 18_000_000, true},
		{"Bedrock regional Anthropic id -> claude-sonnet-4, long band (6+22.50)", "bedrock", "bedrock", "us.anthropic.claude-sonnet-4-20250514-v1:0", million, 28_500_000, true},
		{"Bedrock Anthropic id -> claude-3-5-haiku (0.80+4)", "bedrock", "bedrock", "anthropic.claude-3-5-haiku-20241022-v1:0", million, 4_800_000, true},
		{"Bedrock eu. profile -> claude-haiku-4-5 (1+5)", "bedrock-eu", "bedrock", "eu.anthropic.claude-haiku-4-5-20251001-v1:0", million, 6_000_000, true},
		{"Bedrock Titan v2 keeps its version (0.02)", "bedrock", "bedrock", "amazon.titan-embed-text-v2:0", million, 20_000, true},
		{"Bedrock Titan v1 (0.10)", "bedrock", "bedrock", "amazon.titan-embed-text-v1", million, 100_000, true},
		{"Bedrock Cohere (3+15)", "bedrock", "bedrock", "cohere.command-r-plus-v1:0", million, 18_000_000, true},
		{"Gemini resource name and preview date -> gemini-2.5-flash (0.30+2.50)", "gemini", "gemini", "models/gemini-2.5-flash-preview-05-20", million, 2_800_000, true},
		{"Gemini -001 -> gemini-2.0-flash (0.10+0.40)", "gemini", "gemini", "gemini-2.0-flash-001", million, 500_000, true},
		{"Mistral -latest (2+6)", "mistral", "openai", "mistral-large-latest", million, 8_000_000, true},
		{"Mistral -2411 (2+6)", "mistral", "openai", "mistral-large-2411", million, 8_000_000, true},
		{"Groq preset table by account name (0.59+0.79)", "groq", "openai", "llama-3.3-70b-versatile", million, 1_380_000, true},
		{"xAI dated (3+15)", "xai", "openai", "grok-4-0709", million, 18_000_000, true},
		{"DeepSeek (0.28+0.42)", "deepseek", "openai", "deepseek-chat", million, 700_000, true},
		{"Azure deployment named after the model -> openai table (2.50+10)", "azure-prod", "azure", "gpt-4o", million, 12_500_000, true},
		{"Azure deployment with another name is unknown", "azure-prod", "azure", "prod-chat", million, 0, false},
		{"OpenRouter vendor/model -> anthropic table, long band (6+22.50)", "openrouter", "openai", "anthropic/claude-sonnet-4", million, 28_500_000, true},
		{"account named otherwise uses the format table", "my-openai", "openai", "gpt-4o", million, 12_500_000, true},
	}
	c := Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := c.Cost(tt.provider, tt.format, tt.model, tt.u)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("Cost(%q, %q, %q) = %d, %v; want %d, %v", tt.provider, tt.format, tt.model, got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestUnitCosts(t *testing.T) {
	c := Default()
	if got, ok := c.ImageCost("openai", "openai", "dall-e-3", 3); got != 120_000 || !ok {
		t.Errorf("ImageCost(dall-e-3, 3) = %d, %v; want 120000 (3 * $0.04), true", got, ok)
	}
	if got, ok := c.DurationCost("openai", "openai", "whisper-1", 90*time.Second); got != 9_000 || !ok {
		t.Errorf("DurationCost(whisper-1, 90s) = %d, %v; want 9000 (90 * $0.0001), true", got, ok)
	}
	if _, ok := c.ImageCost("openai", "openai", "gpt-4o", 1); ok {
		t.Errorf("ImageCost(gpt-4o) ok = true, want false: no per-image price")
	}
}

// TestCostSplitsAddUp is a property: costing a usage in n parts differs from costing it whole
// by less than the rounding bound, (n+1)/2 micro-dollars (each rounding is off by < 1/2).
func TestCostSplitsAddUp(t *testing.T) {
	c := Default()
	models := []string{"gpt-4o-mini", "gpt-4.1-nano", "o4-mini", "text-embedding-3-small"}
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 2000; iter++ {
		model := models[r.IntN(len(models))]
		n := 1 + r.IntN(8)
		var whole [4]int // uncached, cached, created, completion
		var sum int64
		for range n {
			var part [4]int
			for k := range part {
				part[k] = r.IntN(5000)
				whole[k] += part[k]
			}
			cost, ok := c.Cost("openai", "openai", model, usage(part[0]+part[1]+part[2], part[1], part[2], part[3], 0))
			if !ok {
				t.Fatalf("Cost(%q) ok = false", model)
			}
			sum += cost
		}
		all, _ := c.Cost("openai", "openai", model, usage(whole[0]+whole[1]+whole[2], whole[1], whole[2], whole[3], 0))
		if d := sum - all; 2*max(d, -d) > int64(n) {
			t.Fatalf("%s in %d parts: sum %d vs whole %d differ by more than (n+1)/2", model, n, sum, all)
		}
	}
}

func TestCostAllocationFree(t *testing.T) {
	c := Default().With(Rate{Provider: "acme", Model: "gpt-*", Discount: "10"})
	u := usage(10_000, 4_000, 0, 500, 100)
	for _, m := range []string{"gpt-4o-mini-2024-07-18", "us.anthropic.claude-sonnet-4-20250514-v1:0"} {
		if n := testing.AllocsPerRun(100, func() { c.Cost("acme", "bedrock", m, u) }); n != 0 {
			t.Errorf("Cost(%q) allocates %v times per call, want 0", m, n)
		}
	}
}

func BenchmarkCost(b *testing.B) {
	u := usage(10_000, 4_000, 0, 500, 100)
	cases := []struct{ name, provider, format, model string }{
		{"exact", "openai", "openai", "gpt-4o-mini"},
		{"snapshot", "openai", "openai", "gpt-4o-mini-2024-07-18"},
		{"bedrock", "bedrock", "bedrock", "us.anthropic.claude-sonnet-4-20250514-v1:0"},
	}
	c := Default().With(Rate{Provider: "acme", Model: "gpt-*", Discount: "10"})
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				c.Cost(bc.provider, bc.format, bc.model, u)
			}
		})
	}
	b.Run("glob-discount", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			c.Cost("acme", "openai", "gpt-4o-mini", u)
		}
	})
}

func TestLongContextBand(t *testing.T) {
	// An enterprise discount applies to both bands: 50% off gemini-2.5-pro's long band.
	c := Default().With(Rate{Provider: "gemini", Model: "gemini-2.5-pro", Discount: "50"})
	if got, _ := c.Cost("gemini", "gemini", "gemini-2.5-pro", usage(400_000, 0, 0, 0, 0)); got != 500_000 {
		t.Errorf("discounted long band: 400000*2.50/2 = %d, want 500000", got)
	}
	if got, _ := c.Cost("gemini", "gemini", "gemini-2.5-pro", usage(100_000, 0, 0, 0, 0)); got != 62_500 {
		t.Errorf("discounted short band: 100000*1.25/2 = %d, want 62500", got)
	}
	// A price file can define a band of its own, and a malformed one is reported by path.
	c, err := Load([]byte(`providers: {vllm: {llama: {input: "1", output: "2", long_context: {above: 10, input: "3", output: "4"}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Cost("vllm", "openai", "llama", usage(11, 0, 0, 1, 0)); got != 11*3+4 {
		t.Errorf("file band: %d, want %d", got, 11*3+4)
	}
	_, err = Load([]byte(`providers: {vllm: {llama: {input: "1", long_context: {above: 0, input: "x"}}}}`))
	for _, want := range []string{"providers.vllm.llama.long_context.above", "providers.vllm.llama.long_context.input"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Load error %v does not name %s", err, want)
		}
	}
}
