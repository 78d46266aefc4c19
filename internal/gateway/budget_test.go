package gateway

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/pricing"
	"github.com/sluicehq/sluice/internal/router"
)

// budgetGateway is benchGateway's routes with a priced catalog and two budgets covering
// team_1: a token budget on the team and a dollar budget on the organization.
func budgetGateway(t testing.TB, limitTokens int64) (*Gateway, *budget.Ledger, *router.Route) {
	t.Helper()
	team := &budget.Budget{ID: "team", Name: "team", Scope: budget.ScopeTeam, ScopeID: "team_1", Unit: budget.Tokens,
		Limit: limitTokens, Period: budget.Daily, Location: time.UTC, Thresholds: []int{50, 80, 100}, ReserveTokens: 4096}
	org := &budget.Budget{ID: "org", Name: "org", Scope: budget.ScopeOrg, Unit: budget.USD, Limit: 1 << 50,
		Period: budget.Monthly, Location: time.UTC, Thresholds: []int{50, 80, 100}, ReserveTokens: 4096}
	l := budget.New([]*budget.Budget{team, org}, budget.Options{})
	snapGW := budgetSnapshot(t)
	g := New(snapGW, slog.New(slog.DiscardHandler), WithBudgets(l))
	route, err := snapGW.Routes.Resolve("fast")
	if err != nil {
		t.Fatal(err)
	}
	return g, l, route
}

// budgetSnapshot routes "fast" to an upstream answered from memory (see benchGateway).
func budgetSnapshot(t testing.TB) *Snapshot {
	t.Helper()
	up := cannedUpstream{body: []byte(benchResponse), stream: benchStream(16)}
	table := fastRoutes(t, up)
	return &Snapshot{Routes: table, MaxBodyBytes: 4 << 20, Pricer: pricing.Default()}
}

func withPrincipal(r *http.Request, p *auth.Principal) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), principalKey{}, p))
}

var teamCaller = &auth.Principal{Kind: auth.KindKey, KeyID: "key_1", TeamID: "team_1", TeamName: "ml"}

func TestSettleBudgetByOutcome(t *testing.T) {
	g, l, route := budgetGateway(t, 1_000_000)
	maxTokens := 100
	req := &api.ChatRequest{MaxTokens: &maxTokens}
	target := route.Targets[0]
	tests := []struct {
		name string
		c    call
		err  error
		want int64 // tokens charged
	}{
		{"success charges usage", call{usage: &api.Usage{PromptTokens: 10, CompletionTokens: 20, TotalTokens: 30}, res: router.Result{Target: target}}, nil, 30},
		{"failure before an answer releases", call{}, errors.New("upstream refused"), 0},
		{"cut stream without usage charges the reservation", call{stream: true, ttft: time.Millisecond, err: context.Canceled, res: router.Result{Target: target}}, nil, -1},
		{"answer without usage charges the reservation", call{res: router.Result{Target: target}}, nil, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			before, _ := l.Status("team")
			r := withPrincipal(httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader("0123456789")), teamCaller)
			c := tc.c
			if _, err := g.admitBudget(httptest.NewRecorder(), r, g.Snapshot(), route, &c, chatEstimate(r, req)); err != nil {
				t.Fatal(err)
			}
			g.settleBudget(&c, tc.err)
			g.settleBudget(&c, tc.err) // a second settle must change nothing
			after, _ := l.Status("team")
			want := tc.want
			if want < 0 {
				want = 10/2 + int64(maxTokens) // body bytes / 2 + max_tokens
			}
			if got := after.Spent - before.Spent; got != want || after.Reserved != 0 {
				t.Fatalf("charged %d (reserved %d), want %d and 0", got, after.Reserved, want)
			}
		})
	}
}

func TestBudgetExceededIs429WithRetryAfter(t *testing.T) {
	g, _, route := budgetGateway(t, 50)
	maxTokens := 100
	r := withPrincipal(httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader("{}")), teamCaller)
	var c call
	_, err := g.admitBudget(httptest.NewRecorder(), r, g.Snapshot(), route, &c, chatEstimate(r, &api.ChatRequest{MaxTokens: &maxTokens}))
	e := api.AsError(err)
	if e.Status != http.StatusTooManyRequests || e.Code != "budget_exceeded" || e.RetryAfter <= 0 || !strings.Contains(e.Message, `"team"`) {
		t.Fatalf("admitBudget over the limit = %+v, want 429 budget_exceeded naming the budget with a Retry-After", e)
	}
}

// BenchmarkBudgetAdmitSettle is the request path's whole budget work: estimate, price
// lookup, reserve on a team token budget and an org dollar budget, settle with the cost.
func BenchmarkBudgetAdmitSettle(b *testing.B) {
	g, _, route := budgetGateway(b, 1<<50)
	maxTokens := 256
	req := &api.ChatRequest{MaxTokens: &maxTokens}
	r := withPrincipal(httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(benchRequest)), teamCaller)
	w := httptest.NewRecorder()
	snap := g.Snapshot()
	usage := &api.Usage{PromptTokens: 19, CompletionTokens: 16, TotalTokens: 35}
	b.ReportAllocs()
	for b.Loop() {
		c := call{usage: usage, res: router.Result{Target: route.Targets[0]}}
		if _, err := g.admitBudget(w, r, snap, route, &c, chatEstimate(r, req)); err != nil {
			b.Fatal(err)
		}
		g.settleBudget(&c, nil)
	}
}
