package cache

import (
	"math"
	"sync"
	"time"
)

// Index finds earlier requests similar to a new one, per namespace, by brute-force cosine
// similarity over normalized float32 vectors. Each namespace keeps at most maxEntries vectors
// in a ring (the oldest is overwritten), so a tenant's memory is bounded by maxEntries ×
// dimensions × 4 bytes and one tenant's volume never evicts another's entries.
type Index struct {
	maxEntries int
	threshold  float32
	now        func() time.Time

	mu     sync.RWMutex
	spaces map[string]*space
}

type space struct {
	mu      sync.RWMutex
	entries []vectorEntry
	next    int // ring position once full
}

type vectorEntry struct {
	scope   string
	key     string
	expires time.Time
	vec     []float32
}

// NewIndex returns an index that answers matches of at least threshold (cosine, 0–1].
func NewIndex(maxEntries int, threshold float64) *Index {
	return &Index{maxEntries: maxEntries, threshold: float32(threshold), now: time.Now, spaces: map[string]*space{}}
}

// Normalize scales v to unit length in place, so cosine similarity is a dot product; false
// when v is empty or all zero.
func Normalize(v []float32) bool {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 || math.IsNaN(sum) || math.IsInf(sum, 0) {
		return false
	}
	inv := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= inv
	}
	return true
}

// Lookup returns the key of the most similar live entry of namespace and scope, and its
// similarity, when it reaches the threshold. vec must be normalized.
func (x *Index) Lookup(namespace, scope string, vec []float32) (string, float32, bool) {
	x.mu.RLock()
	s := x.spaces[namespace]
	x.mu.RUnlock()
	if s == nil {
		return "", 0, false
	}
	now := x.now()
	best, bestKey := float32(-2), ""
	s.mu.RLock()
	for i := range s.entries {
		e := &s.entries[i]
		if e.scope != scope || len(e.vec) != len(vec) || !now.Before(e.expires) {
			continue
		}
		if sim := dot(e.vec, vec); sim > best {
			best, bestKey = sim, e.key
		}
	}
	s.mu.RUnlock()
	if bestKey == "" || best < x.threshold {
		return "", best, false
	}
	return bestKey, best, true
}

// Add remembers that the answer stored under key belongs to vec in namespace and scope until
// ttl passes. vec must be normalized and is kept.
func (x *Index) Add(namespace, scope, key string, vec []float32, ttl time.Duration) {
	x.mu.RLock()
	s := x.spaces[namespace]
	x.mu.RUnlock()
	if s == nil {
		x.mu.Lock()
		if s = x.spaces[namespace]; s == nil {
			s = &space{}
			x.spaces[namespace] = s
		}
		x.mu.Unlock()
	}
	e := vectorEntry{scope: scope, key: key, expires: x.now().Add(ttl), vec: vec}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.entries) < x.maxEntries {
		s.entries = append(s.entries, e)
		return
	}
	s.entries[s.next] = e
	s.next = (s.next + 1) % x.maxEntries
}

func dot(a, b []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}
