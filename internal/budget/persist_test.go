package budget

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Thresholds alert exactly once per period: across concurrent settles, a second ledger on
// the same store (a restart or another node), and again in the next period.
func TestThresholdsAlertExactlyOnce(t *testing.T) {
	ctx := t.Context()
	s := sqliteStore(t, "")
	clock := newClock(time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC))
	var sent alertLog
	newLedger := func() *Ledger {
		l := New([]*Budget{tokenBudget("b", 1000)}, Options{Clock: clock.now, Store: s})
		l.hook = sent.add
		return l
	}
	l := newLedger()
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for range 10 {
				res, err := l.Admit(org, &Estimate{MaxTokens: 5})
				if err != nil {
					t.Errorf("Admit: %v", err)
					return
				}
				l.Settle(&res, Amount{Tokens: 5}) // 160 × 5 = 800: crosses 50 and 80
			}
		})
	}
	wg.Wait()
	l.drainAlerts(ctx)
	if got := sent.thresholds(); !slices.Equal(got, []int{50, 80}) {
		t.Fatalf("alerts after 80%% = %v, want [50 80]", got)
	}
	if err := l.Sync(ctx); err != nil {
		t.Fatal(err)
	}

	other := newLedger() // restarts with the spend, and must not resend 50 or 80
	if err := other.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	other.drainAlerts(ctx)
	res, _ := other.Admit(org, &Estimate{MaxTokens: 200})
	other.Settle(&res, Amount{Tokens: 200})
	other.drainAlerts(ctx)
	if got := sent.thresholds(); !slices.Equal(got, []int{50, 80, 100}) {
		t.Fatalf("alerts after the restart reached 100%% = %v, want [50 80 100]", got)
	}
	a := sent.got[2]
	if a.EventID == "" || a.Spent != 1000 || a.Limit != 1000 || a.ResetsAt == nil || !a.ResetsAt.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("100%% alert = %+v", a)
	}

	clock.set(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) // next period alerts afresh
	res, _ = other.Admit(org, &Estimate{MaxTokens: 600})
	other.Settle(&res, Amount{Tokens: 600})
	other.drainAlerts(ctx)
	if got := sent.thresholds(); !slices.Equal(got, []int{50, 80, 100, 50}) {
		t.Fatalf("alerts in the next period = %v, want [50 80 100 50]", got)
	}
}

func TestRestartKeepsSpend(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "sluice.db")
	clock := newClock(time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC))
	total := tokenBudget("total", 1000)
	total.Period = Total
	bs := []*Budget{tokenBudget("monthly", 1000), total}

	s1 := sqliteStore(t, path)
	l1 := New(bs, Options{Clock: clock.now, Store: s1})
	for range 3 {
		res, _ := l1.Admit(org, &Estimate{MaxTokens: 100})
		l1.Settle(&res, Amount{Tokens: 100})
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { l1.Run(runCtx, time.Hour); close(done) }()
	stop() // Run's final flush persists the spend
	<-done
	_ = s1.Close()

	l2 := New(bs, Options{Clock: clock.now, Store: sqliteStore(t, path)})
	if err := l2.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"monthly", "total"} {
		if st, _ := l2.Status(id); st.Spent != 300 {
			t.Fatalf("after restart Status(%s).Spent = %d, want 300", id, st.Spent)
		}
	}
	clock.set(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if st, _ := l2.Status("monthly"); st.Spent != 0 {
		t.Fatalf("next month Spent = %d, want 0", st.Spent)
	}
	if st, _ := l2.Status("total"); st.Spent != 300 {
		t.Fatalf("total budget next month Spent = %d, want 300", st.Spent)
	}
}

// Two nodes share PostgreSQL. Each admits against its own view plus what the other had
// flushed by its last sync, so together they overspend by at most what the other node
// settled between syncs; with both syncing after every round the total stays within
// limit + (nodes−1) × (one round's spend per node).
func TestTwoNodesOnPostgresMergeSpend(t *testing.T) {
	ctx := t.Context()
	dsn := postgresDSN(t)
	const limit, perRound, rounds = 50_000, 8, 200 // a round is perRound requests of ≤100 tokens
	bs := []*Budget{tokenBudget("shared", limit)}
	nodes := []*Ledger{New(bs, Options{Store: postgresStore(t, dsn)}), New(bs, Options{Store: postgresStore(t, dsn)})}
	admitted := make([]int64, len(nodes))
	var wg sync.WaitGroup
	for i, l := range nodes {
		wg.Go(func() {
			for r := range rounds {
				var rw sync.WaitGroup
				var mu sync.Mutex
				for range perRound {
					rw.Go(func() {
						res, err := l.Admit(org, &Estimate{PromptTokens: 20, MaxTokens: 80})
						if err != nil {
							return
						}
						l.Settle(&res, Amount{Tokens: 100})
						mu.Lock()
						admitted[i] += 100
						mu.Unlock()
					})
				}
				rw.Wait()
				if err := l.Sync(ctx); err != nil {
					t.Errorf("node %d round %d Sync: %v", i, r, err)
					return
				}
			}
		})
	}
	wg.Wait()
	for _, l := range nodes {
		if err := l.Sync(ctx); err != nil {
			t.Fatal(err)
		}
	}
	st0, _ := nodes[0].Status("shared")
	st1, _ := nodes[1].Status("shared")
	sum := admitted[0] + admitted[1]
	if st0.Spent != sum || st1.Spent != sum {
		t.Fatalf("merged spend = %d and %d, want both %d (the sum of both nodes' settles)", st0.Spent, st1.Spent, sum)
	}
	// One round of the other node is invisible to each admission: 8 × 100 tokens.
	if bound := int64(limit + (len(nodes)-1)*perRound*100); sum > bound {
		t.Fatalf("two nodes spent %d, over the documented bound %d", sum, bound)
	}
	if sum < limit-perRound*100*int64(len(nodes)) {
		t.Fatalf("two nodes spent only %d of %d", sum, limit)
	}
}

// Reservations are upper bounds, so spend can stop short of the limit; the first refusal
// is what tells the operator the budget is exhausted.
func TestFirstRefusalRaisesTheExhaustedAlert(t *testing.T) {
	ctx := t.Context()
	var sent alertLog
	l := New([]*Budget{tokenBudget("b", 1000)}, Options{Store: sqliteStore(t, "")})
	l.hook = sent.add
	res, _ := l.Admit(org, &Estimate{MaxTokens: 600})
	l.Settle(&res, Amount{Tokens: 600})
	for range 3 {
		if _, err := l.Admit(org, &Estimate{MaxTokens: 500}); err == nil {
			t.Fatal("Admit of 500 tokens with 400 left succeeded")
		}
	}
	l.drainAlerts(ctx)
	if got := sent.thresholds(); !slices.Equal(got, []int{50, 100}) {
		t.Fatalf("alerts = %v, want [50 100] (100 once, on the first refusal)", got)
	}
	if a := sent.got[1]; a.Spent != 600 || !strings.Contains(a.Message, "exhausted") {
		t.Fatalf("exhausted alert = %+v, want spent 600 and an 'exhausted' message", a)
	}
}
