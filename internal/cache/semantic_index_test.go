package cache

import (
	"math"
	"strconv"
	"sync"
	"testing"
	"time"
)

// reference is the float64 brute force the index must agree with.
type reference struct {
	keys []string
	vecs [][]float32
	dead map[string]bool
}

func (r *reference) add(key string, v []float32) {
	r.keys, r.vecs = append(r.keys, key), append(r.vecs, v)
}

// best returns the live key most similar to q and its similarity, and the runner-up's.
func (r *reference) best(q []float32) (string, float64, float64) {
	key, b1, b2 := "", -2.0, -2.0
	for i, v := range r.vecs {
		if r.dead[r.keys[i]] {
			continue
		}
		var s float64
		for j := range v {
			s += float64(v[j]) * float64(q[j])
		}
		if s > b1 {
			key, b1, b2 = r.keys[i], s, b1
		} else if s > b2 {
			b2 = s
		}
	}
	return key, b1, b2
}

// checkAgainst looks up every query and compares with the reference: the same key when the
// best similarity is clear of the threshold and of the runner-up by more than float32
// rounding, no match when it is clearly under the threshold.
func checkAgainst(t *testing.T, x *Index, r *reference, queries [][]float32, threshold float64) (hits int) {
	t.Helper()
	const tie = 1e-4
	for i, q := range queries {
		want, wsim, second := r.best(q)
		key, sim, ok := x.Lookup("n", "s", q)
		switch {
		case wsim >= threshold+tie && wsim-second > tie:
			if !ok || key != want {
				t.Errorf("query %d: Lookup = %q, %.5f, %v; brute force says %q at %.5f", i, key, sim, ok, want, wsim)
			} else if math.Abs(float64(sim)-wsim) > tie {
				t.Errorf("query %d: similarity %.6f, brute force %.6f", i, sim, wsim)
			}
			hits++
		case wsim < threshold-tie && ok:
			t.Errorf("query %d: Lookup = %q, %.5f; brute force best is %.5f, under the threshold", i, key, sim, wsim)
		}
	}
	return hits
}

func TestExactIndexAgreesWithBruteForce(t *testing.T) {
	for _, dim := range []int{3, 100, 768} {
		t.Run(strconv.Itoa(dim), func(t *testing.T) {
			const threshold = 0.95
			n := 2000
			if raceEnabled {
				n = 300
			}
			g := newEmbeddings(11, dim)
			x := NewIndexWith(IndexOptions{MaxEntries: n, Threshold: threshold, Mode: IndexExact})
			r := &reference{}
			for i := range n {
				v := g.next()
				x.Add("n", "s", strconv.Itoa(i), v, time.Hour)
				r.add(strconv.Itoa(i), v)
			}
			var queries [][]float32
			for i := range 200 {
				queries = append(queries, g.near(r.vecs[(i*7)%n], float32(i%5)*0.1), g.next())
			}
			if hits := checkAgainst(t, x, r, queries, threshold); hits < 100 && !raceEnabled {
				t.Errorf("only %d of 400 queries had a clear match; the test set is too weak", hits)
			}
		})
	}
}

// graphBest searches only the graph of scope s of namespace n.
func graphBest(x *Index, q []float32) (string, float32) {
	s := x.namespace("n", false).scope("s")
	f := filter{now: x.now().UnixNano()}
	s.mu.RLock()
	defer s.mu.RUnlock()
	sc := new(scratch)
	b := s.g.search(s.view(), q, s.cuts.tails(q), &f, sc)
	if b.slot < 0 {
		return "", b.sim
	}
	return s.view().meta(b.slot).key, b.sim
}

