package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/router"
	"github.com/sluicehq/sluice/internal/store"
)

// judgeMaxTokens bounds a judge's answer: one small JSON object.
const judgeMaxTokens = 100

// JudgeForKey is the request log metadata key that links a judge call's record to the
// request it judged.
const JudgeForKey = "guardrail_judge_for"

// RouterJudge answers guardrail judge checks with a model of the routing table in force, so a
// judge gets the route's retries, fallbacks and credentials like any request. The call is the
// gateway's own: it skips auth, admission and guardrails (a judge must not judge itself).
// When it runs for a request (the context carries a judgeCaller) it is logged as a record of
// its own, linked to that request, and charged to the caller's budgets.
type RouterJudge struct {
	// Table returns the table in force; it is read per call so a reload applies.
	Table func() *router.Table
}

var _ guardrail.Judge = RouterJudge{}

// Complete implements guardrail.Judge.
func (j RouterJudge) Complete(ctx context.Context, model, system, user string) (string, error) {
	table := j.Table()
	if table == nil {
		return "", errors.New("no routing table")
	}
	route, err := table.Resolve(model)
	if err != nil {
		return "", fmt.Errorf("judge model %q: %w", model, err)
	}
	maxTokens, temperature := judgeMaxTokens, 0.0
	req := &api.ChatRequest{Model: model, MaxTokens: &maxTokens, Temperature: &temperature, Messages: []api.Message{
		{Role: "system", Content: api.TextContent(system)},
		{Role: "user", Content: api.TextContent(user)},
	}}
	start := time.Now()
	resp, res, err := table.Chat(ctx, route, req)
	if jc, ok := ctx.Value(judgeCallerKey{}).(*judgeCaller); ok {
		jc.account(model, start, resp, res, err)
	}
	if err != nil {
		return "", err
	}
	if len(resp.Choices) == 0 {
		return "", errors.New("judge answered no choice")
	}
	return resp.Choices[0].Message.Content.Text, nil
}

type judgeCallerKey struct{}

// judgeCaller is the request a judge check runs for. Its judge calls are that request's
// spend, so they are charged to the caller's own budgets — the team pays for the checks its
// traffic triggers, and a budget's spend matches the provider's bill — but without an
// admission: the request was admitted already, and refusing its check would turn a spent
// budget into a guardrail failure.
type judgeCaller struct {
	g      *Gateway
	parent string // the request's id
	who    *auth.Principal
}

// guardContext is ctx carrying the call's judgeCaller, for the guardrail checks of c.
func (c *call) guardContext(ctx context.Context) context.Context {
	if c.judge == nil {
		return ctx
	}
	return context.WithValue(ctx, judgeCallerKey{}, c.judge)
}

// newJudgeCaller is the judge accounting of the request w answers; nil when there is
// nothing to account to.
func (g *Gateway) newJudgeCaller(w http.ResponseWriter, r *http.Request) *judgeCaller {
	if g.recorder == nil && g.budgets == nil {
		return nil
	}
	return &judgeCaller{g: g, parent: w.Header().Get("X-Request-Id"), who: principal(r)}
}

// account logs one judge call and charges its cost. Both are in memory (the recorder's
// queue, the ledger's counters), so the request waits for nothing beyond the call itself. A
// call without reported usage (failed, timed out) is logged with its error and charged
// nothing: there is no answer to count.
func (jc *judgeCaller) account(model string, start time.Time, resp *api.ChatResponse, res router.Result, err error) {
	g, p := jc.g, jc.who
	c := &call{start: start, model: model, res: res}
	if resp != nil {
		c.usage = resp.Usage
	}
	micro, _ := g.cost(c)
	if g.budgets != nil && c.usage != nil {
		tokens := int64(c.usage.TotalTokens)
		if tokens == 0 {
			tokens = int64(c.usage.PromptTokens + c.usage.CompletionTokens)
		}
		g.budgets.Charge(&budget.Who{KeyID: p.KeyID, UserID: p.UserID, TeamID: p.TeamID, TeamName: p.TeamName,
			ProjectID: p.ProjectID, BudgetID: p.BudgetID}, budget.Amount{Tokens: tokens, MicroUSD: micro})
	}
	if g.recorder == nil {
		return
	}
	rec := store.RequestLog{
		ID: newRequestID(), At: start, KeyID: p.KeyID, UserID: p.UserID, TeamID: p.TeamID, ProjectID: p.ProjectID,
		Model: model, Route: res.Route, Attempts: res.Attempts, Fallback: res.Fallback, Status: http.StatusOK,
		LatencyMs: time.Since(start).Milliseconds(), Metadata: map[string]string{JudgeForKey: jc.parent},
	}
	if t := res.Target; t != nil {
		rec.Provider, rec.UpstreamModel = t.Provider, t.Model
	}
	if err != nil {
		e := api.AsError(err)
		if e.Code == "internal_error" && errors.Is(err, context.DeadlineExceeded) {
			e = api.NewError("upstream_timeout", "the judge model did not answer within the check's timeout", err)
		}
		rec.Status, rec.ErrorType, rec.ErrorCode = e.Status, e.Type, e.Code
	}
	if u := c.usage; u != nil {
		rec.PromptTokens, rec.CompletionTokens = int64(u.PromptTokens), int64(u.CompletionTokens)
		if d := u.PromptTokensDetails; d != nil {
			rec.CachedTokens, rec.CacheCreationTokens = int64(d.CachedTokens), int64(d.CacheCreationTokens)
		}
		rec.CostMicroUSD = micro
	}
	g.recorder.Record(rec)
}
