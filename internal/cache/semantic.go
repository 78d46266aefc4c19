package cache

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// IndexMode chooses how a scope's vectors are searched.
type IndexMode string

// Index modes (config cache.semantic.index).
const (
	// IndexExact compares the query with every live vector of its scope, pruning those that
	// cannot reach the threshold: the answer is always the true best match.
	IndexExact IndexMode = "exact"
	// IndexHNSW searches a graph (approximate: it may miss the best match, rarely; see the
	// recall tests) plus, exactly, the vectors added since the graph last caught up.
	IndexHNSW IndexMode = "hnsw"
	// IndexAuto is exact for scopes under GraphFrom entries and HNSW from there on.
	IndexAuto IndexMode = "auto"
)

// DefaultGraphFrom is the scope size from which IndexAuto builds a graph: below it the
// pruned exact scan is about as fast as a graph search (README, Performance) and is exact.
const DefaultGraphFrom = 8192

// IndexOptions configure an Index.
type IndexOptions struct {
	MaxEntries int     // per namespace
	Threshold  float64 // cosine, (0, 1]
	Mode       IndexMode
	GraphFrom  int // IndexAuto: scope size from which a graph is built (DefaultGraphFrom)
}

// Index finds earlier requests similar to a new one by cosine similarity over normalized
// float32 vectors. Each namespace (tenant) keeps at most MaxEntries live vectors: every Add
// takes the next sequence number of its namespace and the one MaxEntries older dies, so one
// tenant's volume never evicts another's entries. Within a namespace the vectors are kept
// per scope (the request without its last message), the only ones a lookup of that scope
// may match, so a lookup reads its own scope and nothing else.
//
// Lookups take read locks only. An Add copies the vector under its scope's write lock (a few
// microseconds); graph insertion runs on a builder goroutine per scope, and the vectors it has
// not reached yet are scanned exactly, so a lookup never misses a fresh entry.
type Index struct {
	opts IndexOptions
	now  func() time.Time

	mu     sync.RWMutex
	spaces map[string]*namespace

	closed atomic.Bool
	wg     sync.WaitGroup // builders and compactions
	// cpu admits one graph insert at a time per two cores: builders of many scopes share
	// it, so graph building never takes every core from the requests.
	cpu chan struct{}
}

// namespace is one tenant's scopes.
type namespace struct {
	addMu      sync.Mutex    // serializes Adds, sweeps and compaction swaps
	next       atomic.Uint64 // sequence number of the next Add
	sinceSweep int           // under addMu

	mu     sync.RWMutex
	scopes map[string]*space
}

// NewIndex returns an index in auto mode that answers matches of at least threshold.
func NewIndex(maxEntries int, threshold float64) *Index {
	return NewIndexWith(IndexOptions{MaxEntries: maxEntries, Threshold: threshold})
}

// NewIndexWith returns an index configured by o; zero fields take their defaults. Close
// stops its background work.
func NewIndexWith(o IndexOptions) *Index {
	if o.Mode == "" {
		o.Mode = IndexAuto
	}
	if o.GraphFrom <= 0 {
		o.GraphFrom = DefaultGraphFrom
	}
	switch o.Mode {
	case IndexExact, IndexHNSW, IndexAuto:
	default:
		panic(fmt.Sprintf("cache: unknown index mode %q", o.Mode))
	}
	return &Index{opts: o, now: time.Now, spaces: map[string]*namespace{},
		cpu: make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))}
}

// Close stops graph building and compaction and waits for them; lookups and adds still
// work afterwards, exactly for what the graphs do not cover.
func (x *Index) Close() {
	x.closed.Store(true)
	x.wg.Wait()
}

// wait blocks until background work started so far is done: graphs have caught up with
// every Add made before the call. For tests and benchmarks; Adds meanwhile may extend it.
func (x *Index) wait() { x.wg.Wait() }

func (ns *namespace) firstLive(max int) uint64 {
	if n := ns.next.Load(); n > uint64(max) {
		return n - uint64(max)
	}
	return 0
}

