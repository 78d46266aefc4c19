package main

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func fakeRun(mode, target string, rate, workers int, p50 float64) runResult {
	r := runResult{Mode: mode, Target: target, Loop: "open", TargetRPS: rate, Latency: msDist{P50: p50, P90: p50 + 1, P99: p50 + 2}}
	r.OK, r.AchievedRPS = 100, 1000
	if rate == 0 {
		r.Loop, r.Concurrency = "closed", workers
	}
	return r
}

func TestFinishPairsRatesAndFlagsConcurrencyBoundRuns(t *testing.T) {
	rep := newReport(config{latency: 50 * time.Millisecond})
	rep.Runs = []runResult{
		fakeRun(modeNonStream, "direct", 500, 0, 51),
		fakeRun(modeNonStream, "sluice", 500, 0, 51.5),
		fakeRun(modeNonStream, "direct", 0, 256, 52), // within 10% of 51: out of workers
		fakeRun(modeNonStream, "sluice", 0, 256, 80), // queueing: the real limit
		fakeRun(modeStream, "sluice", 0, 256, 95),    // no open-loop run: configured floor 50ms
	}
	rep.finish()

	if len(rep.Added) != 1 {
		t.Fatalf("finish: %d added-latency rows, want 1 (closed loops are not paired)", len(rep.Added))
	}
	if a := rep.Added[0]; a.TargetRPS != 500 || a.P50 != 0.5 || a.P99 != 0.5 {
		t.Errorf("added latency = %+v, want rate 500 p50 +0.5 p99 +0.5", a)
	}
	for i, want := range map[int]bool{2: true, 3: false, 4: false} {
		if got := rep.Runs[i].ConcurrencyBound; got != want {
			t.Errorf("run %d (%s %s p50 %v): ConcurrencyBound = %v, want %v",
				i, rep.Runs[i].Mode, rep.Runs[i].Target, rep.Runs[i].Latency.P50, got, want)
		}
	}

	var out bytes.Buffer
	rep.writeTable(&out)
	for _, want := range []string{"added latency", "max/256", "bound by --concurrency", "share these"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("writeTable output lacks %q:\n%s", want, out.String())
		}
	}
}
