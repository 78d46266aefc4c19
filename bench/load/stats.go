package main

import (
	"math"
	"slices"
	"sync"
	"time"
)

// outcome is what one request produced. It is returned by value so that
// recording a request allocates nothing beyond what net/http needs.
type outcome struct {
	err       error
	status    int
	latency   time.Duration // from the intended start to the last byte read
	ttft      time.Duration // streams only: intended start to the first "data:" line
	stream    bool
	streamEnd bool // the last data line was [DONE]
	late      bool // the load generator sent it more than lateAfter after its slot
}

// counts classify every request of a run; only OK requests have latencies.
type counts struct {
	Sent      int64 `json:"sent"`       // requests actually issued
	OK        int64 `json:"ok"`         // 200 and, for streams, ended with [DONE]
	Errors    int64 `json:"errors"`     // transport errors (refused, reset, timeout)
	Non200    int64 `json:"non_200"`    // any other HTTP status
	BadStream int64 `json:"bad_stream"` // 200 but the stream did not end with [DONE]
	Late      int64 `json:"late"`       // open loop: sent more than lateAfter after the slot
	Dropped   int64 `json:"dropped"`    // open loop: never sent, the in-flight cap was full
}

// failed is every request that did not produce a usable answer.
func (c counts) failed() int64 { return c.Errors + c.Non200 + c.BadStream + c.Dropped }

// recorder collects one run. A mutex-guarded slice keeps exact percentiles;
// at the few thousand requests per second two cores allow, the lock is noise
// next to the HTTP work it measures.
type recorder struct {
	mu    sync.Mutex
	c     counts
	lat   []time.Duration
	ttft  []time.Duration
	start time.Time
	end   time.Time
	// firstOK and lastOK bound the good answers in time; see achievedRPS.
	firstOK, lastOK time.Time
}

func newRecorder(start time.Time, expected int) *recorder {
	return &recorder{
		start: start,
		lat:   make([]time.Duration, 0, expected),
		ttft:  make([]time.Duration, 0, expected),
	}
}

func (r *recorder) add(o outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.c.Sent++
	if o.late {
		r.c.Late++
	}
	switch {
	case o.err != nil:
		r.c.Errors++
	case o.status != 200:
		r.c.Non200++
	case o.stream && !o.streamEnd:
		r.c.BadStream++
	default:
		now := time.Now()
		if r.c.OK == 0 {
			r.firstOK = now
		}
		r.lastOK = now
		r.c.OK++
		r.lat = append(r.lat, o.latency)
		if o.stream {
			r.ttft = append(r.ttft, o.ttft)
		}
	}
}

func (r *recorder) drop() {
	r.mu.Lock()
	r.c.Dropped++
	r.mu.Unlock()
}

// finish marks the moment the last in-flight request completed.
func (r *recorder) finish(end time.Time) {
	r.mu.Lock()
	r.end = end
	r.mu.Unlock()
}

// summary is a finished run reduced to numbers.
type summary struct {
	counts
	elapsed time.Duration // first slot to the end of the drain
	okSpan  time.Duration // first good answer to the last
	latency dist
	ttft    dist
}

// dist holds the percentiles of one distribution.
type dist struct {
	N                        int
	P50, P90, P99, Max, Mean time.Duration
}

// summarize sorts the samples in place; call it once, after finish.
func (r *recorder) summarize() summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	return summary{
		counts:  r.c,
		elapsed: r.end.Sub(r.start),
		okSpan:  r.lastOK.Sub(r.firstOK),
		latency: distOf(r.lat),
		ttft:    distOf(r.ttft),
	}
}

func distOf(samples []time.Duration) dist {
	slices.Sort(samples)
	d := dist{
		N:   len(samples),
		P50: percentile(samples, 50),
		P90: percentile(samples, 90),
		P99: percentile(samples, 99),
	}
	if len(samples) > 0 {
		d.Max = samples[len(samples)-1]
		var sum time.Duration
		for _, s := range samples {
			sum += s
		}
		d.Mean = sum / time.Duration(len(samples))
	}
	return d
}

// percentile returns the nearest-rank p-th percentile (0 < p <= 100) of
// sorted: the smallest sample with at least p% of samples at or below it.
// Nearest rank never invents a value between two samples, so p99 of a run is
// a latency some request really saw.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	// p*n first keeps whole-number percentiles exact in float64.
	rank := int(math.Ceil(p * float64(len(sorted)) / 100))
	rank = min(max(rank, 1), len(sorted))
	return sorted[rank-1]
}

// achievedRPS is the rate at which good answers came out: n answers span
// n-1 intervals between the first and the last. Dividing by the run length
// instead would charge a server that keeps up perfectly for the one latency
// it takes the first answer to arrive; a server that falls behind spreads its
// answers over the drain and scores lower, as it should.
func (s summary) achievedRPS() float64 {
	if s.OK < 2 || s.okSpan <= 0 {
		return 0
	}
	return float64(s.OK-1) / s.okSpan.Seconds()
}