func (x *Index) namespace(name string, create bool) *namespace {
	x.mu.RLock()
	ns := x.spaces[name]
	x.mu.RUnlock()
	if ns != nil || !create {
		return ns
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if ns = x.spaces[name]; ns == nil {
		ns = &namespace{scopes: map[string]*space{}}
		x.spaces[name] = ns
	}
	return ns
}

func (ns *namespace) scope(name string) *space {
	ns.mu.RLock()
	defer ns.mu.RUnlock()
	return ns.scopes[name]
}

// Lookup returns the key of the most similar live entry of namespace and scope, and its
// similarity, when it reaches the threshold. vec must be normalized. Without a match the
// similarity is only a lower bound of the best one (vectors that cannot reach the threshold
// are not compared in full).
func (x *Index) Lookup(namespace, scope string, vec []float32) (string, float32, bool) {
	ns := x.namespace(namespace, false)
	if ns == nil {
		return "", 0, false
	}
	s := ns.scope(scope)
	if s == nil || s.dim != len(vec) {
		return "", 0, false
	}
	f := filter{firstLive: ns.firstLive(x.opts.MaxEntries), now: x.now().UnixNano()}
	threshold := float32(x.opts.Threshold)
	qt := s.cuts.tails(vec)

	s.mu.RLock()
	defer s.mu.RUnlock()
	v := s.view()
	b, from := best{sim: -2, slot: -1}, 0
	if g := s.g; g != nil {
		sc := scratchPool.Get().(*scratch)
		b = g.search(v, vec, qt, &f, sc)
		scratchPool.Put(sc)
		from = g.n
	}
	s.scan(v, vec, qt, from, &f, threshold, &b)
	if b.slot < 0 || b.sim < threshold {
		return "", max(b.sim, 0), false
	}
	return v.meta(b.slot).key, b.sim, true
}

// Add remembers that the answer stored under key belongs to vec in namespace and scope until
// ttl passes. vec must be normalized; it is copied.
func (x *Index) Add(namespace, scope, key string, vec []float32, ttl time.Duration) {
	if len(vec) == 0 {
		return
	}
	ns := x.namespace(namespace, true)
	ns.addMu.Lock()
	defer ns.addMu.Unlock()
	s := ns.scope(scope)
	if s == nil || s.dim != len(vec) {
		// A new scope, or the embeddings model changed its dimensions: the old vectors can
		// never match again.
		if s != nil {
			s.retired.Store(true)
		}
		s = newSpace(len(vec))
		ns.mu.Lock()
		ns.scopes[scope] = s
		ns.mu.Unlock()
	}
	seq := ns.next.Add(1) - 1
	s.mu.Lock()
	s.appendSlot(vec, slotMeta{key: key, expires: x.now().Add(ttl).UnixNano(), seq: seq})
	x.startBuilder(s)
	s.mu.Unlock()

	ns.sinceSweep++
	if ns.sinceSweep >= sweepEvery(x.opts.MaxEntries) {
		ns.sinceSweep = 0
		x.sweep(ns)
	}
}

// wantsGraph reports whether a space of n slots should be searched through a graph.
func (x *Index) wantsGraph(n int) bool {
	switch x.opts.Mode {
	case IndexHNSW:
		return true
	case IndexAuto:
		return n >= x.opts.GraphFrom
	}
	return false
}

// startBuilder starts the goroutine that brings s's graph up to date, creating the graph
// when s has become large enough; the caller holds s.mu for writing.
func (x *Index) startBuilder(s *space) {
	if s.g == nil && x.wantsGraph(s.n) {
		s.g = newGraph(uint64(s.n))
	}
	if s.g == nil || s.building || s.g.n >= s.n || x.closed.Load() || s.retired.Load() {
		return
	}
	s.building = true
	x.wg.Add(1)
	go x.build(s)
}

// build inserts the slots of s its graph has not reached, then exits; the Index owns it
// (Close stops it between two inserts).
func (x *Index) build(s *space) {
	defer x.wg.Done()
	sc := new(scratch)
	for {
		s.mu.Lock()
		g, v := s.g, s.view()
		if g.n >= v.n || x.closed.Load() || s.retired.Load() {
			s.building = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		x.insertNext(s, g, v, sc)
	}
}

// insertNext adds the graph's next slot, or skips it when it is already dead.
func (x *Index) insertNext(s *space, g *graph, v view, sc *scratch) {
	id := int32(g.n)
	m := v.meta(id)
	if x.now().UnixNano() >= m.expires {
		g.skip(s)
		return
	}
	x.cpu <- struct{}{}
	defer func() { <-x.cpu }()
	g.insert(s, v, id, sc)
}
