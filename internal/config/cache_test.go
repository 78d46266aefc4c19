package config

import (
	"strings"
	"testing"
)

func TestCacheSectionDefaultsAndProblems(t *testing.T) {
	base := "providers:\n  openai: {api_key: k}\nmodels:\n  - name: embed\n    targets: [{provider: openai, model: text-embedding-3-small}]\n"
	noEnv := func(string) (string, bool) { return "", false }
	cfg, _, err := Parse([]byte(base+"cache:\n  enabled: true\n  semantic: {model: embed}\n"), "c.yaml", noEnv)
	if err != nil {
		t.Fatalf("valid cache section: %v", err)
	}
	c := cfg.Cache
	if c.Backend != "memory" || c.TTL != DefaultCacheTTL || c.MaxBytes != DefaultCacheMaxBytes || c.Semantic.Threshold != DefaultSemanticThreshold || c.Semantic.MaxEntries != DefaultSemanticEntries || c.Semantic.Index != "auto" {
		t.Errorf("defaults = %+v, semantic %+v", c, *c.Semantic)
	}
	for _, tc := range []struct{ yaml, want string }{
		{"cache: {backend: memcached}", `cache.backend: unknown backend "memcached"`},
		{"cache: {backend: redis}", "cache.redis_url: is required"},
		{"cache: {ttl: 2h, max_ttl: 1h}", "cache.max_ttl: must be >= cache.ttl"},
		{"cache: {exclude_models: ['[']}", "cache.exclude_models[0]: invalid pattern"},
		{"cache: {semantic: {model: nope}}", `cache.semantic.model: unknown model "nope"`},
		{"cache: {semantic: {model: embed, threshold: 1.5}}", "cache.semantic.threshold: must be in (0, 1]"},
		{"cache: {semantic: {model: embed, index: faiss}}", `cache.semantic.index: unknown index "faiss" (known: exact, hnsw, auto)`},
		{"cache: {ttl_seconds: 5}", "ttl_seconds"},
	} {
		_, _, err := Parse([]byte(base+tc.yaml+"\n"), "c.yaml", noEnv)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Parse(%s) = %v, want an error containing %q", tc.yaml, err, tc.want)
		}
	}
}
