package pricing

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"sort"
	"sync"

	"go.yaml.in/yaml/v3"
)

//go:embed catalog.yaml
var catalogYAML []byte

// unset marks an optional price (cached input, cache write) that falls back to input.
const unset = -1

// price is one model's resolved prices: token prices in femto-dollars per token, unit prices
// in nano-dollars per image or second (0 when the model does not bill that way).
type price struct {
	input, output           int64
	cachedInput, cacheWrite int64 // unset -> input
	perImage, perSecond     int64
	// long replaces the token prices of a request whose prompt exceeds longAbove tokens:
	// providers bill the whole request, output included, at the long-context rate.
	long      *price
	longAbove uint64
	// batchKeep is the share of these prices a batch pays (nano-percent), when the entry sets
	// its own batch_discount; otherwise the table's discount applies (batch.go).
	batchKeep int64
	batchSet  bool
}

// Entry is one model's prices in a catalog file: USD per million tokens, and USD per image or
// per second of audio or video, as exact decimal strings.
type Entry struct {
	Input       string `yaml:"input" json:"input"`
	Output      string `yaml:"output,omitempty" json:"output,omitempty"`
	CachedInput string `yaml:"cached_input,omitempty" json:"cached_input,omitempty"`
	CacheWrite  string `yaml:"cache_write,omitempty" json:"cache_write,omitempty"`
	PerImage    string `yaml:"per_image,omitempty" json:"per_image,omitempty"`
	PerSecond   string `yaml:"per_second,omitempty" json:"per_second,omitempty"`
	// LongContext prices requests whose prompt (cached and cache-written tokens included) is
	// longer than Above tokens, for models billed in two bands (Gemini Pro, Claude Sonnet 4
	// with the 1M context, Claude Haiku 5.5).
	LongContext *LongContext `yaml:"long_context,omitempty" json:"long_context,omitempty"`
	// BatchDiscount is percent off every price of this model for batch jobs (the Batch
	// API), overriding the table's batch_discount.
	BatchDiscount string `yaml:"batch_discount,omitempty" json:"batch_discount,omitempty"`
}

// LongContext is the second price band of a model: token prices, as in Entry, for prompts
// longer than Above tokens.
type LongContext struct {
	Above       int64  `yaml:"above" json:"above"`
	Input       string `yaml:"input" json:"input"`
	Output      string `yaml:"output,omitempty" json:"output,omitempty"`
	CachedInput string `yaml:"cached_input,omitempty" json:"cached_input,omitempty"`
	CacheWrite  string `yaml:"cache_write,omitempty" json:"cache_write,omitempty"`
}

// File is the schema of the embedded catalog and of an operator's price file: tables by
// provider (a format such as "anthropic" or a preset such as "groq") and model id, aliases
// by provider (an Azure deployment name to the model it serves) and custom rates.
type File struct {
	AsOf      string                       `yaml:"as_of" json:"as_of"`
	Providers map[string]map[string]Entry  `yaml:"providers" json:"providers"`
	Aliases   map[string]map[string]string `yaml:"aliases,omitempty" json:"aliases,omitempty"`
	Rates     []Rate                       `yaml:"rates,omitempty" json:"rates,omitempty"`
	// BatchDiscount is percent off the standard prices of a table's models for batch jobs,
	// by table ("openai": "50"); a model's own batch_discount overrides it.
	BatchDiscount map[string]string `yaml:"batch_discount,omitempty" json:"batch_discount,omitempty"`
}

// Catalog is an immutable price table with custom rates compiled in. Build it with Default,
// Load or With; share it freely between goroutines.
type Catalog struct {
	asOf    string
	tables  map[string]map[string]price
	aliases map[string]map[string]string
	rates   []Rate // as given, so With can recompile
	exact   map[string]map[string]*compiledRate
	globs   map[string][]*compiledRate
	// batchKeep is, by table, the share of the standard price a batch pays (nano-percent).
	batchKeep map[string]int64
}

var (
	defaultOnce sync.Once
	defaultCat  *Catalog
)

// Default is the catalog embedded in the binary. It panics only if the embedded file is
// malformed, which the package tests rule out.
func Default() *Catalog {
	defaultOnce.Do(func() {
		f, err := decodeFile(catalogYAML)
		if err == nil {
			defaultCat, err = (&Catalog{}).merge(f)
		}
		if err != nil {
			panic(fmt.Sprintf("pricing: embedded catalog: %v", err))
		}
	})
	return defaultCat
}

// Load parses an operator's price file (YAML or JSON, the schema of File) and merges it over
// the default catalog: a model listed in the file replaces the default entry whole, aliases
// are added and rates are appended. Every malformed price is reported, each with its path
// ("providers.openai.gpt-4o.input: \"1.2.3\": not a plain decimal like 0.15").
func Load(data []byte) (*Catalog, error) {
	f, err := decodeFile(data)
	if err != nil {
		return nil, err
	}
	return Default().merge(f)
}

