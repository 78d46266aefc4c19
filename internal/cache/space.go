package cache

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// space holds the vectors of one scope of one namespace: the only entries a lookup of that
// scope may match. Vectors are stored contiguously in chunks (row after row, no per-entry
// pointers) that double from 1 slot up to chunkMax, so a scope of a few entries costs a few
// vectors and a large one streams through memory. Each row is split at the first pruning cut:
// the heads (an eighth of every vector) are contiguous, so the first pass of an exact scan,
// which rejects most vectors, reads one dense array instead of touching a page per vector. Slots are appended in sequence order and
// never rewritten; an entry dies by tombstone (its namespace sequence fell out of the
// max_entries window, or its TTL passed) and its memory returns when the namespace's sweep
// compacts the space.
type space struct {
	dim  int
	cuts cuts

	mu     sync.RWMutex // lookups hold it for reading; Add and graph publication for writing
	n      int          // slots in use
	chunks []*chunk
	g      *graph // nil while the space is searched exactly

	building   bool        // a builder goroutine is inserting slots into g (under mu)
	compacting atomic.Bool // a compaction of this space is under way
	retired    atomic.Bool // replaced or dropped: its builder stops
}

const (
	chunkMax      = 256
	chunkMaxShift = 8
	// smallSlots is the number of slots in the doubling chunks 0..chunkMaxShift.
	smallSlots = 2<<chunkMaxShift - 1
)

type chunk struct {
	heads []float32 // cap × cuts[0]
	rests []float32 // cap × (dim - cuts[0])
	meta  []slotMeta
}

type slotMeta struct {
	key     string
	expires int64  // unix nanoseconds
	seq     uint64 // the namespace's sequence number of the entry
	tails   [3]float32
}

func newSpace(dim int) *space { return &space{dim: dim, cuts: cutsFor(dim)} }

// locate maps a slot to its chunk and offset: chunk i < 9 holds 2^i slots starting at 2^i-1,
// later chunks hold chunkMax each.
func locate(slot int) (int, int) {
	if slot < smallSlots {
		i := bits.Len(uint(slot+1)) - 1
		return i, slot + 1 - 1<<i
	}
	slot -= smallSlots
	return chunkMaxShift + 1 + slot>>chunkMaxShift, slot & (chunkMax - 1)
}

// view is what a reader needs of a space, copied under its lock: chunks only grow, and the
// slots below n are never written again, so it stays valid after the lock is released.
type view struct {
	cuts   cuts
	hd, rd int // lengths of a row's head and rest
	n      int
	chunks []*chunk
}

func (s *space) view() view {
	return view{cuts: s.cuts, hd: s.cuts[0], rd: s.dim - s.cuts[0], n: s.n, chunks: s.chunks}
}

// row returns slot's vector as its head and rest.
func (v view) row(slot int32) ([]float32, []float32) {
	c, off := locate(int(slot))
	ch := v.chunks[c]
	return ch.heads[off*v.hd : (off+1)*v.hd : (off+1)*v.hd], ch.rests[off*v.rd : (off+1)*v.rd : (off+1)*v.rd]
}

// sim is the similarity of slot's vector with q.
func (v view) sim(slot int32, q []float32) float32 {
	h, r := v.row(slot)
	return v.cuts.sim(h, r, q)
}

// full returns slot's vector in one piece, appended to buf[:0].
func (v view) full(slot int32, buf []float32) []float32 {
	h, r := v.row(slot)
	return append(append(buf[:0], h...), r...)
}

func (v view) meta(slot int32) *slotMeta {
	c, off := locate(int(slot))
	return &v.chunks[c].meta[off]
}

// appendSlot copies vec into a new slot; the caller holds s.mu for writing.
func (s *space) appendSlot(vec []float32, m slotMeta) {
	c, off := locate(s.n)
	if c == len(s.chunks) {
		size := chunkMax
		if c <= chunkMaxShift {
			size = 1 << c
		}
		hd := s.cuts[0]
		s.chunks = append(s.chunks, &chunk{heads: make([]float32, size*hd), rests: make([]float32, size*(s.dim-hd)),
			meta: make([]slotMeta, size)})
	}
	ch, hd, rd := s.chunks[c], s.cuts[0], s.dim-s.cuts[0]
	copy(ch.heads[off*hd:(off+1)*hd], vec[:hd])
	copy(ch.rests[off*rd:(off+1)*rd], vec[hd:])
	m.tails = s.cuts.tails(vec)
	ch.meta[off] = m
	s.n++
}

// filter says which slots are alive for one lookup.
type filter struct {
	firstLive uint64 // sequence numbers below are evicted
	now       int64
}

func (f *filter) ok(m *slotMeta) bool { return m.seq >= f.firstLive && f.now < m.expires }

// best is the running answer of a lookup.
type best struct {
	sim  float32
	slot int32
}

// scan compares q with the live slots [from, v.n) exactly and improves b with any that
// reaches the bar (the threshold, or b once b passes it).
func (s *space) scan(v view, q []float32, qt [3]float32, from int, f *filter, threshold float32, b *best) {
	bar := max(threshold, b.sim) - pruneMargin
	for slot := from; slot < v.n; {
		ci, start := locate(slot)
		ch := v.chunks[ci]
		end := min(len(ch.meta), start+v.n-slot)
		for off := start; off < end; off++ {
			m := &ch.meta[off]
			if !f.ok(m) {
				continue
			}
			h := ch.heads[off*v.hd : (off+1)*v.hd : (off+1)*v.hd]
			r := ch.rests[off*v.rd : (off+1)*v.rd : (off+1)*v.rd]
			if sim, ok := s.cuts.reaches(h, r, m.tails, q, qt, bar); ok && sim > b.sim {
				b.sim, b.slot = sim, int32(slot+off-start)
				bar = max(threshold, sim) - pruneMargin
			}
		}
		slot += end - start
	}
}
