package cache

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
)

// graph is a hierarchical navigable small world graph (Malkov & Yashunin, "Efficient and
// robust approximate nearest neighbor search using HNSW graphs", 2016) over the slots of one
// space; the vectors stay in the space. It is written by one goroutine at a time (the
// space's builder, or a compaction before the space is published): the builder computes a
// node's links without locks, as the only writer, and publishes them under the space's write
// lock in a few pointer stores, so lookups, which search under the read lock, wait
// microseconds for an insert, never the insert's search.
//
// Dead slots (evicted or expired) stay in the graph as tombstones: searches walk through
// them, so the graph stays connected, but never return them; compaction rebuilds the graph
// without them once they outnumber the live ones.
type graph struct {
	links [][][]int32 // links[slot][level]; nil for a slot that was dead when its turn came
	entry int32
	top   int // level of entry; -1 while the graph is empty
	n     int // slots [0, n) were inserted or skipped; later ones are the space's tail
	rng   *rand.Rand
}

// Graph parameters: hnswlib's defaults for M, and ef values that keep recall@1 above 0.99 on
// the seeded test sets (semantic_index_test.go) at 1,536 dimensions.
const (
	graphM   = 16
	graphM0  = 2 * graphM
	graphEfC = 100
	graphEfS = 64
	maxLevel = 12
)

var graphML = 1 / math.Log(graphM)

func newGraph(seed uint64) *graph {
	return &graph{top: -1, rng: rand.New(rand.NewPCG(seed, 0x5eed))}
}

type cand struct {
	sim float32
	id  int32
}

// minHeap is a binary heap of candidates, least similar on top; the search keeps its
// frontier as negated similarities in one so that both queues share the code.
type minHeap []cand

func (h *minHeap) push(c cand) {
	*h = append(*h, c)
	a := *h
	for i := len(a) - 1; i > 0; {
		p := (i - 1) / 2
		if a[p].sim <= a[i].sim {
			break
		}
		a[p], a[i] = a[i], a[p]
		i = p
	}
}

func (h *minHeap) pop() cand {
	a := *h
	top := a[0]
	last := len(a) - 1
	a[0] = a[last]
	a = a[:last]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < len(a) && a[l].sim < a[m].sim {
			m = l
		}
		if r := l + 1; r < len(a) && a[r].sim < a[m].sim {
			m = r
		}
		if m == i {
			break
		}
		a[m], a[i] = a[i], a[m]
		i = m
	}
	*h = a
	return top
}

