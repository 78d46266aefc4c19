package store

import (
	"math"
	"testing"
	"time"
)

// TestLatencyBucketsAreContiguousAndEstimatesWithinBound checks every whole millisecond up
// to the last bucket: its bucket's range holds it, buckets only grow, and the estimate
// reported for its bucket is within LatencyErrorBound of it plus 1 ms.
func TestLatencyBucketsAreContiguousAndEstimatesWithinBound(t *testing.T) {
	prev := 0
	for ms := int64(0); ms < 1<<19; ms++ {
		b := LatencyBucket(ms)
		if b < prev || b > prev+2 || b >= LatencyBuckets-1 {
			t.Fatalf("LatencyBucket(%d) = %d after %d", ms, b, prev)
		}
		prev = b
		if ms > 0 && (ms < LatencyBucketMin(b) || ms >= LatencyBucketMin(b+1)) {
			t.Fatalf("LatencyBucket(%d) = %d, whose range is [%d, %d)", ms, b, LatencyBucketMin(b), LatencyBucketMin(b+1))
		}
		if e := LatencyEstimate(b); math.Abs(float64(e-ms)) > LatencyErrorBound*float64(ms)+1 {
			t.Fatalf("LatencyEstimate(bucket of %d ms) = %d: beyond the bound", ms, e)
		}
	}
	if b := LatencyBucket(1 << 19); b != LatencyBuckets-1 {
		t.Errorf("LatencyBucket(2^19) = %d, want the last bucket", b)
	}
	if b := LatencyBucket(math.MaxInt64); b != LatencyBuckets-1 {
		t.Errorf("LatencyBucket(MaxInt64) = %d, want the last bucket", b)
	}
}

func TestHistogramPercentileIsNearestRank(t *testing.T) {
	var h [LatencyBuckets]int64
	if got := HistogramPercentile(&h, 0.5); got != 0 {
		t.Errorf("HistogramPercentile(empty) = %d, want 0", got)
	}
	for _, ms := range []int64{1, 2, 3, 100, 100, 100, 100, 100, 100, 5000} { // buckets of 1..3 hold one value each
		h[LatencyBucket(ms)]++
	}
	for _, c := range []struct {
		p    float64
		want int64
	}{{0.1, 1}, {0.2, 2}, {0.3, 3}, {0.5, LatencyEstimate(LatencyBucket(100))}, {0.99, LatencyEstimate(LatencyBucket(5000))}} {
		if got := HistogramPercentile(&h, c.p); got != c.want {
			t.Errorf("HistogramPercentile(p=%g) = %d, want %d", c.p, got, c.want)
		}
	}
}

func TestRollupCanAnswerNeedsWholeHoursCoverageAndNoTags(t *testing.T) {
	h := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	epoch := time.Unix(0, 0).UTC()
	for _, c := range []struct {
		name    string
		f       RequestLogFilter
		groupBy []string
		cov     time.Time
		want    bool
	}{
		{"everything, all covered", RequestLogFilter{}, []string{DimModel, DimCacheResult}, epoch, true},
		{"whole hours", RequestLogFilter{Since: h, Until: h.Add(3 * time.Hour), TeamID: "t"}, nil, epoch, true},
		{"minute start", RequestLogFilter{Since: h.Add(time.Minute)}, nil, epoch, false},
		{"minute end", RequestLogFilter{Until: h.Add(time.Second)}, nil, epoch, false},
		{"metadata filter", RequestLogFilter{Metadata: map[string]string{"app": "x"}}, nil, epoch, false},
		{"metadata dimension", RequestLogFilter{}, []string{"metadata.app"}, epoch, false},
		{"inside coverage", RequestLogFilter{Since: h}, nil, h, true},
		{"before coverage", RequestLogFilter{Since: h}, nil, h.Add(time.Hour), false},
		{"no start, partial coverage", RequestLogFilter{}, nil, h, false},
	} {
		if got, why := RollupCanAnswer(c.f, c.groupBy, c.cov); got != c.want || (!got && why == "") {
			t.Errorf("RollupCanAnswer(%s) = %v, %q; want %v with a reason when false", c.name, got, why, c.want)
		}
	}
}
