package pricing

import (
	"errors"
	"fmt"
	"math/big"
	"path"
	"strconv"
)

// Rate is a custom price: an enterprise discount, a negotiated price or a self-hosted model.
//
// Provider is a provider account name from config (matched first) or a wire format
// ("openai", "bedrock"); Model is an exact model id or a glob ("llama-*", path.Match syntax).
// The most specific rate wins: account+model, account+glob, format+model, format+glob, then
// the catalog; among globs of one provider the first given wins. Exact ids match the model as
// requested or as the catalog resolved it ("gpt-4o" matches "gpt-4o-2024-08-06").
//
// Prices are USD per million tokens as decimal strings. A rate that sets Input and Output (or
// PerGPUHour) is a complete price of its own: its CachedInput and CacheWrite default to its
// Input. A rate without them modifies the catalog's price for the model (a Discount, or
// CachedInput/CacheWrite only) and prices nothing the catalog does not know.
//
// PerGPUHour with TokensPerSecond prices a self-hosted model by its throughput: every token,
// input or output, costs PerGPUHour / (TokensPerSecond * 3600) USD, that is
// PerGPUHour * 10^6 / (TokensPerSecond * 3600) USD per million tokens (rounded half up to
// 10^-9 USD per million). Use the sustained aggregate throughput of the GPU, not one stream's.
//
// Discount is percent off every price of the rate ("12.5"), applied last; the discounted
// price is rounded half up to 10^-9 USD per million tokens, exact for ordinary inputs.
type Rate struct {
	Provider        string `yaml:"provider" json:"provider"`
	Model           string `yaml:"model" json:"model"`
	Input           string `yaml:"input,omitempty" json:"input,omitempty"`
	Output          string `yaml:"output,omitempty" json:"output,omitempty"`
	CachedInput     string `yaml:"cached_input,omitempty" json:"cached_input,omitempty"`
	CacheWrite      string `yaml:"cache_write,omitempty" json:"cache_write,omitempty"`
	PerGPUHour      string `yaml:"per_gpu_hour,omitempty" json:"per_gpu_hour,omitempty"`
	TokensPerSecond string `yaml:"tokens_per_second,omitempty" json:"tokens_per_second,omitempty"`
	Discount        string `yaml:"discount,omitempty" json:"discount,omitempty"`
}

// full is 100% in the nano-percent unit of Discount.
const full = 100_000_000_000

type compiledRate struct {
	model string
	own   bool  // p is a complete price; otherwise p's cached/write modify the catalog's
	p     price // femto-dollars per token
	keep  int64 // nano-percent of the price kept after the discount
}

// ValidateRates reports every problem of rates at once, each with its path ("rates[2].discount: ...").
func ValidateRates(rates []Rate) error {
	var errs []error
	for i, r := range rates {
		_, rerrs := r.compile("rates[" + strconv.Itoa(i) + "].")
		errs = append(errs, rerrs...)
	}
	return errors.Join(errs...)
}

func (r Rate) compile(prefix string) (*compiledRate, []error) {
	var errs []error
	bad := func(field string, err error) { errs = append(errs, fmt.Errorf("%s%s: %w", prefix, field, err)) }
	dec := func(field, s string, dst *int64) bool {
		if s == "" {
			return false
		}
		v, err := ParseDecimal(s, scaleFemto)
		if err != nil {
			bad(field, err)
		}
		*dst = v
		return err == nil
	}
	if r.Provider == "" {
		bad("provider", errors.New("required"))
	}
	if r.Model == "" {
		bad("model", errors.New("required"))
	} else if _, err := path.Match(r.Model, ""); err != nil {
		bad("model", fmt.Errorf("%q: %w", r.Model, err))
	}
	cr := &compiledRate{model: r.Model, keep: full, p: price{cachedInput: unset, cacheWrite: unset}}
	hasIn, hasOut := r.Input != "", r.Output != ""
	dec("input", r.Input, &cr.p.input)
	dec("output", r.Output, &cr.p.output)
	if hasIn != hasOut {
		bad("output", errors.New("input and output are set together"))
	}
	dec("cached_input", r.CachedInput, &cr.p.cachedInput)
	dec("cache_write", r.CacheWrite, &cr.p.cacheWrite)
	cr.own = hasIn
	if r.PerGPUHour != "" || r.TokensPerSecond != "" {
		if hasIn {
			bad("per_gpu_hour", errors.New("set either input/output or per_gpu_hour"))
		}
		if v, ok := gpuHourPrice(r.PerGPUHour, r.TokensPerSecond, bad); ok {
			cr.p.input, cr.p.output, cr.own = v, v, true
		}
	}
	if r.Discount != "" {
		if k, err := parseDiscount(r.Discount); err != nil {
			bad("discount", err)
		} else {
			cr.keep = k
		}
	}
	if !cr.own && r.CachedInput == "" && r.CacheWrite == "" && r.Discount == "" && len(errs) == 0 {
		bad("input", errors.New("a rate sets input and output, per_gpu_hour, cached_input, cache_write or discount"))
	}
	return cr, errs
}

