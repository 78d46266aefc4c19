package cache

import (
	"path"
	"sync/atomic"
	"time"
)

// Results of a cache consultation, as sent in x-sluice-cache and stored in the request log.
const (
	ResultHit         = "hit"          // the exact request was answered before
	ResultSemanticHit = "semantic-hit" // a similar request of the same context was
	ResultMiss        = "miss"         // not found (or not looked up: cache-control: no-cache)
	ResultBypass      = "bypass"       // neither read nor written: no-store, or an excluded model
)

// Options configure a Cache.
type Options struct {
	Backend Backend
	// TTL is how long an answer is kept; MaxTTL caps a client's x-sluice-cache-ttl.
	TTL, MaxTTL time.Duration
	// Exclude are route names (path.Match globs) never cached.
	Exclude []string
	// MaxEntryBytes bounds one stored answer; larger answers are not stored.
	MaxEntryBytes int
	// SemanticModel is the embeddings model for the semantic cache; with Index nil there is
	// no semantic cache.
	SemanticModel string
	Index         *Index
}

// Cache is the configured cache and its counters.
type Cache struct {
	Options
	hits, semanticHits, misses, bypasses, errors atomic.Uint64
	savedMicroUSD                                atomic.Int64
}

// New returns a cache over opts.Backend.
func New(opts Options) *Cache { return &Cache{Options: opts} }

// Excluded reports whether answers of route are never cached.
func (c *Cache) Excluded(route string) bool {
	for _, p := range c.Exclude {
		if ok, err := path.Match(p, route); p == route || (err == nil && ok) {
			return true
		}
	}
	return false
}

// Count records one consultation's result and, for a hit, the provider cost it saved.
func (c *Cache) Count(result string, savedMicroUSD int64) {
	switch result {
	case ResultHit:
		c.hits.Add(1)
	case ResultSemanticHit:
		c.semanticHits.Add(1)
	case ResultMiss:
		c.misses.Add(1)
	case ResultBypass:
		c.bypasses.Add(1)
	}
	if savedMicroUSD > 0 {
		c.savedMicroUSD.Add(savedMicroUSD)
	}
}

// Failed counts a backend or embedding failure, which the request survives as a miss.
func (c *Cache) Failed() { c.errors.Add(1) }

// Stats are the cache's counters since start.
type Stats struct {
	Hits, SemanticHits, Misses, Bypasses, Errors uint64
	SavedMicroUSD                                int64
}

// Stats returns the counters.
func (c *Cache) Stats() Stats {
	return Stats{Hits: c.hits.Load(), SemanticHits: c.semanticHits.Load(), Misses: c.misses.Load(),
		Bypasses: c.bypasses.Load(), Errors: c.errors.Load(), SavedMicroUSD: c.savedMicroUSD.Load()}
}
