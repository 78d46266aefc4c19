package pricing

import (
	"path"
	"strings"
)

// bedrockRegions are the cross-region inference profile prefixes of Bedrock model ids
// ("us.anthropic.claude-…"), priced as the model itself.
var bedrockRegions = map[string]bool{"us": true, "eu": true, "apac": true, "global": true, "us-gov": true, "jp": true, "au": true, "ca": true}

// openRouterVendors maps OpenRouter's "vendor/model" prefixes to the catalog table whose prices
// OpenRouter passes through.
var openRouterVendors = map[string]string{
	"openai": "openai", "anthropic": "anthropic", "google": "gemini", "x-ai": "xai",
	"mistralai": "mistral", "deepseek": "deepseek",
}

// fallbackTable is the table tried after the format's own: Azure OpenAI serves OpenAI's
// models, and openai_responses is OpenAI's Responses API.
func fallbackTable(format string) string {
	if format == "azure" || format == "openai_responses" {
		return "openai"
	}
	return ""
}

// lookup finds the catalog price of model: in the provider account's table, the format's,
// then the format's fallback. canon is the catalog key that matched.
func (c *Catalog) lookup(provider, format, model string) (canon string, p price, ok bool) {
	model = strings.TrimPrefix(model, "models/") // Gemini's resource names
	if a, found := c.aliases[provider][model]; found {
		model = a
	} else if a, found := c.aliases[format][model]; found {
		model = a
	}
	names := [3]string{provider, format, fallbackTable(format)}
	for i, name := range names {
		if name == "" || (i > 0 && name == names[0]) || (i == 2 && name == names[1]) {
			continue
		}
		if canon, p, ok = c.find(name, model); ok {
			return canon, p, true
		}
	}
	return "", price{}, false
}

// find resolves model in one table: exact, then without dated-snapshot suffixes; Bedrock and
// OpenRouter ids also reach the table of the vendor they serve.
func (c *Catalog) find(table, model string) (string, price, bool) {
	switch table {
	case "bedrock":
		return c.findBedrock(model)
	case "openrouter":
		if canon, p, ok := c.findTrimmed(table, model); ok {
			return canon, p, ok
		}
		if vendor, rest, cut := strings.Cut(model, "/"); cut && openRouterVendors[vendor] != "" {
			return c.findTrimmed(openRouterVendors[vendor], rest)
		}
		return "", price{}, false
	}
	return c.findTrimmed(table, model)
}

func (c *Catalog) findTrimmed(table, model string) (string, price, bool) {
	t := c.tables[table]
	if t == nil {
		return "", price{}, false
	}
	for m, more := model, true; more; m, more = trimSnapshot(m) {
		if p, ok := t[m]; ok {
			return m, p, true
		}
	}
	return "", price{}, false
}

// findBedrock strips the regional prefix, then tries the id, the id without ":N" and without
// "-vN"; Anthropic models ("anthropic.claude-…") take the anthropic table's price.
func (c *Catalog) findBedrock(model string) (string, price, bool) {
	if region, rest, cut := strings.Cut(model, "."); cut && bedrockRegions[region] {
		model = rest
	}
	if i := strings.LastIndexByte(model, ':'); i > 0 && allDigits(model[i+1:]) {
		if canon, p, ok := c.findTrimmed("bedrock", model); ok {
			return canon, p, ok
		}
		model = model[:i]
	}
	if canon, p, ok := c.findTrimmed("bedrock", model); ok {
		return canon, p, ok
	}
	if i := strings.LastIndex(model, "-v"); i > 0 && allDigits(model[i+2:]) {
		model = model[:i]
	}
	if rest, ok := strings.CutPrefix(model, "anthropic."); ok {
		return c.findTrimmed("anthropic", rest)
	}
	return c.findTrimmed("bedrock", model)
}

// snapshotSuffixes are the version suffixes trimmed to reach a model's base price, longest
// first; 'd' stands for a digit. They cover OpenAI ("-2024-07-18", "-0125"), Anthropic
// ("-20241022"), Gemini ("-001", "-preview-05-20"), Mistral ("-2411") and xAI ("-0709").
var snapshotSuffixes = []string{"-dddd-dd-dd", "-dddddddd", "-dd-dd", "-dddd", "-ddd"}

// trimSnapshot removes one version suffix from m; more is false when there is none.
func trimSnapshot(m string) (base string, more bool) {
	if i := strings.LastIndexByte(m, '@'); i > 0 { // Vertex AI: "claude-3-5-sonnet-v2@20241022"
		return m[:i], true
	}
	for _, s := range [...]string{"-latest", "-preview", "-exp"} {
		if b, ok := strings.CutSuffix(m, s); ok && b != "" {
			return b, true
		}
	}
	for _, pat := range snapshotSuffixes {
		if len(m) > len(pat) && matchDigits(m[len(m)-len(pat):], pat) {
			return m[:len(m)-len(pat)], true
		}
	}
	return "", false
}

func matchDigits(s, pat string) bool {
	for i := 0; i < len(pat); i++ {
		if pat[i] == 'd' {
			if s[i] < '0' || s[i] > '9' {
				return false
			}
		} else if s[i] != pat[i] {
			return false
		}
	}
	return true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// rate is the most specific custom rate for the request, or nil: account before format, exact
// model (as requested or as resolved) before glob.
func (c *Catalog) rate(provider, format, model, canon string) *compiledRate {
	for i, name := range [2]string{provider, format} {
		if name == "" || (i == 1 && name == provider) {
			continue
		}
		if m := c.exact[name]; m != nil {
			if r := m[model]; r != nil {
				return r
			}
			if r := m[canon]; r != nil && canon != "" {
				return r
			}
		}
		for _, g := range c.globs[name] {
			if ok, _ := path.Match(g.model, model); ok {
				return g
			}
		}
	}
	return nil
}
