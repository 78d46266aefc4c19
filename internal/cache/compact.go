package cache

// Expiry and eviction leave tombstones: a dead slot keeps its place (and in a graph its
// links) until its scope is compacted. Each namespace sweeps its scopes every few Adds (see
// sweepEvery): a scope with no live entry is dropped, and one with at least as many dead
// slots as live ones is rebuilt with only the live ones. Small scopes are rebuilt on the
// spot (a copy of the live vectors); large ones, and scopes with a graph, on a goroutine
// that also builds the new graph while lookups and Adds keep using the old space, which is
// then swapped out with the entries added meanwhile carried over. So the memory of a
// namespace stays within about twice its live vectors, and graph searches never wade
// through more tombstones than live nodes.

// minCompact is the smallest scope worth rebuilding; scopes under syncCompact slots are
// rebuilt by the Add that swept them (a copy of at most a few MB), larger ones in the
// background.
const (
	minCompact  = 32
	syncCompact = 1024
)

// sweepEvery is how many Adds of a namespace pass between two sweeps: often enough that dead
// vectors do not pile up, rarely enough that the walk over the scopes costs nothing per Add.
func sweepEvery(maxEntries int) int { return min(max(maxEntries/8, 16), 1024) }

// sweep drops dead scopes of ns and compacts mostly dead ones; the caller holds ns.addMu.
func (x *Index) sweep(ns *namespace) {
	f := filter{firstLive: ns.firstLive(x.opts.MaxEntries), now: x.now().UnixNano()}
	ns.mu.RLock()
	scopes := make(map[string]*space, len(ns.scopes))
	for name, s := range ns.scopes {
		scopes[name] = s
	}
	ns.mu.RUnlock()
	for name, s := range scopes {
		if s.compacting.Load() {
			continue
		}
		s.mu.RLock()
		v, hasGraph := s.view(), s.g != nil
		s.mu.RUnlock()
		live := 0
		for slot := range int32(v.n) {
			if f.ok(v.meta(slot)) {
				live++
			}
		}
		switch {
		case live == 0:
			ns.mu.Lock()
			delete(ns.scopes, name)
			ns.mu.Unlock()
			s.retired.Store(true)
		case v.n >= minCompact && v.n-live >= live:
			withGraph := hasGraph || x.wantsGraph(live)
			if !withGraph && v.n < syncCompact {
				x.swap(ns, name, s, x.rebuild(s, v, &f, false), v)
				continue
			}
			if x.closed.Load() {
				continue
			}
			s.compacting.Store(true)
			x.wg.Add(1)
			go func() {
				defer x.wg.Done()
				fresh := x.rebuild(s, v, &f, withGraph)
				ns.addMu.Lock()
				defer ns.addMu.Unlock()
				x.swap(ns, name, s, fresh, v)
			}()
		}
	}
}

// rebuild returns a private space with the slots of v that f accepts, and their graph.
func (x *Index) rebuild(s *space, v view, f *filter, withGraph bool) *space {
	fresh := newSpace(s.dim)
	buf := make([]float32, 0, s.dim)
	for slot := range int32(v.n) {
		if m := v.meta(slot); f.ok(m) {
			fresh.appendSlot(v.full(slot, buf), *m)
		}
	}
	if withGraph {
		fresh.g = newGraph(uint64(fresh.n))
		sc := new(scratch)
		for fresh.g.n < fresh.n && !x.closed.Load() {
			x.insertNext(fresh, fresh.g, fresh.view(), sc)
		}
	}
	return fresh
}

// swap publishes fresh in place of old, with the live slots old received after v was
// taken; the caller holds ns.addMu, so no Add runs meanwhile.
func (x *Index) swap(ns *namespace, name string, old, fresh *space, v view) {
	f := filter{firstLive: ns.firstLive(x.opts.MaxEntries), now: x.now().UnixNano()}
	old.mu.RLock()
	cur := old.view()
	old.mu.RUnlock()
	buf := make([]float32, 0, old.dim)
	for slot := int32(v.n); slot < int32(cur.n); slot++ {
		if m := cur.meta(slot); f.ok(m) {
			fresh.appendSlot(cur.full(slot, buf), *m)
		}
	}
	ns.mu.Lock()
	if ns.scopes[name] != old {
		ns.mu.Unlock()
		return // replaced meanwhile (new dimensions)
	}
	ns.scopes[name] = fresh
	ns.mu.Unlock()
	old.retired.Store(true)
	fresh.mu.Lock()
	x.startBuilder(fresh)
	fresh.mu.Unlock()
}
