package router

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/api"
)

const tiered = `
providers:
  a: {type: openai, base_url: "http://a"}
  b: {type: openai, base_url: "http://b"}
  c: {type: openai, base_url: "http://c"}
routing: {cooldown_failures: 2, cooldown_window: 1m, cooldown_duration: 1m, retry_backoff: 1ms, max_retry_backoff: 10ms}
models:
  - name: tiers
    strategy: round_robin
    max_attempts: 5
    fallbacks: [other]
    targets:
      - {provider: a, model: m, priority: 1}
      - {provider: b, model: m, priority: 1}
      - {provider: c, model: m, priority: 2}
  - name: other
    targets: [{provider: c, model: other}]
`

func providers(ms []*member) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.target.Provider + "/" + m.target.Model
	}
	return out
}

func TestPlanOrdersTiersThenFallbacks(t *testing.T) {
	r, _ := compile(t, tiered).Resolve("tiers")
	seen := map[string]bool{}
	for range 4 {
		p := providers(r.plan(time.Now()))
		if len(p) != 4 || p[2] != "c/m" || p[3] != "c/other" {
			t.Fatalf("plan = %v, want tier 1 (a, b in some order), then tier 2 c/m, then fallback c/other", p)
		}
		seen[p[0]] = true
	}
	if !seen["a/m"] || !seen["b/m"] {
		t.Errorf("round robin never led with both tier-1 targets: %v", seen)
	}
}

func TestCooldownMovesTargetToTheEnd(t *testing.T) {
	r, _ := compile(t, tiered).Resolve("tiers")
	a := r.tiers[0][0]
	now := time.Now()
	a.failed(now, r.policy)
	if a.coolingDown(now) {
		t.Fatalf("one failure started a cooldown; the threshold is 2")
	}
	a.failed(now, r.policy)
	if !a.coolingDown(now) {
		t.Fatalf("two failures in the window did not start a cooldown")
	}
	p := providers(r.plan(now))
	if p[len(p)-1] != "a/m" {
		t.Errorf("plan = %v, want the cooling target last (probed only when all else failed)", p)
	}
	if a.coolingDown(now.Add(2 * time.Minute)) {
		t.Errorf("still cooling after the cooldown duration")
	}
}

func TestDoStopsOnNonRetryableAndRetriesRetryable(t *testing.T) {
	r, _ := compile(t, tiered).Resolve("tiers")
	var res Result
	calls := 0
	err := r.do(context.Background(), &res, func(context.Context, *member) error {
		calls++
		return api.Errorf("invalid_request", "bad")
	})
	if calls != 1 || res.Attempts != 1 || err == nil {
		t.Errorf("non-retryable: %d calls, %d attempts, err %v", calls, res.Attempts, err)
	}

	res, calls = Result{}, 0
	var served string
	err = r.do(context.Background(), &res, func(_ context.Context, m *member) error {
		calls++
		if m.target.Model == "other" {
			served = m.target.Provider + "/" + m.target.Model
			return nil
		}
		return api.Errorf("upstream_unreachable", "down")
	})
	if err != nil || served != "c/other" || res.Attempts != 4 || !res.Fallback || res.Route != "other" {
		t.Errorf("retryable: err %v, served %q, result %+v; want the fallback route after 4 attempts", err, served, res)
	}
}

func TestDoGivesUpOnLongRetryAfter(t *testing.T) {
	cfg := `
providers:
  a: {type: openai, base_url: "http://a"}
routing: {retry_backoff: 1ms, max_retry_backoff: 50ms}
models:
  - name: one
    max_attempts: 3
    targets: [{provider: a, model: m}]
`
	r, _ := compile(t, cfg).Resolve("one")
	var res Result
	e := api.Errorf("upstream_error", "busy")
	e.Status, e.RetryAfter = 429, time.Minute
	err := r.do(context.Background(), &res, func(context.Context, *member) error { return e })
	if !errors.Is(err, e) || res.Attempts != 1 {
		t.Errorf("with retry-after 1m and max backoff 50ms: %d attempts, err %v; want 1 and the 429 back", res.Attempts, err)
	}
}

func TestLeastBusyAndLeastLatency(t *testing.T) {
	r, _ := compile(t, tiered).Resolve("tiers")
	a, b := r.tiers[0][0], r.tiers[0][1]
	a.inflight.Store(5)
	ms := []*member{a, b}
	leastBusyOrder(r, ms)
	if ms[0] != b {
		t.Errorf("least_busy put the busier target first")
	}
	a.observe(100 * time.Millisecond)
	b.observe(10 * time.Millisecond)
	ms = []*member{a, b}
	leastLatencyOrder(r, ms)
	if ms[0] != b {
		t.Errorf("least_latency put the slower target first")
	}
	for range 50 {
		a.observe(time.Millisecond)
	}
	ms = []*member{a, b}
	leastLatencyOrder(r, ms)
	if ms[0] != a {
		t.Errorf("the moving average did not follow a target that became fast")
	}
}

// BenchmarkRoutingDecision is the per-request cost of resolving a model and planning attempts.
func BenchmarkRoutingDecision(b *testing.B) {
	table := compile(b, tiered)
	b.ReportAllocs()
	for b.Loop() {
		r, err := table.Resolve("tiers")
		if err != nil {
			b.Fatal(err)
		}
		if len(r.plan(time.Now())) == 0 {
			b.Fatal("empty plan")
		}
	}
}