func TestHNSWRecallAgainstBruteForce(t *testing.T) {
	n, dim := 10000, 384
	if raceEnabled || testing.Short() {
		n, dim = 1500, 128
	}
	g := newEmbeddings(5, dim)
	x := NewIndexWith(IndexOptions{MaxEntries: n, Threshold: 0.95, Mode: IndexHNSW})
	defer x.Close()
	r := &reference{}
	for i := range n {
		v := g.next()
		x.Add("n", "s", strconv.Itoa(i), v, time.Hour)
		r.add(strconv.Itoa(i), v)
	}
	x.wait()
	if s := x.namespace("n", false).scope("s"); s.g == nil || s.g.n != n {
		t.Fatalf("graph covers %v slots after Wait, want %d", s.g, n)
	}
	const queries = 500
	var rephrased, fresh int
	for i := range queries {
		// A rephrasing of a stored question (what a semantic hit is) and a new question.
		q := g.near(r.vecs[(i*37)%n], 0.2)
		if want, _, _ := r.best(q); func() bool { k, _ := graphBest(x, q); return k == want }() {
			rephrased++
		}
		q = g.next()
		if want, _, _ := r.best(q); func() bool { k, _ := graphBest(x, q); return k == want }() {
			fresh++
		}
	}
	t.Logf("recall@1 at n=%d dim=%d: rephrased %.3f, new questions %.3f", n, dim, float64(rephrased)/queries, float64(fresh)/queries)
	if rec := float64(rephrased) / queries; rec < 0.99 {
		t.Errorf("recall@1 for rephrased questions = %.3f, want >= 0.99", rec)
	}
	if rec := float64(fresh) / queries; rec < 0.95 {
		t.Errorf("recall@1 for new questions = %.3f, want >= 0.95", rec)
	}
}

func TestHNSWIndexForgetsExpiredAndEvictedEntries(t *testing.T) {
	const n, dim = 400, 64
	clk := &clock{t: time.Unix(1e9, 0)}
	x := NewIndexWith(IndexOptions{MaxEntries: n, Threshold: 0.95, Mode: IndexHNSW})
	x.now = clk.now
	defer x.Close()
	g := newEmbeddings(9, dim)
	r := &reference{dead: map[string]bool{}}
	// Even entries live a minute, odd ones an hour.
	for i := range n {
		v := g.next()
		ttl := time.Hour
		if i%2 == 0 {
			ttl = time.Minute
		}
		x.Add("n", "s", strconv.Itoa(i), v, ttl)
		r.add(strconv.Itoa(i), v)
	}
	x.wait()
	clk.add(2 * time.Minute)
	for i := 0; i < n; i += 2 {
		r.dead[strconv.Itoa(i)] = true
	}
	for i := range 40 {
		key, _, ok := x.Lookup("n", "s", r.vecs[i])
		if i%2 == 0 && ok {
			t.Errorf("Lookup(expired entry %d) = %q, want no match", i, key)
		}
		if i%2 == 1 && (!ok || key != strconv.Itoa(i)) {
			t.Errorf("Lookup(live entry %d) = %q, %v; want %d", i, key, ok, i)
		}
	}
	// Another n entries evict all of the first; the sweeps compact the scope as they go.
	for i := n; i < 2*n; i++ {
		v := g.next()
		x.Add("n", "s", strconv.Itoa(i), v, time.Hour)
		r.add(strconv.Itoa(i), v)
		r.dead[strconv.Itoa(i-n)] = true
	}
	x.wait()
	for i := range 40 {
		if key, _, ok := x.Lookup("n", "s", r.vecs[i]); ok {
			t.Errorf("Lookup(evicted entry %d) = %q, want no match", i, key)
		}
	}
	queries := make([][]float32, 0, 100)
	for i := range 100 {
		queries = append(queries, g.near(r.vecs[n+i*3], 0.1))
	}
	checkAgainst(t, x, r, queries, 0.95)
	s := x.namespace("n", false).scope("s")
	s.mu.RLock()
	slots := s.n
	s.mu.RUnlock()
	if slots > 3*n/2+sweepEvery(n) {
		t.Errorf("scope keeps %d slots for %d live entries; compaction did not run", slots, n)
	}
}

func TestIndexDropsDeadScopes(t *testing.T) {
	x := NewIndexWith(IndexOptions{MaxEntries: 16, Threshold: 0.9, Mode: IndexExact})
	x.Add("n", "old", "k", unit(1, 0), time.Hour)
	for i := range 40 {
		x.Add("n", "new", strconv.Itoa(i), unit(1, float32(i)), time.Hour)
	}
	if s := x.namespace("n", false).scope("old"); s != nil {
		t.Errorf("scope whose only entry was evicted still holds %d slots", s.n)
	}
}

