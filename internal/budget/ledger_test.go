package budget

import (
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

var org = &Who{KeyID: "key_1", TeamID: "team_1", TeamName: "ml", UserID: "user_1"}

// With max_tokens set every reservation is an upper bound of the actual amount, so however
// requests interleave, one node's spend never passes the limit.
func TestConcurrentAdmitNeverExceedsLimitWithMaxTokens(t *testing.T) {
	const limit = 10_000
	l := New([]*Budget{tokenBudget("b", limit)}, Options{})
	est := &Estimate{PromptTokens: 40, MaxTokens: 60}
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	for g := range 64 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 1))
			for range 200 {
				res, err := l.Admit(org, est)
				if err != nil {
					var x *Exceeded
					if !errors.As(err, &x) {
						t.Errorf("Admit: %v, want *Exceeded", err)
					}
					continue
				}
				mu.Lock()
				admitted++
				mu.Unlock()
				l.Settle(&res, Amount{Tokens: 1 + r.Int64N(100)}) // at most the estimate
			}
		})
	}
	wg.Wait()
	st, _ := l.Status("b")
	if st.Spent > limit {
		t.Fatalf("spent %d after %d admitted requests, limit %d: overspent", st.Spent, admitted, limit)
	}
	if st.Reserved != 0 {
		t.Fatalf("reserved %d after every request settled, want 0", st.Reserved)
	}
	if st.Spent < limit-100 {
		t.Fatalf("spent %d: the budget refused requests it had room for (limit %d, estimate 100)", st.Spent, limit)
	}
}

// Without max_tokens a request may use more than the ReserveTokens it reserved; the
// overshoot is at most (actual - reserved) summed over requests in flight at the moment
// the last one was admitted, so at most concurrency × (largest completion - ReserveTokens).
func TestConcurrentOvershootWithoutMaxTokensIsBounded(t *testing.T) {
	const limit, workers, reserve, worst = 10_000, 32, 100, 300
	b := tokenBudget("b", limit)
	b.ReserveTokens = reserve
	l := New([]*Budget{b}, Options{})
	est := &Estimate{PromptTokens: 0}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range 100 {
				res, err := l.Admit(org, est)
				if err != nil {
					continue
				}
				l.Settle(&res, Amount{Tokens: worst})
			}
		})
	}
	wg.Wait()
	st, _ := l.Status("b")
	if bound := int64(limit + workers*(worst-reserve)); st.Spent > bound {
		t.Fatalf("spent %d, documented bound limit + workers×(actual−reserve) = %d", st.Spent, bound)
	}
	if st.Spent <= limit-worst {
		t.Fatalf("spent %d: expected traffic to reach the limit %d", st.Spent, limit)
	}
}

func TestExceededNamesBudgetAndReset(t *testing.T) {
	clock := newClock(time.Date(2026, 11, 18, 15, 0, 0, 0, time.UTC))
	b := tokenBudget("team-ml", 100)
	b.Name, b.Scope, b.ScopeID = "ML monthly", ScopeTeam, "ml"
	b.Location, _ = time.LoadLocation("Europe/Berlin")
	l := New([]*Budget{b}, Options{Clock: clock.now})
	res, err := l.Admit(org, &Estimate{PromptTokens: 10, MaxTokens: 50})
	if err != nil {
		t.Fatalf("Admit within budget: %v", err)
	}
	l.Settle(&res, Amount{Tokens: 60})
	_, err = l.Admit(org, &Estimate{PromptTokens: 10, MaxTokens: 50})
	var x *Exceeded
	if !errors.As(err, &x) {
		t.Fatalf("Admit past the limit = %v, want *Exceeded", err)
	}
	want := time.Date(2026, 12, 1, 0, 0, 0, 0, b.Location)
	if !x.ResetsAt.Equal(want) {
		t.Fatalf("ResetsAt = %v, want %v", x.ResetsAt, want)
	}
	msg := x.Error()
	for _, s := range []string{`"ML monthly"`, "60 tokens of 100 tokens", "2026-12-01T00:00:00+01:00"} {
		if !strings.Contains(msg, s) {
			t.Errorf("Exceeded message %q lacks %q", msg, s)
		}
	}
	// Other callers are not covered by a team budget.
	if _, err := l.Admit(&Who{TeamID: "team_2"}, &Estimate{MaxTokens: 500}); err != nil {
		t.Fatalf("Admit for another team: %v", err)
	}
}

