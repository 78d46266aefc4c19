package gateway

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/ratelimit"
	"github.com/sluicehq/sluice/internal/router"
	"github.com/sluicehq/sluice/internal/secret"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// BenchmarkPolicyChecks is every in-memory check a request passes before it is sent upstream,
// and their settlement after: virtual-key authentication, the model access check, the rate
// limits (key, team and model) and the budgets (team tokens and organisation dollars), with
// the rate-limit headers written. No I/O: all of it reads in-memory snapshots.
func BenchmarkPolicyChecks(b *testing.B) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	a := auth.New(auth.Config{Required: true, Pepper: secret.New("pepper")}, slog.New(slog.DiscardHandler))
	team, err := st.CreateTeam(ctx, store.Team{Name: "ml", Metadata: map[string]string{auth.TeamModelsKey: "fast, gpt-4o*"}})
	if err != nil {
		b.Fatal(err)
	}
	plain, prefix, err := auth.NewKey()
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.CreateKey(ctx, store.APIKey{Prefix: prefix, Hash: a.Hasher().Hash(plain), OwnerKind: store.OwnerTeam,
		OwnerID: team.ID, RPM: 1 << 40, TPM: 1 << 50}); err != nil {
		b.Fatal(err)
	}
	if err := a.Sync(ctx, st); err != nil {
		b.Fatal(err)
	}

	g, _, route := budgetGateway(b, 1<<50)
	g.limiter = ratelimit.New()
	snap := *g.Snapshot()
	snap.RateLimits = &ratelimit.Policy{Teams: map[string]ratelimit.Limits{"ml": {RPM: 1 << 40, TPM: 1 << 50}},
		Models: map[string]ratelimit.Limits{"fast": {RPM: 1 << 40}}}
	g.Swap(&snap)

	maxTokens := 256
	req := &api.ChatRequest{Model: "fast", MaxTokens: &maxTokens}
	r := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(benchRequest))
	r.Header.Set("Authorization", "Bearer "+plain)
	w := httptest.NewRecorder()
	usage := &api.Usage{PromptTokens: 19, CompletionTokens: 16, TotalTokens: 35}
	b.ReportAllocs()
	for b.Loop() {
		p, err := a.Authenticate(r)
		if err != nil {
			b.Fatal(err)
		}
		if err := auth.Authorize(p, req.Model); err != nil {
			b.Fatal(err)
		}
		rp := withPrincipal(r, p)
		c := call{usage: usage, res: router.Result{Target: route.Targets[0]}}
		if err := g.admitRate(w, rp, &c, req.Model, chatTokens(req)); err != nil {
			b.Fatal(err)
		}
		if _, err := g.admitBudget(w, rp, &snap, route, &c, chatEstimate(rp, req)); err != nil {
			b.Fatal(err)
		}
		g.settleBudget(&c, nil)
		g.settleRate(&c)
	}
}