func TestIndexReplacesScopeOnNewDimensions(t *testing.T) {
	x := NewIndex(10, 0.9)
	x.Add("n", "s", "three", unit(1, 0, 0), time.Hour)
	x.Add("n", "s", "four", unit(1, 0, 0, 0), time.Hour)
	if key, _, ok := x.Lookup("n", "s", unit(1, 0, 0)); ok {
		t.Errorf("Lookup(3 dims) = %q after the scope moved to 4 dims, want none", key)
	}
	if key, _, ok := x.Lookup("n", "s", unit(1, 0, 0, 0)); !ok || key != "four" {
		t.Errorf("Lookup(4 dims) = %q, %v; want four", key, ok)
	}
}

// TestIndexConcurrentAddsAndLookups runs writers and readers together (meant for -race):
// graphs build, entries are evicted and scopes compacted while lookups run. Every match must
// be an entry the writer made from that very vector.
func TestIndexConcurrentAddsAndLookups(t *testing.T) {
	const dim, writers, perWriter = 48, 4, 600
	x := NewIndexWith(IndexOptions{MaxEntries: 500, Threshold: 0.99, Mode: IndexAuto, GraphFrom: 64})
	defer x.Close()
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(2)
		g := newEmbeddings(uint64(100+w), dim)
		vecs := make([][]float32, perWriter)
		for i := range vecs {
			vecs[i] = g.random()
		}
		ns, scope := "n"+strconv.Itoa(w), "s"
		go func() {
			defer wg.Done()
			for i, v := range vecs {
				x.Add(ns, scope, strconv.Itoa(w)+"/"+strconv.Itoa(i), v, time.Hour)
			}
		}()
		go func() {
			defer wg.Done()
			for i, v := range vecs {
				key, sim, ok := x.Lookup(ns, scope, v)
				if ok && key != strconv.Itoa(w)+"/"+strconv.Itoa(i) {
					t.Errorf("Lookup(vector %d/%d) = %q at %.4f, an entry of another vector", w, i, key, sim)
				}
			}
		}()
	}
	wg.Wait()
	x.wait()
	// Each writer's last 500 entries are live, the last one among them.
	for w := range writers {
		s := x.namespace("n"+strconv.Itoa(w), false).scope("s")
		s.mu.RLock()
		v := s.view()
		s.mu.RUnlock()
		found := 0
		for slot := range int32(v.n) {
			if m := v.meta(slot); m.key == strconv.Itoa(w)+"/"+strconv.Itoa(perWriter-1) {
				found++
				if key, _, ok := x.Lookup("n"+strconv.Itoa(w), "s", v.full(slot, nil)); !ok || key != m.key {
					t.Errorf("Lookup(last vector of writer %d) = %q, %v; want %s", w, key, ok, m.key)
				}
			}
		}
		if found != 1 {
			t.Errorf("writer %d's last entry is in %d slots, want 1", w, found)
		}
	}
}

// TestIndexFindsEntriesTheGraphHasNotReached closes the index while its builder is still
// inserting: the vectors the graph does not cover are scanned exactly, so every stored
// vector is still found.
func TestIndexFindsEntriesTheGraphHasNotReached(t *testing.T) {
	const n, dim = 1500, 64
	x := NewIndexWith(IndexOptions{MaxEntries: n, Threshold: 0.99, Mode: IndexHNSW})
	g := newEmbeddings(21, dim)
	vecs := make([][]float32, n)
	for i := range vecs {
		vecs[i] = g.random()
		x.Add("n", "s", strconv.Itoa(i), vecs[i], time.Hour)
	}
	x.Close()
	s := x.namespace("n", false).scope("s")
	s.mu.RLock()
	covered := s.g.n
	s.mu.RUnlock()
	t.Logf("graph covers %d of %d entries after Close", covered, n)
	for i := n - 1; i >= 0; i -= 7 {
		if key, _, ok := x.Lookup("n", "s", vecs[i]); !ok || key != strconv.Itoa(i) {
			t.Errorf("Lookup(vector %d) = %q, %v; want %d (graph covers %d)", i, key, ok, i, covered)
		}
	}
}
