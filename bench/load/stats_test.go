package main

import (
	"errors"
	"testing"
	"time"
)

func TestPercentileIsNearestRank(t *testing.T) {
	hundred := make([]time.Duration, 100)
	for i := range hundred {
		hundred[i] = time.Duration(i + 1)
	}
	tests := []struct {
		name   string
		sorted []time.Duration
		p      float64
		want   time.Duration
	}{
		{"empty", nil, 50, 0},
		{"single p50", []time.Duration{7}, 50, 7},
		{"single p99", []time.Duration{7}, 99, 7},
		{"1..100 p50", hundred, 50, 50},
		{"1..100 p90", hundred, 90, 90},
		{"1..100 p99", hundred, 99, 99},
		{"1..100 p100", hundred, 100, 100},
		{"ten p90 exact rank", hundred[:10], 90, 9},
		{"ten p99 rounds up", hundred[:10], 99, 10},
		{"four p50", []time.Duration{1, 2, 3, 4}, 50, 2},
		{"tiny p rounds up to first", hundred, 0.001, 1},
	}
	for _, tt := range tests {
		if got := percentile(tt.sorted, tt.p); got != tt.want {
			t.Errorf("%s: percentile(len %d, %v) = %v, want %v", tt.name, len(tt.sorted), tt.p, got, tt.want)
		}
	}
}

func TestRecorderClassifiesOutcomes(t *testing.T) {
	start := time.Unix(0, 0)
	r := newRecorder(start, 0)
	r.add(outcome{status: 200, latency: 3 * time.Millisecond})
	r.add(outcome{status: 200, latency: 1 * time.Millisecond, late: true})
	r.add(outcome{status: 200, latency: 2 * time.Millisecond, stream: true, streamEnd: true, ttft: time.Millisecond})
	r.add(outcome{status: 200, latency: 9 * time.Second, stream: true, streamEnd: false})
	r.add(outcome{status: 502, latency: 9 * time.Second})
	r.add(outcome{err: errors.New("connection refused"), status: 200})
	r.drop()
	r.finish(start.Add(2 * time.Second))
	s := r.summarize()

	want := counts{Sent: 6, OK: 3, Errors: 1, Non200: 1, BadStream: 1, Late: 1, Dropped: 1}
	if s.counts != want {
		t.Errorf("counts = %+v, want %+v", s.counts, want)
	}
	if s.failed() != 4 {
		t.Errorf("failed() = %d, want 4", s.failed())
	}
	// Only good answers carry latencies, so failures cannot flatter p50.
	if s.latency.N != 3 || s.latency.Max != 3*time.Millisecond || s.latency.P50 != 2*time.Millisecond {
		t.Errorf("latency = %+v, want n=3 p50=2ms max=3ms", s.latency)
	}
	if s.ttft.N != 1 || s.ttft.P50 != time.Millisecond {
		t.Errorf("ttft = %+v, want one sample of 1ms", s.ttft)
	}
	if s.elapsed != 2*time.Second {
		t.Errorf("elapsed = %v, want 2s", s.elapsed)
	}
}

func TestAchievedRPSIsIntervalsBetweenGoodAnswers(t *testing.T) {
	base := time.Unix(0, 0)
	tests := []struct {
		ok      int64
		span    time.Duration
		wantRPS float64
	}{
		{0, 0, 0},
		{1, 0, 0},
		{11, time.Second, 10},
		{501, 2 * time.Second, 250},
	}
	for _, tt := range tests {
		s := summary{counts: counts{OK: tt.ok}, okSpan: tt.span, elapsed: base.Add(time.Hour).Sub(base)}
		if got := s.achievedRPS(); got != tt.wantRPS {
			t.Errorf("achievedRPS(ok %d over %v) = %v, want %v", tt.ok, tt.span, got, tt.wantRPS)
		}
	}
}
