package ratelimit

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// Another node's admissions, applied here, use up the local burst: after 6 remote and 4
// local requests a 10 rpm key is refused, until the time those 10 requests take to drip back.
func TestRemoteRequestsAdvanceTheArrivalTime(t *testing.T) {
	l, clock := newTestLimiter()
	req := &Request{Key: "k", KeyLimits: Limits{RPM: 10}}
	if err := l.ApplyRemote([]Consumption{{Scope: ScopeKey, ID: "k", RPM: 10, Requests: 6}}); err != nil {
		t.Fatalf("ApplyRemote: %v", err)
	}
	for i := range 4 {
		d := l.Admit(nil, req)
		if !d.Allowed {
			t.Fatalf("local Admit #%d after 6 remote of 10: refused, want allowed", i+1)
		}
		if want := int64(3 - i); d.Status.RequestRemaining != want {
			t.Fatalf("local Admit #%d: remaining %d, want %d", i+1, d.Status.RequestRemaining, want)
		}
	}
	if d := l.Admit(nil, req); d.Allowed || d.Kind != KindRequests || d.RetryAfter != 6*time.Second {
		t.Fatalf("Admit #11 in the cluster: allowed=%v kind=%v retry=%s, want refused on requests, retry 6s", d.Allowed, d.Kind, d.RetryAfter)
	}
	clock.advance(6 * time.Second)
	if !l.Admit(nil, req).Allowed {
		t.Fatal("Admit one interval later: refused, want allowed")
	}
}

// Remote tokens count against the token limit, from now on an idle identity (a bucket that
// has refilled is not overdrawn by them), and a remote refund gives them back.
func TestRemoteTokensAndRefunds(t *testing.T) {
	l, clock := newTestLimiter()
	req := &Request{Key: "k", KeyLimits: Limits{TPM: 1000}, Tokens: 300}
	d := l.Admit(nil, req)
	d.Ticket.Settle(300)
	clock.advance(time.Hour) // the bucket refills: its arrival time is far in the past
	if err := l.ApplyRemote([]Consumption{{Scope: ScopeKey, ID: "k", TPM: 1000, Tokens: 800}}); err != nil {
		t.Fatalf("ApplyRemote: %v", err)
	}
	if d := l.Admit(nil, req); d.Allowed || d.Kind != KindTokens {
		t.Fatalf("300 tokens after 800 remote of 1000: allowed=%v kind=%v, want refused on tokens", d.Allowed, d.Kind)
	}
	if err := l.ApplyRemote([]Consumption{{Scope: ScopeKey, ID: "k", TPM: 1000, Tokens: -200}}); err != nil {
		t.Fatalf("ApplyRemote refund: %v", err)
	}
	if d := l.Admit(nil, req); !d.Allowed || d.Status.TokenRemaining != 100 {
		t.Fatalf("300 tokens after a 200 refund: allowed=%v remaining=%d, want allowed with 100 left (1000 - 600 - 300)", d.Allowed, d.Status.TokenRemaining)
	}
}

// A report cannot lock an identity out for longer than a local request could.
func TestRemoteConsumptionIsBounded(t *testing.T) {
	l, clock := newTestLimiter()
	if err := l.ApplyRemote([]Consumption{{Scope: ScopeKey, ID: "k", RPM: 1, Requests: 1 << 40}}); err != nil {
		t.Fatalf("ApplyRemote: %v", err)
	}
	clock.advance(maxCostPeriods * time.Minute)
	if d := l.Admit(nil, &Request{Key: "k", KeyLimits: Limits{RPM: 1}}); !d.Allowed {
		t.Fatalf("Admit %d minutes after a huge report: refused (retry %s), want allowed", maxCostPeriods, d.RetryAfter)
	}
}