func TestScopesAndKeyBudgetID(t *testing.T) {
	mk := func(id string, scope Scope, scopeID string) *Budget {
		b := tokenBudget(id, 1000)
		b.Scope, b.ScopeID = scope, scopeID
		return b
	}
	l := New([]*Budget{
		mk("org", ScopeOrg, ""), mk("team-id", ScopeTeam, "team_1"), mk("team-name", ScopeTeam, "ml"),
		mk("user", ScopeUser, "user_1"), mk("project", ScopeProject, "proj_1"), mk("key", ScopeKey, "key_1"),
		mk("attached", ScopeKey, "key_other"), mk("unrelated", ScopeTeam, "team_9"),
	}, Options{})
	who := &Who{KeyID: "key_1", TeamID: "team_1", TeamName: "ml", UserID: "user_1", ProjectID: "proj_1", BudgetID: "attached"}
	res, err := l.Admit(who, &Estimate{MaxTokens: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := range res.n {
		got = append(got, res.holds[i].e.b.ID)
	}
	slices.Sort(got)
	want := []string{"attached", "key", "org", "project", "team-id", "team-name", "user"}
	if !slices.Equal(got, want) {
		t.Fatalf("Admit charged %v, want %v", got, want)
	}
	l.Settle(&res, Amount{Tokens: 7})
	for _, id := range want {
		if st, _ := l.Status(id); st.Spent != 7 {
			t.Errorf("Status(%s).Spent = %d, want 7", id, st.Spent)
		}
	}
	if st, _ := l.Status("unrelated"); st.Spent != 0 {
		t.Errorf("Status(unrelated).Spent = %d, want 0", st.Spent)
	}
}

func TestRerouteInsteadOfBlocking(t *testing.T) {
	b := tokenBudget("b", 100)
	b.RerouteTo = "cheap"
	l := New([]*Budget{b}, Options{})
	res, err := l.Admit(org, &Estimate{MaxTokens: 90})
	if err != nil || res.RerouteTo != "" {
		t.Fatalf("Admit within budget = %+v, %v; want no reroute", res.RerouteTo, err)
	}
	l.Settle(&res, Amount{Tokens: 90})
	res, err = l.Admit(org, &Estimate{MaxTokens: 90})
	if err != nil || res.RerouteTo != "cheap" || res.RerouteBudget != "b" {
		t.Fatalf("Admit past the limit = %q (%q), %v; want reroute to cheap by b", res.RerouteTo, res.RerouteBudget, err)
	}
	l.Settle(&res, Amount{Tokens: 5}) // rerouted traffic still counts
	if st, _ := l.Status("b"); st.Spent != 95 || st.Reserved != 0 {
		t.Fatalf("Status = spent %d reserved %d, want 95 and 0", st.Spent, st.Reserved)
	}
}

func TestUSDEstimateUsesPrices(t *testing.T) {
	b := &Budget{ID: "usd", Unit: USD, Limit: 1_000_000, ReserveTokens: 1000, Location: time.UTC}
	// $2.50 / $10 per million tokens: 1,000 prompt + 500 completion = $0.0025 + $0.005.
	e := &Estimate{PromptTokens: 1000, MaxTokens: 500, PromptPerMTok: 2_500_000, CompletionPerMTok: 10_000_000}
	if got := e.of(b); got != 7500 {
		t.Fatalf("estimate = %d micro-dollars, want 7500", got)
	}
	e.MaxTokens = 0 // falls back to the reserve
	if got := e.of(b); got != 12500 {
		t.Fatalf("estimate without max_tokens = %d, want 12500", got)
	}
}

func TestForecast(t *testing.T) {
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	clock := newClock(start.Add(10 * 24 * time.Hour)) // Nov 11: a third of the month gone
	b := tokenBudget("b", 1000)
	b.Scope, b.ScopeID = ScopeTeam, "ml"
	l := New([]*Budget{b}, Options{Clock: clock.now})
	res, _ := l.Admit(org, &Estimate{MaxTokens: 1})
	l.Settle(&res, Amount{Tokens: 600}) // 60 per day: the remaining 400 last ~6.7 days
	st, _ := l.Status("b")
	want := start.Add(10*24*time.Hour + 400*24*time.Hour/60)
	if st.ExhaustsAt == nil || st.ExhaustsAt.Sub(want).Abs() > time.Second {
		t.Fatalf("ExhaustsAt = %v, want %v", st.ExhaustsAt, want)
	}
	msg := alertMessage(b, 50, 600, st.ExhaustsAt)
	if !strings.Contains(msg, "team ml will exhaust its monthly budget on Nov 17") {
		t.Fatalf("alert message %q does not give the forecast", msg)
	}
	clock.set(start.Add(29 * 24 * time.Hour)) // slower burn: lasts the month
	if st, _ := l.Status("b"); st.ExhaustsAt != nil {
		t.Fatalf("ExhaustsAt = %v at a burn rate that lasts the period, want nil", st.ExhaustsAt)
	}
}

func BenchmarkAdmitSettle(b *testing.B) {
	team := tokenBudget("team", 1<<60)
	team.Scope, team.ScopeID = ScopeTeam, "team_1"
	usd := &Budget{ID: "org", Unit: USD, Limit: 1 << 50, Period: Daily, Location: time.UTC, Thresholds: []int{50, 80, 100}, ReserveTokens: 4096}
	l := New([]*Budget{team, usd}, Options{})
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

func BenchmarkAdmitNoBudgets(b *testing.B) {
	l := New(nil, Options{})
	est := &Estimate{PromptTokens: 500, MaxTokens: 256}
	b.ReportAllocs()
	for b.Loop() {
		res, _ := l.Admit(org, est)
		l.Settle(&res, Amount{Tokens: 700})
	}
}
