package pricing

import (
	"testing"

	"github.com/sluicehq/sluice/internal/api"
)

func TestBatchCostHalvesTheStandardPriceAndHonoursOverrides(t *testing.T) {
	file := []byte(`
batch_discount: {vllm: "25"}
providers:
  openai:
    gpt-4o-mini: {input: "0.15", output: "0.60", cached_input: "0.075", batch_discount: "40"}
  vllm:
    llama: {input: "1.00", output: "2.00"}
`)
	custom, err := Load(file)
	if err != nil {
		t.Fatal(err)
	}
	u := &api.Usage{PromptTokens: 1_000_000, CompletionTokens: 1_000_000,
		PromptTokensDetails: &api.PromptTokensDetails{CachedTokens: 200_000}}
	for _, tc := range []struct {
		name                    string
		cat                     *Catalog
		provider, format, model string
		wantStandard, wantBatch int64
	}{
		// 0.8M x 0.15 + 0.2M x 0.075 + 1M x 0.60 = 0.735; half: 0.3675.
		{"openai table", Default(), "openai", "openai", "gpt-4o-mini", 735_000, 367_500},
		// An OpenAI-compatible account priced from the openai table takes its discount.
		{"account priced by format", Default(), "mock", "openai", "gpt-4o-mini", 735_000, 367_500},
		// Anthropic halves cache reads too: 0.8M x 3 + 0.2M x 0.30 + 1M x 15 = 17.46; half 8.73.
		{"anthropic", Default(), "anthropic", "anthropic", "claude-sonnet-4-6", 17_460_000, 8_730_000},
		{"model override", custom, "openai", "openai", "gpt-4o-mini", 735_000, 441_000},
		{"table of an operator file", custom, "vllm", "openai", "llama", 3_000_000, 2_250_000},
	} {
		std, ok := tc.cat.Cost(tc.provider, tc.format, tc.model, u)
		batch, bok := tc.cat.BatchCost(tc.provider, tc.format, tc.model, u)
		if !ok || !bok || std != tc.wantStandard || batch != tc.wantBatch {
			t.Errorf("%s: Cost = %d (%v), BatchCost = %d (%v); want %d and %d", tc.name, std, ok, batch, bok, tc.wantStandard, tc.wantBatch)
		}
	}
	if _, ok := Default().BatchCost("x", "openai", "no-such-model", u); ok {
		t.Errorf("BatchCost of an unpriced model: ok = true, want false")
	}
	if _, err := Load([]byte(`batch_discount: {openai: "150"}`)); err == nil {
		t.Errorf("Load(batch_discount 150) succeeded, want an error naming batch_discount.openai")
	}
}
