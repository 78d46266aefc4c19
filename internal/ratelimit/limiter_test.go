package ratelimit

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a settable monotonic clock.
type fakeClock struct{ t atomic.Int64 }

func (c *fakeClock) now() int64              { return c.t.Load() }
func (c *fakeClock) advance(d time.Duration) { c.t.Add(int64(d)) }

func newTestLimiter() (*Limiter, *fakeClock) {
	c := &fakeClock{}
	c.t.Store(int64(time.Hour)) // far from zero, like a real clock after start
	return NewWithClock(c.now), c
}

func TestRPMAdmitsBurstThenOneRequestPerInterval(t *testing.T) {
	l, clock := newTestLimiter()
	req := &Request{Key: "k1", KeyLimits: Limits{RPM: 60}}
	for i := range 60 {
		d := l.Admit(nil, req)
		if !d.Allowed {
			t.Fatalf("Admit #%d of a 60 rpm key: refused, want allowed (burst of the whole minute)", i+1)
		}
		if want := int64(59 - i); d.Status.RequestRemaining != want {
			t.Fatalf("Admit #%d: remaining %d, want %d", i+1, d.Status.RequestRemaining, want)
		}
		if want := time.Duration(i+1) * time.Second; d.Status.RequestReset != want {
			t.Fatalf("Admit #%d: reset %s, want %s", i+1, d.Status.RequestReset, want)
		}
		d.Ticket.Settle(-1)
	}
	d := l.Admit(nil, req)
	if d.Allowed || d.Kind != KindRequests || d.Scope != ScopeKey {
		t.Fatalf("Admit #61: allowed=%v kind=%v scope=%v, want refused on requests by key", d.Allowed, d.Kind, d.Scope)
	}
	if d.RetryAfter != time.Second {
		t.Fatalf("Admit #61: retry after %s, want 1s (one emission interval)", d.RetryAfter)
	}
	clock.advance(999 * time.Millisecond)
	if l.Admit(nil, req).Allowed {
		t.Fatal("Admit 999ms later: allowed, want refused until the interval has passed")
	}
	clock.advance(time.Millisecond)
	if d := l.Admit(nil, req); !d.Allowed || d.Status.RequestRemaining != 0 {
		t.Fatalf("Admit 1s later: allowed=%v remaining=%d, want allowed with 0 remaining", d.Allowed, d.Status.RequestRemaining)
	}
	if got := l.Rejected(ScopeKey); got != 2 {
		t.Fatalf("Rejected(key) = %d, want 2", got)
	}
}

func TestRPMOverAMinuteStaysWithinLimit(t *testing.T) {
	l, clock := newTestLimiter()
	req := &Request{Key: "k", KeyLimits: Limits{RPM: 100}}
	admitted := 0
	// A client hammering every 10ms for 3 minutes: burst 100, then 100 per minute.
	for range 18000 {
		if d := l.Admit(nil, req); d.Allowed {
			admitted++
			d.Ticket.Settle(-1)
		}
		clock.advance(10 * time.Millisecond)
	}
	if want := 100 + 3*100; admitted < want-1 || admitted > want+1 {
		t.Fatalf("admitted %d in 3 minutes at 100 rpm, want %d±1", admitted, want)
	}
}

func TestTPMChargesEstimateAndCorrectsWithUsage(t *testing.T) {
	l, clock := newTestLimiter()
	req := &Request{Key: "k", KeyLimits: Limits{TPM: 1000}, Tokens: 400}
	d1 := l.Admit(nil, req)
	if !d1.Allowed || d1.Status.TokenRemaining != 600 || d1.Status.TokenLimit != 1000 {
		t.Fatalf("first Admit(400 tokens): allowed=%v remaining=%d limit=%d, want allowed 600/1000", d1.Allowed, d1.Status.TokenRemaining, d1.Status.TokenLimit)
	}
	d2 := l.Admit(nil, req)
	if !d2.Allowed || d2.Status.TokenRemaining != 200 {
		t.Fatalf("second Admit: allowed=%v remaining=%d, want allowed with 200", d2.Allowed, d2.Status.TokenRemaining)
	}
	if d := l.Admit(nil, req); d.Allowed || d.Kind != KindTokens {
		t.Fatalf("third Admit(400) with 200 left: allowed=%v kind=%v, want refused on tokens", d.Allowed, d.Kind)
	} else if d.RetryAfter != 12*time.Second {
		t.Fatalf("third Admit: retry after %s, want 12s (200 tokens at 1000/min)", d.RetryAfter)
	}
	// Both used far less than estimated: the refund makes room again.
	d1.Ticket.Settle(100)
	d2.Ticket.Settle(100)
	d3 := l.Admit(nil, req)
	if !d3.Allowed || d3.Status.TokenRemaining != 400 {
		t.Fatalf("Admit after refunds: allowed=%v remaining=%d, want allowed with 400", d3.Allowed, d3.Status.TokenRemaining)
	}
	// Using more than estimated charges the difference.
	d3.Ticket.Settle(1000)
	clock.advance(0)
	if d := l.Admit(nil, &Request{Key: "k", KeyLimits: Limits{TPM: 1000}, Tokens: 1}); d.Allowed {
		t.Fatalf("Admit after an overrun: allowed with remaining %d, want refused", d.Status.TokenRemaining)
	}
}

