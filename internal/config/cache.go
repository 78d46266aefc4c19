package config

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/secret"
)

// Cache configures the response cache (see internal/cache).
type Cache struct {
	Enabled bool `yaml:"enabled"`
	// Backend is memory (this node only, default) or redis (shared by every node).
	Backend  string        `yaml:"backend"`
	RedisURL secret.Secret `yaml:"redis_url"` // redis://[user:password@]host:port/db
	// TTL is how long an answer is kept (default 1h); MaxTTL caps x-sluice-cache-ttl
	// (default 24h).
	TTL    time.Duration `yaml:"ttl"`
	MaxTTL time.Duration `yaml:"max_ttl"`
	// MaxBytes bounds the memory backend (default 256MiB); MaxEntryBytes one answer (1MiB).
	MaxBytes      ByteSize `yaml:"max_bytes"`
	MaxEntryBytes ByteSize `yaml:"max_entry_bytes"`
	// ExcludeModels are model names (globs, as routed) whose answers are never cached.
	ExcludeModels []string       `yaml:"exclude_models"`
	Semantic      *SemanticCache `yaml:"semantic"`
}

// SemanticCache reuses answers to similar requests.
type SemanticCache struct {
	// Model is the embeddings model (an alias or provider/model served by this gateway).
	Model string `yaml:"model"`
	// Threshold is the cosine similarity from which an answer is reused. Default 0.95.
	Threshold float64 `yaml:"threshold"`
	// MaxEntries bounds the vectors kept per tenant. Default 10000.
	MaxEntries int `yaml:"max_entries"`
	// Index is how a scope's vectors are searched: exact (pruned brute force, always the
	// best match), hnsw (a graph, approximate) or auto (exact under 8,192 vectors in one
	// scope, hnsw from there). Default auto.
	Index string `yaml:"index"`
}

// Cache defaults.
const (
	DefaultCacheTTL           = time.Hour
	DefaultCacheMaxTTL        = 24 * time.Hour
	DefaultCacheMaxBytes      = 256 << 20
	DefaultCacheMaxEntryBytes = 1 << 20
	DefaultSemanticThreshold  = 0.95
	DefaultSemanticEntries    = 10000
)

func (c *Cache) applyDefaults() {
	setDefault(&c.Backend, "memory")
	setDefault(&c.TTL, DefaultCacheTTL)
	setDefault(&c.MaxTTL, DefaultCacheMaxTTL)
	setDefault(&c.MaxBytes, DefaultCacheMaxBytes)
	setDefault(&c.MaxEntryBytes, DefaultCacheMaxEntryBytes)
	if s := c.Semantic; s != nil {
		setDefault(&s.Threshold, DefaultSemanticThreshold)
		setDefault(&s.MaxEntries, DefaultSemanticEntries)
		setDefault(&s.Index, "auto")
	}
}

// validate checks the cache section; models are the declared model names.
func (c *Cache) validate(src *Source, ps *Problems, models map[string]int) {
	switch c.Backend {
	case "memory":
	case "redis":
		if c.RedisURL.IsZero() {
			ps.Add(src, "cache.redis_url", "is required for the redis backend")
		}
	default:
		ps.Add(src, "cache.backend", "unknown backend %q (known: memory, redis)", c.Backend)
	}
	if c.TTL <= 0 {
		ps.Add(src, "cache.ttl", "must be > 0")
	}
	if c.MaxTTL < c.TTL {
		ps.Add(src, "cache.max_ttl", "must be >= cache.ttl (%s)", c.TTL)
	}
	if c.MaxBytes <= 0 {
		ps.Add(src, "cache.max_bytes", "must be > 0")
	}
	if c.MaxEntryBytes <= 0 {
		ps.Add(src, "cache.max_entry_bytes", "must be > 0")
	}
	for i, p := range c.ExcludeModels {
		if _, err := path.Match(p, ""); err != nil || p == "" {
			ps.Add(src, fmt.Sprintf("cache.exclude_models[%d]", i), "invalid pattern %q", p)
		}
	}
	if s := c.Semantic; s != nil {
		switch {
		case s.Model == "":
			ps.Add(src, "cache.semantic.model", "is required")
		case models[s.Model] == 0 && !strings.Contains(s.Model, "/"):
			ps.Add(src, "cache.semantic.model", "unknown model %q (an alias or provider/model)", s.Model)
		}
		if s.Threshold <= 0 || s.Threshold > 1 {
			ps.Add(src, "cache.semantic.threshold", "must be in (0, 1]")
		}
		if s.MaxEntries <= 0 {
			ps.Add(src, "cache.semantic.max_entries", "must be > 0")
		}
		switch s.Index {
		case "exact", "hnsw", "auto":
		default:
			ps.Add(src, "cache.semantic.index", "unknown index %q (known: exact, hnsw, auto)", s.Index)
		}
	}
}
