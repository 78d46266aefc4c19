package pricing

import "github.com/sluicehq/sluice/internal/api"

// BatchCost is the price of one line of a batch job run by the provider's own batch API: the
// model's standard prices (custom rates included) less the batch discount — the model's
// batch_discount, else its table's (OpenAI, Anthropic, Gemini and Bedrock take 50% off every
// token price of a batch). Without a discount a batch pays the standard price. ok as in Cost.
func (c *Catalog) BatchCost(provider, format, model string, u *api.Usage) (micro int64, ok bool) {
	p, ok := c.price(provider, format, model)
	if !ok || u == nil {
		return 0, ok
	}
	keep, found := p.batchKeep, p.batchSet
	if !found {
		keep, found = c.batchKeep[c.table(provider, format, model)]
	}
	if found && keep != full {
		p, _ = (&compiledRate{keep: keep, p: price{cachedInput: unset, cacheWrite: unset}}).apply(p, true)
	}
	return tokenCost(&p, u), true
}

// table is the name of the catalog table lookup takes model's price from ("" when none).
func (c *Catalog) table(provider, format, model string) string {
	for _, name := range [3]string{provider, format, fallbackTable(format)} {
		if name == "" {
			continue
		}
		if _, _, ok := c.lookup(name, name, model); ok {
			return name
		}
	}
	return ""
}