// scratch is one search's working memory, pooled so that lookups do not allocate.
type scratch struct {
	marks      []uint32
	epoch      uint32
	front, res minHeap
	eps        []cand
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// reset forgets the visited set, for a graph of n slots.
func (sc *scratch) reset(n int) {
	if len(sc.marks) < n {
		sc.marks, sc.epoch = make([]uint32, n+n/4+16), 0
	}
	sc.epoch++
	if sc.epoch == 0 {
		clear(sc.marks)
		sc.epoch = 1
	}
}

// visit marks id and reports whether it was new.
func (sc *scratch) visit(id int32) bool {
	if sc.marks[id] == sc.epoch {
		return false
	}
	sc.marks[id] = sc.epoch
	return true
}

// greedy walks level l from ep to the most similar node it can reach.
func (g *graph) greedy(v view, q []float32, ep cand, l int) cand {
	for changed := true; changed; {
		changed = false
		for _, nb := range g.links[ep.id][l] {
			if sim := v.sim(nb, q); sim > ep.sim {
				ep, changed = cand{sim, nb}, true
			}
		}
	}
	return ep
}

// searchLayer leaves in sc.res the ef nodes of level l most similar to q (tail norms qt) that
// f accepts (all with f nil), starting from sc.eps, which the caller marked visited.
func (g *graph) searchLayer(v view, q []float32, qt [3]float32, ef, l int, f *filter, sc *scratch) {
	sc.front, sc.res = sc.front[:0], sc.res[:0]
	for _, e := range sc.eps {
		sc.front.push(cand{-e.sim, e.id})
		if f == nil || f.ok(v.meta(e.id)) {
			sc.res.push(e)
		}
	}
	for len(sc.front) > 0 {
		c := sc.front.pop()
		if len(sc.res) >= ef && -c.sim < sc.res[0].sim {
			break
		}
		for _, nb := range g.links[c.id][l] {
			if !sc.visit(nb) {
				continue
			}
			var sim float32
			if len(sc.res) < ef {
				sim = v.sim(nb, q)
			} else {
				// Once the results are full a node matters only if it beats the worst of
				// them: the exact scan's bounds skip most of the others half-read.
				h, r := v.row(nb)
				var ok bool
				if sim, ok = v.cuts.reaches(h, r, v.meta(nb).tails, q, qt, sc.res[0].sim-pruneMargin); !ok {
					continue
				}
			}
			if len(sc.res) < ef || sim > sc.res[0].sim {
				sc.front.push(cand{-sim, nb})
				if f == nil || f.ok(v.meta(nb)) {
					sc.res.push(cand{sim, nb})
					if len(sc.res) > ef {
						sc.res.pop()
					}
				}
			}
		}
	}
}

// search returns the live slot most similar to q that the graph finds; the caller holds the
// space's read lock.
func (g *graph) search(v view, q []float32, qt [3]float32, f *filter, sc *scratch) best {
	b := best{sim: -2, slot: -1}
	if g.top < 0 {
		return b
	}
	ep := cand{v.sim(g.entry, q), g.entry}
	for l := g.top; l > 0; l-- {
		ep = g.greedy(v, q, ep, l)
	}
	sc.reset(len(g.links))
	sc.visit(ep.id)
	sc.eps = append(sc.eps[:0], ep)
	g.searchLayer(v, q, qt, graphEfS, 0, f, sc)
	for _, c := range sc.res {
		if c.sim > b.sim {
			b = best{c.sim, c.id}
		}
	}
	return b
}

// link is one neighbour list to replace when a node is published.
type link struct {
	id    int32
	level int
	list  []int32
}

// insert adds slot id (below v.n) to the graph; the caller is the graph's only writer.
func (g *graph) insert(s *space, v view, id int32, sc *scratch) {
	if int(id) != g.n {
		panic("cache: graph insert out of order")
	}
	q := v.full(id, nil)
	qt := v.cuts.tails(q)
	level := min(int(-math.Log(1-g.rng.Float64())*graphML), maxLevel)
	own := make([][]int32, level+1)
	var updates []link
	if g.top >= 0 {
		ep := cand{v.sim(g.entry, q), g.entry}
		for l := g.top; l > level; l-- {
			ep = g.greedy(v, q, ep, l)
		}
		sc.eps = append(sc.eps[:0], ep)
		for l := min(g.top, level); l >= 0; l-- {
			sc.reset(len(g.links))
			for _, e := range sc.eps {
				sc.visit(e.id)
			}
			g.searchLayer(v, q, qt, graphEfC, l, nil, sc)
			found := slices.Clone(sc.res)
			slices.SortFunc(found, func(a, b cand) int { return cmpSim(b, a) })
			nbs := g.selectNeighbors(v, found, graphM)
			own[l] = make([]int32, len(nbs))
			limit := graphM
			if l == 0 {
				limit = graphM0
			}
			for i, nb := range nbs {
				own[l][i] = nb.id
				updates = append(updates, link{nb.id, l, g.withLink(v, nb.id, id, nb.sim, l, limit)})
			}
			sc.eps = append(sc.eps[:0], found...)
		}
	}
	s.mu.Lock()
	g.links = append(g.links, own)
	for _, u := range updates {
		g.links[u.id][u.level] = u.list
	}
	if level > g.top {
		g.entry, g.top = id, level
	}
	g.n++
	s.mu.Unlock()
}

// skip records that slot id was dead when its turn came: it gets no links.
func (g *graph) skip(s *space) {
	s.mu.Lock()
	g.links = append(g.links, nil)
	g.n++
	s.mu.Unlock()
}

func cmpSim(a, b cand) int {
	switch {
	case a.sim < b.sim:
		return -1
	case a.sim > b.sim:
		return 1
	}
	return int(b.id) - int(a.id)
}

// selectNeighbors is the paper's heuristic (algorithm 4): from candidates sorted by
// similarity to the base, keep one only if it is more similar to the base than to every
// neighbour kept so far, which spreads links across clusters instead of spending them all
// inside the nearest one.
func (g *graph) selectNeighbors(v view, sorted []cand, m int) []cand {
	out := make([]cand, 0, m)
	cv := make([]float32, 0, v.hd+v.rd)
	for _, c := range sorted {
		if len(out) == m {
			break
		}
		keep := true
		cv = v.full(c.id, cv)
		for _, r := range out {
			if v.sim(r.id, cv) > c.sim {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, c)
		}
	}
	return out
}

// withLink returns node's level-l list with id added (sim is their similarity), pruned
// back to limit with the same heuristic when it overflows. The list is new: readers may hold
// the old one.
func (g *graph) withLink(v view, node, id int32, sim float32, l, limit int) []int32 {
	old := g.links[node][l]
	if len(old) < limit {
		return append(slices.Clip(old), id)
	}
	nv := v.full(node, nil)
	cands := make([]cand, 0, len(old)+1)
	cands = append(cands, cand{sim, id})
	for _, o := range old {
		cands = append(cands, cand{v.sim(o, nv), o})
	}
	slices.SortFunc(cands, func(a, b cand) int { return cmpSim(b, a) })
	kept := g.selectNeighbors(v, cands, limit)
	out := make([]int32, len(kept))
	for i, c := range kept {
		out[i] = c.id
	}
	return out
}
