package budget

import (
	"context"
	"slices"
	"testing"
	"time"
)

// takeUpdates drains l's broadcast queue as the Broadcast loop would, without waiting.
func (l *Ledger) takeUpdates() []SpendUpdate {
	var ups []SpendUpdate
	for _, w := range l.bcast.Take(nil) {
		w.dirty.Store(false)
		ups = append(ups, w.update())
	}
	return ups
}

func spentOf(t *testing.T, l *Ledger, id string) int64 {
	t.Helper()
	st, ok := l.Status(id)
	if !ok {
		t.Fatalf("Status(%q): no such budget", id)
	}
	return st.Spent
}

func spend(t *testing.T, l *Ledger, tokens int64) {
	t.Helper()
	res, err := l.Admit(org, &Estimate{MaxTokens: tokens})
	if err != nil {
		t.Fatalf("Admit(%d tokens): %v", tokens, err)
	}
	l.Settle(&res, Amount{Tokens: tokens})
}

// Spend heard from a peer counts at once, and each store sync replaces exactly the part of
// it the store's total now contains, whatever the order of the peer's flush, its notice and
// this node's sync — so no interleaving counts a peer's spend twice once its notices have
// arrived, and none counts it less than the store plus what the peer announced.
func TestPeerSpendCountsOnceAcrossSyncs(t *testing.T) {
	ctx := t.Context()
	s := sqliteStore(t, "")
	clock := newClock(time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC))
	newLedger := func() *Ledger {
		l := New([]*Budget{tokenBudget("b", 1_000_000)}, Options{Clock: clock.now, Store: s, BroadcastQueue: 16})
		if err := l.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		return l
	}
	a, n := newLedger(), newLedger()
	hear := func(ups []SpendUpdate) { a.ApplySpend("n", ups) }
	sync := func(l *Ledger) {
		if err := l.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	want := func(step string, v int64) {
		t.Helper()
		if got := spentOf(t, a, "b"); got != v {
			t.Fatalf("after %s: node A sees %d spent, want %d", step, got, v)
		}
	}

	spend(t, n, 100)
	hear(n.takeUpdates())
	want("N settled 100 and A heard it, before any sync", 100)

	sync(n) // store 100
	hear(n.takeUpdates())
	want("N flushed and A heard of the flush before its own sync", 100)
	sync(a)
	want("A's sync read the flushed 100", 100)

	spend(t, n, 50)
	hear(n.takeUpdates())
	sync(a)
	want("A synced while N's 50 was unflushed", 150)

	sync(n) // store 150; A has not synced since
	hear(n.takeUpdates())
	want("N flushed after A's read", 150)
	sync(a)
	want("A synced after N's flush", 150)

	spend(t, n, 30)
	hear(n.takeUpdates())
	sync(n) // store 180; its notice is late
	late := n.takeUpdates()
	sync(a)
	want("A synced before the notice of N's flush arrived (counted twice, erring on refusing)", 210)
	hear(late)
	want("the late notice arrived", 180)

	spend(t, a, 20)
	spend(t, n, 5)
	_ = n.takeUpdates() // lost
	spend(t, n, 5)
	hear(n.takeUpdates())
	want("A's own 20 and N's 10 with one notice lost", 210)
	hear([]SpendUpdate{{BudgetID: "b", PeriodStart: 0, Window: 1, Settled: 999}})
	hear([]SpendUpdate{{BudgetID: "b", PeriodStart: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixNano(), Window: 1, Settled: 1, Flushed: 2}})
	want("an update for another period and a malformed one", 210)
	sync(a)
	sync(n)
	hear(n.takeUpdates())
	sync(a)
	want("both flushed and synced", 210)
}