func TestApplyRemoteRejectsWhatNoNodeSends(t *testing.T) {
	l, _ := newTestLimiter()
	for _, c := range []Consumption{
		{Scope: numScopes, ID: "k", RPM: 1, Requests: 1},
		{Scope: ScopeKey, RPM: 1, Requests: 1},
		{Scope: ScopeKey, ID: "k", RPM: 1, Requests: -1},
		{Scope: ScopeKey, ID: "k", Requests: 1},
		{Scope: ScopeKey, ID: "k", Tokens: 5},
		{Scope: ScopeKey, ID: "k", TPM: 1 << 62, Tokens: -1 << 62},
		{Scope: ScopeKey, ID: "k", RPM: -1, TPM: 10, Tokens: 1},
	} {
		if err := l.ApplyRemote([]Consumption{c}); !errors.Is(err, ErrBadConsumption) {
			t.Errorf("ApplyRemote(%+v) = %v, want ErrBadConsumption", c, err)
		}
	}
	if l.Len() != 0 {
		t.Fatalf("tracked %d identities after only invalid reports, want 0", l.Len())
	}
}

// What one limiter admits and settles, broadcast and applied to another, leaves the other
// refusing: two nodes together keep one limit. Concurrency-only limits are not reported.
func TestBroadcastReportsAdmittedConsumption(t *testing.T) {
	a, _ := newTestLimiter()
	a.Share(16)
	b, _ := newTestLimiter()
	p := &Policy{Teams: map[string]Limits{"ml": {Concurrency: 5}}}
	req := &Request{Key: "k", KeyLimits: Limits{RPM: 4, TPM: 1000}, Team: "ml", Tokens: 100}
	for range 2 {
		d := a.Admit(p, req)
		if !d.Allowed {
			t.Fatal("Admit on a: refused, want allowed")
		}
		d.Ticket.Settle(150)
	}
	if d := a.Admit(&Policy{}, &Request{Key: "k", KeyLimits: Limits{RPM: 4, TPM: 1000}, Tokens: 5000}); d.Allowed {
		t.Fatal("5000 tokens at 1000 tpm after 300: allowed, want refused")
	}

	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan []Consumption)
	var wg sync.WaitGroup
	wg.Go(func() {
		a.Broadcast(ctx, time.Millisecond, func(cs []Consumption) { got <- append([]Consumption(nil), cs...) })
	})
	cs := <-got
	cancel()
	wg.Wait()
	want := Consumption{Scope: ScopeKey, ID: "k", RPM: 4, TPM: 1000, Requests: 2, Tokens: 300}
	if len(cs) != 1 || cs[0] != want {
		t.Fatalf("broadcast %+v, want only %+v (the refused request and the team's concurrency not in it)", cs, want)
	}
	if err := b.ApplyRemote(cs); err != nil {
		t.Fatalf("ApplyRemote: %v", err)
	}
	for i := range 2 {
		if d := b.Admit(p, req); !d.Allowed {
			t.Fatalf("Admit #%d on b after a's 2 of 4: refused, want allowed", i+3)
		}
	}
	if d := b.Admit(p, req); d.Allowed || d.Kind != KindRequests {
		t.Fatalf("Admit #5 across a and b at 4 rpm: allowed=%v kind=%v, want refused on requests", d.Allowed, d.Kind)
	}
}

// A full report queue drops the notice and counts it, but not the consumption: it goes with
// the identity's next report.
func TestFullShareQueueKeepsTheAmounts(t *testing.T) {
	l, _ := newTestLimiter()
	l.Share(1)
	admit := func(key string) {
		d := l.Admit(nil, &Request{Key: key, KeyLimits: Limits{RPM: 100}})
		d.Ticket.Settle(-1)
	}
	admit("a")
	admit("b")
	if l.ShareDropped() != 1 {
		t.Fatalf("ShareDropped() = %d, want 1 (queue of 1, two identities)", l.ShareDropped())
	}
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan []Consumption, 4)
	var wg sync.WaitGroup
	wg.Go(func() { l.Broadcast(ctx, 0, func(cs []Consumption) { got <- append([]Consumption(nil), cs...) }) })
	if cs := <-got; len(cs) != 1 || cs[0].ID != "a" {
		t.Fatalf("first report %+v, want a's", cs)
	}
	admit("b")
	cs := <-got
	cancel()
	wg.Wait()
	if len(cs) != 1 || cs[0].ID != "b" || cs[0].Requests != 2 {
		t.Fatalf("second report %+v, want b with both its requests", cs)
	}
}