// AsOf is the date the catalog's prices were taken from the providers' pricing pages (the
// operator's file's date once it sets one).
func (c *Catalog) AsOf() string { return c.asOf }

// With returns a copy of c with rates appended to its custom rates. It panics on an invalid
// rate; call ValidateRates first on rates from outside the program (config does).
func (c *Catalog) With(rates ...Rate) *Catalog {
	if len(rates) == 0 {
		return c
	}
	n, err := c.merge(&File{Rates: rates})
	if err != nil {
		panic(fmt.Sprintf("pricing: With: %v", err))
	}
	return n
}

func decodeFile(data []byte) (*File, error) {
	var f File
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return &f, nil
		}
		return nil, fmt.Errorf("pricing: decode: %w", err)
	}
	return &f, nil
}

// merge builds a new catalog from c with f laid over it.
func (c *Catalog) merge(f *File) (*Catalog, error) {
	var errs []error
	n := &Catalog{
		asOf:    c.asOf,
		tables:  make(map[string]map[string]price, len(c.tables)+len(f.Providers)),
		aliases: make(map[string]map[string]string, len(c.aliases)+len(f.Aliases)),
	}
	if f.AsOf != "" {
		n.asOf = f.AsOf
	}
	for p, t := range c.tables {
		n.tables[p] = t // shared: tables are never written once built
	}
	for _, p := range sortedKeys(f.Providers) {
		t := make(map[string]price, len(n.tables[p])+len(f.Providers[p]))
		for m, pr := range n.tables[p] {
			t[m] = pr
		}
		for _, m := range sortedKeys(f.Providers[p]) {
			pr, perrs := f.Providers[p][m].compile("providers." + p + "." + m + ".")
			errs = append(errs, perrs...)
			t[m] = pr
		}
		n.tables[p] = t
	}
	for p, a := range c.aliases {
		n.aliases[p] = a
	}
	for _, p := range sortedKeys(f.Aliases) {
		a := make(map[string]string, len(n.aliases[p])+len(f.Aliases[p]))
		for k, v := range n.aliases[p] {
			a[k] = v
		}
		for k, v := range f.Aliases[p] {
			a[k] = v
		}
		n.aliases[p] = a
	}
	n.batchKeep = make(map[string]int64, len(c.batchKeep)+len(f.BatchDiscount))
	for t, k := range c.batchKeep {
		n.batchKeep[t] = k
	}
	for _, t := range sortedKeys(f.BatchDiscount) {
		k, err := parseDiscount(f.BatchDiscount[t])
		if err != nil {
			errs = append(errs, fmt.Errorf("batch_discount.%s: %w", t, err))
		}
		n.batchKeep[t] = k
	}
	n.rates = append(append([]Rate(nil), c.rates...), f.Rates...)
	errs = append(errs, n.compileRates()...)
	if len(errs) > 0 {
		return nil, fmt.Errorf("pricing: %w", errors.Join(errs...))
	}
	return n, nil
}

// compile parses an entry; each error names its field, after prefix.
func (e Entry) compile(prefix string) (price, []error) {
	p := price{cachedInput: unset, cacheWrite: unset}
	var errs []error
	field := func(name, s string, dst *int64, required bool) {
		if s == "" && !required {
			return
		}
		v, err := ParseDecimal(s, scaleFemto)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s%s: %w", prefix, name, err))
		}
		*dst = v
	}
	field("input", e.Input, &p.input, true)
	field("output", e.Output, &p.output, false)
	field("cached_input", e.CachedInput, &p.cachedInput, false)
	field("cache_write", e.CacheWrite, &p.cacheWrite, false)
	field("per_image", e.PerImage, &p.perImage, false)
	field("per_second", e.PerSecond, &p.perSecond, false)
	if e.BatchDiscount != "" {
		k, err := parseDiscount(e.BatchDiscount)
		if err != nil {
			errs = append(errs, fmt.Errorf("%sbatch_discount: %w", prefix, err))
		}
		p.batchKeep, p.batchSet = k, true
	}
	if lc := e.LongContext; lc != nil {
		if lc.Above <= 0 {
			errs = append(errs, fmt.Errorf("%slong_context.above: must be a positive number of prompt tokens", prefix))
		}
		long, lerrs := Entry{Input: lc.Input, Output: lc.Output, CachedInput: lc.CachedInput, CacheWrite: lc.CacheWrite}.
			compile(prefix + "long_context.")
		errs = append(errs, lerrs...)
		p.long, p.longAbove = &long, uint64(max(lc.Above, 0))
	}
	return p, errs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Models lists the catalog's "provider/model" keys, sorted, for the admin API and tests.
func (c *Catalog) Models() []string {
	var out []string
	for p, t := range c.tables {
		for m := range t {
			out = append(out, p+"/"+m)
		}
	}
	sort.Strings(out)
	return out
}