// A peer not heard of for PeerTTL is forgotten at the next sync: its unflushed spend died
// with it, or the control plane is down and the store alone converges the nodes.
func TestSilentPeerIsForgotten(t *testing.T) {
	ctx := t.Context()
	s := sqliteStore(t, "")
	clock := newClock(time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC))
	a := New([]*Budget{tokenBudget("b", 1000)}, Options{Clock: clock.now, Store: s, PeerTTL: time.Minute})
	n := New([]*Budget{tokenBudget("b", 1000)}, Options{Clock: clock.now, Store: s, BroadcastQueue: 4})
	spend(t, n, 70) // never flushed: the node crashes
	a.ApplySpend("n", n.takeUpdates())
	if got := spentOf(t, a, "b"); got != 70 {
		t.Fatalf("A sees %d spent, want 70", got)
	}
	clock.add(30 * time.Second)
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := spentOf(t, a, "b"); got != 70 {
		t.Fatalf("within the TTL A sees %d spent, want 70", got)
	}
	clock.add(31 * time.Second)
	if err := a.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := spentOf(t, a, "b"); got != 0 {
		t.Fatalf("past the TTL A sees %d spent, want 0", got)
	}
}

// Peer spend counts toward admission: a budget another node spent refuses here before any
// store sync.
func TestPeerSpendRefusesAdmission(t *testing.T) {
	a := New([]*Budget{tokenBudget("b", 100)}, Options{})
	n := New([]*Budget{tokenBudget("b", 100)}, Options{BroadcastQueue: 4})
	spend(t, n, 95)
	a.ApplySpend("n", n.takeUpdates())
	if _, err := a.Admit(org, &Estimate{MaxTokens: 10}); err == nil {
		t.Fatalf("Admit(10) on a budget a peer spent 95 of 100 succeeded, want *Exceeded")
	}
}

// The broadcast loop coalesces a burst into one call with cumulative values, and a full
// queue drops (and counts) notices without blocking the settle.
func TestBroadcastCoalescesAndDropsWhenFull(t *testing.T) {
	bs := []*Budget{tokenBudget("b1", 1000), tokenBudget("b2", 1000)}
	l := New(bs, Options{BroadcastQueue: 1})
	spend(t, l, 3) // both budgets cover org: b1 or b2 is queued, the other dropped
	if got := l.BroadcastDropped(); got != 1 {
		t.Fatalf("BroadcastDropped() = %d with a one-slot queue and two windows, want 1", got)
	}
	spend(t, l, 4)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	got := make(chan []SpendUpdate, 4)
	go l.Broadcast(ctx, 5*time.Millisecond, func(ups []SpendUpdate) { got <- ups })
	ups := <-got
	if len(ups) != 1 || ups[0].Settled != 7 || ups[0].Flushed != 0 {
		t.Fatalf("first broadcast = %+v, want one window with settled 7 (cumulative)", ups)
	}
	l.BroadcastAll()
	ups = <-got
	ids := []string{}
	for _, u := range ups {
		ids = append(ids, u.BudgetID)
		if u.Settled != 7 {
			t.Errorf("BroadcastAll sent %+v, want settled 7", u)
		}
	}
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"b1", "b2"}) {
		t.Fatalf("BroadcastAll sent budgets %v, want [b1 b2]", ids)
	}
}

// BenchmarkAdmitSettleBroadcasting is BenchmarkAdmitSettle with spend broadcasts on and a
// broadcaster draining the queue: the settle only marks its windows and, once per
// coalescing period, queues them.
func BenchmarkAdmitSettleBroadcasting(b *testing.B) {
	team := tokenBudget("team", 1<<60)
	team.Scope, team.ScopeID = ScopeTeam, "team_1"
	usd := &Budget{ID: "org", Unit: USD, Limit: 1 << 50, Period: Daily, Location: time.UTC, Thresholds: []int{50, 80, 100}, ReserveTokens: 4096}
	l := New([]*Budget{team, usd}, Options{BroadcastQueue: 64})
	ctx, cancel := context.WithCancel(b.Context())
	defer cancel()
	go l.Broadcast(ctx, time.Millisecond, func([]SpendUpdate) {})
	est := &Estimate{PromptTokens: 500, MaxTokens: 256, PromptPerMTok: 150_000, CompletionPerMTok: 600_000}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			res, err := l.Admit(org, est)
			if err != nil {
				b.Fatal(err)
			}
			l.Settle(&res, Amount{Tokens: 700, MicroUSD: 200})
		}
	})
}