// parseDiscount reads a percentage off ("12.5") as the share kept, in nano-percent.
func parseDiscount(s string) (int64, error) {
	d, err := ParseDecimal(s, scaleNano)
	switch {
	case err != nil:
		return full, err
	case d > full:
		return full, fmt.Errorf("%q: must be at most 100", s)
	}
	return full - d, nil
}

// gpuHourPrice converts USD per GPU-hour at a sustained throughput into femto-dollars per
// token: nanoPerHour * 10^15 / (tpsNano * 3600), both inputs at 9 decimal places.
func gpuHourPrice(perHour, tps string, bad func(string, error)) (int64, bool) {
	h, err := ParseDecimal(perHour, scaleNano)
	if err != nil {
		bad("per_gpu_hour", err)
	}
	t, err2 := ParseDecimal(tps, scaleNano)
	if err2 != nil {
		bad("tokens_per_second", err2)
	} else if t == 0 {
		bad("tokens_per_second", errors.New("must be > 0"))
	}
	if err != nil || err2 != nil || t == 0 {
		return 0, false
	}
	num := new(big.Int).Mul(big.NewInt(h), big.NewInt(1_000_000_000_000_000))
	den := new(big.Int).Mul(big.NewInt(t), big.NewInt(3600))
	num.Add(num, new(big.Int).Rsh(den, 1)) // half up
	q := num.Quo(num, den)
	if !q.IsInt64() {
		bad("per_gpu_hour", fmt.Errorf("%q per GPU-hour at %q tokens/s: %w", perHour, tps, ErrRange))
		return 0, false
	}
	return q.Int64(), true
}

// compileRates indexes c.rates by provider: exact models in a map, globs in order.
func (c *Catalog) compileRates() []error {
	c.exact = map[string]map[string]*compiledRate{}
	c.globs = map[string][]*compiledRate{}
	var errs []error
	for i, r := range c.rates {
		cr, rerrs := r.compile("rates[" + strconv.Itoa(i) + "].")
		if len(rerrs) > 0 {
			errs = append(errs, rerrs...)
			continue
		}
		if isGlob(r.Model) {
			c.globs[r.Provider] = append(c.globs[r.Provider], cr)
			continue
		}
		m := c.exact[r.Provider]
		if m == nil {
			m = map[string]*compiledRate{}
			c.exact[r.Provider] = m
		}
		m[r.Model] = cr // a later exact rate for the same model replaces an earlier one
	}
	return errs
}

func isGlob(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', '\\':
			return true
		}
	}
	return false
}

// apply lays the rate over the catalog's price for the model (found says whether there is one).
func (r *compiledRate) apply(base price, found bool) (price, bool) {
	p := r.p
	if !r.own {
		if !found {
			return price{}, false
		}
		p = base
		if r.p.cachedInput != unset {
			p.cachedInput = r.p.cachedInput
		}
		if r.p.cacheWrite != unset {
			p.cacheWrite = r.p.cacheWrite
		}
	}
	if r.keep != full {
		p.input, p.output = r.discount(p.input), r.discount(p.output)
		p.cachedInput, p.cacheWrite = r.discount(p.cachedInput), r.discount(p.cacheWrite)
		p.perImage, p.perSecond = r.discount(p.perImage), r.discount(p.perSecond)
		if p.long != nil { // a discount applies to both bands
			long := *p.long
			long.input, long.output = r.discount(long.input), r.discount(long.output)
			long.cachedInput, long.cacheWrite = r.discount(long.cachedInput), r.discount(long.cacheWrite)
			p.long = &long
		}
	}
	return p, true
}

// discount keeps r.keep of v (unset stays unset, so the fallback to input still applies).
func (r *compiledRate) discount(v int64) int64 {
	if v <= 0 {
		return v
	}
	return mulDivRound(uint64(v), uint64(r.keep), full)
}