func TestConcurrencyReleasedOnceBySettle(t *testing.T) {
	l, _ := newTestLimiter()
	p := &Policy{Default: Limits{Concurrency: 2}}
	req := &Request{Key: "k"}
	a, b := l.Admit(p, req), l.Admit(p, req)
	if !a.Allowed || !b.Allowed {
		t.Fatal("two admissions under concurrency 2: refused")
	}
	if d := l.Admit(p, req); d.Allowed || d.Kind != KindConcurrency {
		t.Fatalf("third in flight: allowed=%v kind=%v, want refused on concurrency", d.Allowed, d.Kind)
	}
	a.Ticket.Settle(-1)
	a.Ticket.Settle(-1) // a second settle must not free another slot
	c := l.Admit(p, req)
	if !c.Allowed {
		t.Fatal("after one settle: refused, want one free slot")
	}
	if d := l.Admit(p, req); d.Allowed {
		t.Fatal("a double settle freed two slots")
	}
	b.Ticket.Settle(-1)
	c.Ticket.Settle(-1)
}

func TestMostRestrictiveLimitDecidesAndReports(t *testing.T) {
	l, _ := newTestLimiter()
	p := &Policy{Teams: map[string]Limits{"ml": {RPM: 3}}, Models: map[string]Limits{"gpt-4o": {RPM: 5}}}
	req := &Request{Key: "k", KeyLimits: Limits{RPM: 10}, Team: "ml", Model: "gpt-4o"}
	d := l.Admit(p, req)
	if !d.Allowed || d.Status.RequestLimit != 3 || d.Status.RequestRemaining != 2 {
		t.Fatalf("Admit under key 10, team 3, model 5: limit=%d remaining=%d, want the team's 3 with 2 left", d.Status.RequestLimit, d.Status.RequestRemaining)
	}
	l.Admit(p, req)
	l.Admit(p, req)
	d = l.Admit(p, req)
	if d.Allowed || d.Scope != ScopeTeam || d.Limit != 3 {
		t.Fatalf("4th Admit: allowed=%v scope=%v limit=%d, want refused by team 3", d.Allowed, d.Scope, d.Limit)
	}
	// The refusal charged nothing: the key still has 7 of 10 (3 admitted).
	other := &Request{Key: "k", KeyLimits: Limits{RPM: 10}}
	if d := l.Admit(p, other); !d.Allowed || d.Status.RequestRemaining != 6 {
		t.Fatalf("key-only Admit after a team refusal: remaining=%d, want 6 (refusal rolled back)", d.Status.RequestRemaining)
	}
}

func TestNoisyTeamDoesNotStarveOthers(t *testing.T) {
	l, _ := newTestLimiter()
	p := &Policy{Teams: map[string]Limits{"noisy": {RPM: 5}, "quiet": {RPM: 5}}}
	for i := range 50 {
		l.Admit(p, &Request{Key: "n" + string(rune('a'+i%5)), Team: "noisy"})
	}
	for i := range 5 {
		if d := l.Admit(p, &Request{Key: "q", Team: "quiet"}); !d.Allowed {
			t.Fatalf("quiet team's request %d refused after the noisy team exhausted its own limit", i+1)
		}
	}
}

func TestNoLimitsAdmitsWithoutState(t *testing.T) {
	l, _ := newTestLimiter()
	d := l.Admit(&Policy{}, &Request{Key: "k", Tokens: 1e9})
	if !d.Allowed || d.Status != (Status{}) || l.Len() != 0 {
		t.Fatalf("Admit without limits: allowed=%v status=%+v tracked=%d, want allowed, no status, nothing tracked", d.Allowed, d.Status, l.Len())
	}
	d.Ticket.Settle(5)
}

func TestIdleIdentitiesAreSwept(t *testing.T) {
	l, clock := newTestLimiter()
	for i := range 1000 {
		d := l.Admit(nil, &Request{Key: string(rune(i + 1000)), KeyLimits: Limits{RPM: 10}})
		d.Ticket.Settle(-1)
	}
	clock.advance(10 * time.Minute)
	for i := range 1000 {
		l.Admit(nil, &Request{Key: "new" + string(rune(i+1000)), KeyLimits: Limits{RPM: 10}})
	}
	if n := l.Len(); n > 1100 {
		t.Fatalf("tracked %d identities after 1000 went idle and 1000 new came, want about 1000", n)
	}
}

func TestConcurrentAdmitsNeverExceedLimit(t *testing.T) {
	l, _ := newTestLimiter()
	req := &Request{Key: "k", KeyLimits: Limits{RPM: 500}}
	var admitted atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 200 {
				if d := l.Admit(nil, req); d.Allowed {
					admitted.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := admitted.Load(); got != 500 {
		t.Fatalf("1600 concurrent admissions at 500 rpm with a frozen clock: admitted %d, want exactly 500", got)
	}
}
