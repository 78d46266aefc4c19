package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestScheduleTotalIsRateTimesDuration(t *testing.T) {
	tests := []struct {
		rate int
		d    time.Duration
		want int64
	}{
		{500, 10 * time.Second, 5000},
		{3, time.Second, 3},
		{200, 2 * time.Second, 400},
		{1000, 1500 * time.Millisecond, 1500},
		{7, 100 * time.Millisecond, 0},
	}
	for _, tt := range tests {
		if got := newSchedule(time.Now(), tt.rate, tt.d).total; got != tt.want {
			t.Errorf("newSchedule(rate %d, %v).total = %d, want %d", tt.rate, tt.d, got, tt.want)
		}
	}
}

func TestScheduleDueByCountsSlotsAtOrBeforeNow(t *testing.T) {
	start := time.Unix(1000, 0)
	for _, rate := range []int{1, 3, 7, 500, 1000, 5000} {
		s := newSchedule(start, rate, 2*time.Second)
		if got := s.dueBy(start.Add(-time.Nanosecond)); got != 0 {
			t.Errorf("rate %d: dueBy(before start) = %d, want 0", rate, got)
		}
		for i := range s.total {
			at := s.at(i)
			if got := s.dueBy(at); got != i+1 {
				t.Fatalf("rate %d: dueBy(at(%d)) = %d, want %d", rate, i, got, i+1)
			}
			if i > 0 && at.Sub(s.at(i-1)) > 1 {
				if got := s.dueBy(at.Add(-time.Nanosecond)); got != i {
					t.Fatalf("rate %d: dueBy(at(%d)-1ns) = %d, want %d", rate, i, got, i)
				}
			}
		}
		if got := s.dueBy(start.Add(time.Hour)); got != s.total {
			t.Errorf("rate %d: dueBy(long after) = %d, want total %d", rate, got, s.total)
		}
	}
}

func TestScheduleSlotsAreEvenlySpacedWithoutDrift(t *testing.T) {
	start := time.Unix(0, 0)
	s := newSchedule(start, 3, 10*time.Second) // 1/3 s is not a whole number of ns
	if got, want := s.at(30).Sub(start), 10*time.Second; got != want {
		t.Errorf("at(30) - start = %v, want %v", got, want)
	}
	if got, want := s.at(1).Sub(start), 333333333*time.Nanosecond; got != want {
		t.Errorf("at(1) - start = %v, want %v", got, want)
	}
}

func TestReadStream(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantDone bool
		wantTTFT bool
	}{
		{"complete", "data: {\"id\":1}\n\ndata: {\"id\":2}\n\ndata: [DONE]\n\n", true, true},
		{"done without space", "data:{\"id\":1}\n\ndata:[DONE]\n", true, true},
		{"crlf", "data: {}\r\n\r\ndata: [DONE]\r\n\r\n", true, true},
		{"cut off", "data: {\"id\":1}\n\ndata: {\"id\":2}\n\n", false, true},
		{"data after done", "data: [DONE]\n\ndata: {}\n\n", false, true},
		{"comments only", ": keep-alive\n\n", false, false},
		{"empty", "", false, false},
		{"done inside long line is not a marker", "data: " + strings.Repeat("x", 10000) + "data: [DONE]\n\n", false, true},
		{"long line then done", "data: " + strings.Repeat("x", 10000) + "\n\ndata: [DONE]\n\n", true, true},
	}
	for _, tt := range tests {
		br := bufio.NewReaderSize(strings.NewReader(tt.body), 16)
		ttft, done, err := readStream(br, time.Now())
		if err != nil {
			t.Errorf("%s: readStream: %v", tt.name, err)
		}
		if done != tt.wantDone {
			t.Errorf("%s: readStream done = %v, want %v", tt.name, done, tt.wantDone)
		}
		if (ttft > 0) != tt.wantTTFT {
			t.Errorf("%s: readStream ttft = %v, want seen=%v", tt.name, ttft, tt.wantTTFT)
		}
	}
}

// fakeUpstream answers like mockllm: JSON, or SSE ending in [DONE], and
// fails every fifth request with 500 so error counting is exercised.
func fakeUpstream(t *testing.T) (*httptest.Server, *atomic.Int64) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1)%5 == 0 {
			http.Error(w, `{"error":{"message":"boom"}}`, http.StatusInternalServerError)
			return
		}
		if r.Header.Get("Accept") == "text/event-stream" {
			w.Header().Set("Content-Type", "text/event-stream")
			for i := range 3 {
				fmt.Fprintf(w, "data: {\"i\":%d}\n\n", i)
				w.(http.Flusher).Flush()
			}
			fmt.Fprint(w, "data: [DONE]\n\n")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"x","choices":[]}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

func TestOpenLoopSendsEveryScheduledRequest(t *testing.T) {
	for _, stream := range []bool{false, true} {
		srv, served := fakeUpstream(t)
		d := newDriver(64)
		tgt := newTarget("direct", strings.TrimPrefix(srv.URL, "http://"), upstreamModel, stream)
		// 200 req/s for 250ms is 50 slots, however slow this machine is.
		s := d.openLoop(context.Background(), tgt, 200, 250*time.Millisecond, 64)
		if s.Sent+s.Dropped != 50 {
			t.Errorf("stream=%v: sent %d + dropped %d, want 50 slots", stream, s.Sent, s.Dropped)
		}
		if s.Sent != served.Load() {
			t.Errorf("stream=%v: sent %d, server saw %d", stream, s.Sent, served.Load())
		}
		if s.Non200 != s.Sent/5 || s.OK != s.Sent-s.Non200 || s.Errors != 0 || s.BadStream != 0 {
			t.Errorf("stream=%v: counts %+v, want every fifth non-200 and the rest ok", stream, s.counts)
		}
		if s.latency.N != int(s.OK) || (stream && s.ttft.N != int(s.OK)) {
			t.Errorf("stream=%v: %d latencies, %d ttfts for %d ok", stream, s.latency.N, s.ttft.N, s.OK)
		}
	}
}

func TestOpenLoopDropsSlotsBeyondInflightCap(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		<-release
	}))
	defer srv.Close()
	defer close(release)
	d := newDriver(4)
	tgt := newTarget("direct", strings.TrimPrefix(srv.URL, "http://"), upstreamModel, false)
	go func() {
		// Hold every request until the schedule is over, then let them go.
		time.Sleep(300 * time.Millisecond)
		release <- struct{}{}
		release <- struct{}{}
	}()
	s := d.openLoop(context.Background(), tgt, 100, 100*time.Millisecond, 2)
	if s.Sent != 2 || s.Dropped != 8 {
		t.Errorf("openLoop with cap 2 on a stalled server: sent %d dropped %d, want 2 and 8", s.Sent, s.Dropped)
	}
}

func TestClosedLoopStopsAtDeadline(t *testing.T) {
	srv, served := fakeUpstream(t)
	d := newDriver(8)
	tgt := newTarget("direct", strings.TrimPrefix(srv.URL, "http://"), upstreamModel, false)
	s := d.closedLoop(context.Background(), tgt, 4, 100*time.Millisecond)
	if s.Sent == 0 || s.Sent != served.Load() {
		t.Errorf("closedLoop: sent %d, server saw %d; want equal and > 0", s.Sent, served.Load())
	}
	if s.Dropped != 0 || s.Late != 0 {
		t.Errorf("closedLoop: dropped %d late %d, want 0 (closed loops never skip)", s.Dropped, s.Late)
	}
}
