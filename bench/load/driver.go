package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// lateAfter is how far behind its slot a request may leave before it counts
// as late. Go timers on Linux wake with roughly millisecond precision and the
// scheduler dispatches in batches, so anything under this is pacing jitter;
// beyond it the load generator itself was starved of CPU.
const lateAfter = 10 * time.Millisecond

// requestTimeout bounds one request so a wedged server cannot stall the
// drain at the end of a run forever.
const requestTimeout = 30 * time.Second

// target is one endpoint under load with its pre-marshaled body.
type target struct {
	name   string // "direct" (mockllm) or "sluice"
	url    string
	body   []byte
	header http.Header // shared read-only by all requests; the transport never writes it
	stream bool
}

// driver sends requests through one tuned client shared by every run.
type driver struct {
	client  *http.Client
	readers sync.Pool // *bufio.Reader, reused across streamed responses
}

// newDriver returns a driver whose transport keeps up to maxConns idle
// connections: the default of 2 per host would make most requests dial anew
// and measure the kernel's handshake instead of the servers.
func newDriver(maxConns int) *driver {
	tr := &http.Transport{
		Proxy:               nil, // loopback only; never honour HTTP_PROXY
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConnsPerHost: maxConns,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true, // the servers under test may not compress; keep bytes comparable
		WriteBufferSize:     4 << 10,
		ReadBufferSize:      4 << 10,
	}
	d := &driver{client: &http.Client{Transport: tr, Timeout: requestTimeout}}
	d.readers.New = func() any { return bufio.NewReaderSize(nil, 4<<10) }
	return d
}

// do sends one request and reads the whole answer. start is the time the
// request was meant to leave, so queueing inside the load generator counts
// against the latency instead of hiding it (no coordinated omission).
func (d *driver) do(ctx context.Context, t *target, start time.Time) outcome {
	o := outcome{stream: t.stream}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url, bytes.NewReader(t.body))
	if err != nil {
		o.err = err
		return o
	}
	req.Header = t.header
	resp, err := d.client.Do(req)
	if err != nil {
		o.err = err
		return o
	}
	defer resp.Body.Close()
	o.status = resp.StatusCode
	if resp.StatusCode != http.StatusOK || !t.stream {
		// Drain fully: the body is part of the answer, and an unread body
		// keeps the connection from being reused.
		_, o.err = io.Copy(io.Discard, resp.Body)
		o.latency = time.Since(start)
		return o
	}
	br := d.readers.Get().(*bufio.Reader)
	br.Reset(resp.Body)
	o.ttft, o.streamEnd, o.err = readStream(br, start)
	br.Reset(nil) // do not pin the body in the pool
	d.readers.Put(br)
	o.latency = time.Since(start)
	return o
}

var (
	dataPrefix = []byte("data:")
	doneMarker = []byte("[DONE]")
)

// readStream reads an SSE body to the end. It returns the time from start
// to the first data line and whether the last data line was [DONE], which
// is how OpenAI-compatible servers say the stream completed rather than
// broke off. It copies nothing: lines are inspected in the reader's buffer.
func readStream(br *bufio.Reader, start time.Time) (ttft time.Duration, done bool, err error) {
	atLineStart := true
	for {
		line, rerr := br.ReadSlice('\n')
		if atLineStart && bytes.HasPrefix(line, dataPrefix) {
			if ttft == 0 {
				ttft = max(time.Since(start), 1) // 0 means "not seen yet"
			}
			done = bytes.Equal(bytes.TrimSpace(line[len(dataPrefix):]), doneMarker)
		}
		// A line longer than the buffer arrives in pieces; only the first
		// piece starts a line.
		atLineStart = !errors.Is(rerr, bufio.ErrBufferFull)
		switch {
		case rerr == nil, errors.Is(rerr, bufio.ErrBufferFull):
		case errors.Is(rerr, io.EOF):
			return ttft, done, nil
		default:
			return ttft, done, rerr
		}
	}
}

// schedule is the open-loop timetable: request i is due at start + i/rate,
// whatever happened to the requests before it.
type schedule struct {
	start time.Time
	rate  int64 // requests per second
	total int64
}

func newSchedule(start time.Time, rate int, d time.Duration) schedule {
	return schedule{start: start, rate: int64(rate), total: int64(rate) * int64(d) / int64(time.Second)}
}

// at is the slot of request i. It is computed from i rather than by adding
// an interval, so rounding never accumulates into drift.
func (s schedule) at(i int64) time.Time {
	return s.start.Add(time.Duration(i * int64(time.Second) / s.rate))
}

// dueBy is how many requests have a slot at or before now, capped at total.
func (s schedule) dueBy(now time.Time) int64 {
	e := int64(now.Sub(s.start))
	if e < 0 {
		return 0
	}
	// at(i) <= now  <=>  i*1e9/rate < e+1  <=>  i < (e+1)*rate/1e9
	n := ((e+1)*s.rate + int64(time.Second) - 1) / int64(time.Second)
	return min(n, s.total)
}

// openLoop sends rate requests per second for d, each at its slot no matter
// how many are still in flight. At most maxInflight are outstanding; slots
// that find the cap full are dropped and counted, which bounds sockets and
// goroutines when the server falls behind.
func (d *driver) openLoop(ctx context.Context, t *target, rate int, dur time.Duration, maxInflight int) summary {
	s := newSchedule(time.Now(), rate, dur)
	r := &openRun{ctx: ctx, d: d, t: t, rec: newRecorder(s.start, int(s.total)), sem: make(chan struct{}, maxInflight)}
	timer := time.NewTimer(0)
	defer timer.Stop()
	for next := int64(0); next < s.total; {
		for due := s.dueBy(time.Now()); next < due; next++ {
			select {
			case r.sem <- struct{}{}:
				r.wg.Add(1)
				go r.fire(s.at(next))
			default:
				r.rec.drop()
			}
		}
		if next >= s.total {
			break
		}
		timer.Reset(time.Until(s.at(next)))
		select {
		case <-ctx.Done():
			next = s.total
		case <-timer.C:
		}
	}
	r.wg.Wait()
	r.rec.finish(time.Now())
	return r.rec.summarize()
}

// openRun carries what each fired request needs, so that starting one is a
// plain method call instead of a fresh closure.
type openRun struct {
	ctx context.Context
	d   *driver
	t   *target
	rec *recorder
	sem chan struct{}
	wg  sync.WaitGroup
}

func (r *openRun) fire(at time.Time) {
	defer r.wg.Done()
	late := time.Since(at) > lateAfter
	o := r.d.do(r.ctx, r.t, at)
	<-r.sem
	o.late = late
	r.rec.add(o)
}

// closedLoop runs workers that each send the next request as soon as the
// previous one finished, for dur: the highest rate the pair of servers
// sustains. Latency here is measured from the actual send.
func (d *driver) closedLoop(ctx context.Context, t *target, workers int, dur time.Duration) summary {
	start := time.Now()
	deadline := start.Add(dur)
	rec := newRecorder(start, 1<<16)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				rec.add(d.do(ctx, t, time.Now()))
			}
		})
	}
	wg.Wait()
	rec.finish(time.Now())
	return rec.summarize()
}
