package cache

import "math"

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

// dot is the inner product of a and b (len(b) >= len(a)). Eight independent accumulators
// let the CPU overlap the multiply-adds, and the fixed-size sub-slices drop bounds checks:
// about three times the speed of the naive loop, without assembly.
func dot(a, b []float32) float32 {
	var s0, s1, s2, s3, s4, s5, s6, s7 float32
	i := 0
	for ; i+8 <= len(a); i += 8 {
		x, y := a[i:i+8:i+8], b[i:i+8:i+8]
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
		s4 += x[4] * y[4]
		s5 += x[5] * y[5]
		s6 += x[6] * y[6]
		s7 += x[7] * y[7]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// pruneMargin absorbs float32 rounding in partial dot products and norms, so a bound never
// rejects a vector whose exact similarity reaches the bar.
const pruneMargin = 1e-4

// cuts are the prefix lengths after which an exact scan checks whether a vector can still
// reach the bar. By Cauchy–Schwarz, for unit vectors a and b and any cut c,
//
//	a·b ≤ a[:c]·b[:c] + ‖a[c:]‖·‖b[c:]‖
//
// so once the prefix product plus the product of the remaining norms is below the bar, the
// rest need not be read. With the default threshold 0.95 most non-matches stop after an
// eighth or a quarter of their dimensions, which is what makes the exact scan cheap: the
// decision stays exact, unlike a quantized first pass.
type cuts [3]int

func cutsFor(dim int) cuts {
	return cuts{dim / 8 &^ 7, dim / 4 &^ 7, dim / 2 &^ 7}
}

// tails returns the norms of v after each cut, rounded up a little.
func (c cuts) tails(v []float32) [3]float32 {
	var out [3]float32
	var sum float64
	k, i := 2, len(v)-1
	for ; i >= 0; i-- {
		for k >= 0 && i < c[k] {
			out[k] = float32(math.Sqrt(sum) * (1 + 1e-6))
			k--
		}
		sum += float64(v[i]) * float64(v[i])
	}
	for ; k >= 0; k-- {
		out[k] = float32(math.Sqrt(sum) * (1 + 1e-6))
	}
	return out
}

// sim is the similarity of a stored unit vector, split at the first cut into h and r, with
// q, summed per cut segment so that every path (pruned scan, graph search) computes the
// identical float32 value.
func (c cuts) sim(h, r, q []float32) float32 {
	s := dot(h, q)
	s += dot(r[:c[1]-c[0]], q[c[0]:])
	s += dot(r[c[1]-c[0]:c[2]-c[0]], q[c[1]:])
	return s + dot(r[c[2]-c[0]:], q[c[2]:])
}

// reaches reports whether the stored unit vector h|r (with tail norms at) can have
// similarity ≥ bar with q (tail norms qt), and the similarity when it was computed in full.
func (c cuts) reaches(h, r []float32, at [3]float32, q []float32, qt [3]float32, bar float32) (float32, bool) {
	s := dot(h, q)
	if s+at[0]*qt[0] < bar {
		return 0, false
	}
	s += dot(r[:c[1]-c[0]], q[c[0]:])
	if s+at[1]*qt[1] < bar {
		return 0, false
	}
	s += dot(r[c[1]-c[0]:c[2]-c[0]], q[c[1]:])
	if s+at[2]*qt[2] < bar {
		return 0, false
	}
	return s + dot(r[c[2]-c[0]:], q[c[2]:]), true
}
