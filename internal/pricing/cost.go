package pricing

import (
	"time"

	"github.com/sluicehq/sluice/internal/api"
)

// price is the price of model for the provider account and format after custom rates.
func (c *Catalog) price(provider, format, model string) (price, bool) {
	canon, base, found := c.lookup(provider, format, model)
	if r := c.rate(provider, format, model, canon); r != nil {
		return r.apply(base, found)
	}
	return base, found
}

// Cost is the price of one request's usage in micro-dollars. ok is false when neither the
// catalog nor a custom rate prices the model: the caller records the cost as unknown.
//
// Prompt tokens not cached or written to the cache are priced at input, cached tokens at
// cached_input and cache-creation tokens at cache_write (each falling back to input), and all
// completion tokens, reasoning included, at output; a prompt longer than a model's long-context
// threshold moves the whole request to its long-context prices. Audio tokens are priced as
// text. The sum is
// exact in femto-dollars and rounded half up to the micro-dollar once; it saturates at
// math.MaxInt64. Integer arithmetic only, no allocation.
func (c *Catalog) Cost(provider, format, model string, u *api.Usage) (micro int64, ok bool) {
	p, ok := c.price(provider, format, model)
	if !ok || u == nil {
		return 0, ok
	}
	return tokenCost(&p, u), true
}

// tokenCost is Cost's arithmetic over resolved prices.
func tokenCost(pp *price, u *api.Usage) int64 {
	p := *pp
	prompt := nonNeg(u.PromptTokens)
	var cached, created uint64
	if d := u.PromptTokensDetails; d != nil {
		cached, created = nonNeg(d.CachedTokens), nonNeg(d.CacheCreationTokens)
	}
	if p.long != nil && prompt > p.longAbove {
		p = *p.long
	}
	var uncached uint64
	if prompt > cached+created {
		uncached = prompt - cached - created
	}
	var sum u128
	sum = sum.addMul(uncached, uint64(p.input))
	sum = sum.addMul(cached, uint64(orInput(p.cachedInput, p.input)))
	sum = sum.addMul(created, uint64(orInput(p.cacheWrite, p.input)))
	sum = sum.addMul(nonNeg(u.CompletionTokens), uint64(p.output))
	return sum.divRound(femtoPerMicro)
}

// ImageCost is the price of n generated images in micro-dollars; ok is false when the model
// has no per-image price.
func (c *Catalog) ImageCost(provider, format, model string, n int) (micro int64, ok bool) {
	p, ok := c.price(provider, format, model)
	if !ok || p.perImage == 0 {
		return 0, false
	}
	return mulDivRound(nonNeg(n), uint64(p.perImage), nanoPerMicro), true
}

// DurationCost is the price of d of audio or video in micro-dollars, at millisecond
// resolution; ok is false when the model has no per-second price.
func (c *Catalog) DurationCost(provider, format, model string, d time.Duration) (micro int64, ok bool) {
	p, ok := c.price(provider, format, model)
	if !ok || p.perSecond == 0 {
		return 0, false
	}
	// nano-dollars per second * milliseconds = pico-dollars; 10^6 pico-dollars per micro.
	return mulDivRound(nonNeg(int(d.Milliseconds())), uint64(p.perSecond), 1_000_000), true
}

func nonNeg(n int) uint64 {
	if n < 0 {
		return 0
	}
	return uint64(n)
}

func orInput(v, input int64) int64 {
	if v == unset {
		return input
	}
	return v
}
