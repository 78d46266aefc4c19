package gateway

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/guardrail"
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

// policyGateway is benchGateway with every policy on: a guardrail policy (PII redaction,
// secrets, injection) on input and output, rate limits and an organisation budget, all with
// limits no benchmark reaches.
func policyGateway(b *testing.B) http.Handler {
	cfg, _, err := config.Parse([]byte(`
guardrails:
  policies:
    - name: baseline
      checks:
        - {name: pii, kind: pii, action: redact, apply: both}
        - {name: secrets, kind: secrets, action: block}
        - {name: injection, kind: injection, action: block, apply: input, threshold: 0.7}
  attach:
    org: [baseline]
`), "bench.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		b.Fatal(err)
	}
	engine, err := guardrail.Compile(cfg.Guardrails)
	if err != nil {
		b.Fatal(err)
	}
	org := &budget.Budget{ID: "org", Name: "org", Scope: budget.ScopeOrg, Unit: budget.USD, Limit: 1 << 50,
		Period: budget.Monthly, Location: time.UTC, Thresholds: []int{50, 80, 100}, ReserveTokens: 4096}
	snap := budgetSnapshot(b)
	snap.Guardrails = engine
	snap.RateLimits = &ratelimit.Policy{Default: ratelimit.Limits{RPM: 1 << 40, TPM: 1 << 50, Concurrency: 1 << 20},
		Models: map[string]ratelimit.Limits{"fast": {RPM: 1 << 40}}}
	g := New(snap, slog.New(slog.DiscardHandler), WithBudgets(budget.New([]*budget.Budget{org}, budget.Options{})),
		WithRateLimiter(ratelimit.New()))
	mux := http.NewServeMux()
	g.Register(mux)
	return mux
}

func runPolicyBench(b *testing.B, body string) {
	h := policyGateway(b)
	req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		req.Body = io.NopCloser(strings.NewReader(body))
		clear(w.h)
		h.ServeHTTP(w, req)
		if w.status != 200 {
			b.Fatalf("status %d", w.status)
		}
	}
}

// BenchmarkChatCompletionWithPolicies is BenchmarkChatCompletion with guardrails, rate limits
// and a budget on the path.
func BenchmarkChatCompletionWithPolicies(b *testing.B) { runPolicyBench(b, benchRequest) }

// BenchmarkChatStreamWithPolicies is BenchmarkChatStream with the same policies; the output
// guardrail filters every streamed chunk.
func BenchmarkChatStreamWithPolicies(b *testing.B) {
	runPolicyBench(b, strings.Replace(benchRequest, `"model":"fast"`, `"model":"fast","stream":true`, 1))
}
