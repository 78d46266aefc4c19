package cache

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"testing"
	"time"
)

// embeddings makes seeded synthetic embeddings shaped like real ones: every vector shares a
// common direction (real embedding spaces are anisotropic), belongs to one of 64 topics, and
// has its own noise, so unrelated vectors have cosine ≈ 0.26 and vectors of one topic ≈ 0.63.
// Uniform random vectors (cosine ≈ 0) would flatter both pruning and graph search.
type embeddings struct {
	r       *rand.Rand
	dim     int
	common  []float32
	centers [][]float32
}

func newEmbeddings(seed uint64, dim int) *embeddings {
	g := &embeddings{r: rand.New(rand.NewPCG(seed, 7)), dim: dim}
	g.common = g.random()
	for range 64 {
		g.centers = append(g.centers, g.random())
	}
	return g
}

func (g *embeddings) random() []float32 {
	v := make([]float32, g.dim)
	for i := range v {
		v[i] = float32(g.r.NormFloat64())
	}
	Normalize(v)
	return v
}

// next returns a new normalized vector of a random topic.
func (g *embeddings) next() []float32 {
	c, n := g.centers[g.r.IntN(len(g.centers))], g.random()
	v := make([]float32, g.dim)
	for i := range v {
		v[i] = 0.5*g.common[i] + 0.6*c[i] + 0.6*n[i]
	}
	Normalize(v)
	return v
}

// near returns a normalized copy of v moved by noise of norm eps (cosine ≈ 1/sqrt(1+eps²)).
func (g *embeddings) near(v []float32, eps float32) []float32 {
	n, out := g.random(), make([]float32, len(v))
	for i := range v {
		out[i] = v[i] + eps*n[i]
	}
	Normalize(out)
	return out
}

var benchSizes = []int{1000, 10000, 50000}

// BenchmarkSemanticLookup is one lookup in one tenant's scope of n entries: "miss" is a new
// question of a known topic (nothing reaches the 0.95 threshold, the common case and the
// most work for an exact scan), "hit" a rephrasing of a stored one (cosine ≈ 0.98).
func BenchmarkSemanticLookup(b *testing.B) {
	for _, dim := range []int{1536, 768} {
		for _, n := range benchSizes {
			for _, mode := range benchModes {
				x, g, stored := benchIndex(b, mode, n, dim)
				queries := map[string][]float32{"miss": g.next(), "hit": g.near(stored[n/2], 0.2)}
				for _, kind := range []string{"miss", "hit"} {
					q := queries[kind]
					b.Run(fmt.Sprintf("%s/n=%dk/dim=%d/%s", mode, n/1000, dim, kind), func(b *testing.B) {
						b.ReportAllocs()
						cpu := cpuTime()
						for b.Loop() {
							x.Lookup("team:a", "s", q)
						}
						reportCPU(b, cpu)
					})
				}
				x.Close()
				runtime.GC()
			}
		}
	}
}

// BenchmarkSemanticAdd is the cost of one Add to a full scope (evicting the oldest entry), as
// the request path pays it; graph insertion happens off that path.
func BenchmarkSemanticAdd(b *testing.B) {
	for _, mode := range benchModes {
		b.Run(fmt.Sprintf("%s/n=10k/dim=1536", mode), func(b *testing.B) {
			x, g, _ := benchIndex(b, mode, 10000, 1536)
			defer x.Close()
			vecs := make([][]float32, 256)
			for i := range vecs {
				vecs[i] = g.next()
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				x.Add("team:a", "s", "k"+strconv.Itoa(i), vecs[i%len(vecs)], time.Hour)
				i++
			}
			b.StopTimer()
			// What the builder spent inserting those entries into the graph, per entry.
			cpu := cpuTime()
			x.wait()
			reportCPU(b, cpu)
			b.StartTimer()
		})
	}
}

// BenchmarkSemanticMemory reports the heap bytes one entry costs (1,536 dimensions, 64-byte
// keys as the gateway makes them), vector included.
func BenchmarkSemanticMemory(b *testing.B) {
	const n, dim = 10000, 1536
	for _, mode := range benchModes {
		b.Run(string(mode), func(b *testing.B) {
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				g := newEmbeddings(3, dim)
				vecs := make([][]float32, n)
				for i := range vecs {
					vecs[i] = g.next()
				}
				x := benchNew(mode, n)
				for i, v := range vecs {
					x.Add("team:a", "s", fmt.Sprintf("%064d", i), v, time.Hour)
				}
				x.wait()
				vecs, g = nil, nil
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/entry")
				runtime.KeepAlive(x)
				x.Close()
			}
		})
	}
}

func reportCPU(b *testing.B, since time.Duration) {
	b.ReportMetric(float64(cpuTime()-since)/float64(b.N), "cpu-ns/op")
}

func benchIndex(b *testing.B, mode IndexMode, n, dim int) (*Index, *embeddings, [][]float32) {
	b.Helper()
	g := newEmbeddings(uint64(n+dim), dim)
	x := benchNew(mode, n)
	stored := make([][]float32, n)
	for i := range stored {
		stored[i] = g.next()
		x.Add("team:a", "s", strconv.Itoa(i), stored[i], time.Hour)
	}
	x.wait()
	return x, g, stored
}

var benchModes = []IndexMode{IndexExact, IndexHNSW}

func benchNew(mode IndexMode, n int) *Index {
	return NewIndexWith(IndexOptions{MaxEntries: n, Threshold: 0.95, Mode: mode})
}
