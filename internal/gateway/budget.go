package gateway

import (
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/router"
)

// WithBudgets admits every chat, messages and embeddings request against l's budgets.
func WithBudgets(l *budget.Ledger) Option { return func(g *Gateway) { g.budgets = l } }

// budgetHold is a request's reservation, settled exactly once when the request ends.
type budgetHold struct {
	res     budget.Reservation
	pending bool
}

// admitBudget reserves the request's estimated cost on the budgets covering the caller. It
// returns the route to use: the given one, or the cheaper one a spent budget reroutes to.
// Call settleBudget (deferred) whenever it returned no error.
func (g *Gateway) admitBudget(w http.ResponseWriter, r *http.Request, snap *Snapshot, route *router.Route, c *call, est budget.Estimate) (*router.Route, error) {
	if g.budgets == nil {
		return route, nil
	}
	g.prices.rates(snap, route, &est)
	p := principal(r)
	who := budget.Who{KeyID: p.KeyID, UserID: p.UserID, TeamID: p.TeamID, TeamName: p.TeamName,
		ProjectID: p.ProjectID, BudgetID: p.BudgetID}
	res, err := g.budgets.Admit(&who, &est)
	if err != nil {
		return nil, budgetError(err)
	}
	c.budget = budgetHold{res: res, pending: true}
	if res.RerouteTo == "" {
		return route, nil
	}
	// Like a routing rule, a reroute is the operator's decision, so it is not checked
	// against the key's model list.
	to, err := snap.Routes.Resolve(res.RerouteTo)
	if err != nil {
		g.settleBudget(c, err)
		return nil, err
	}
	w.Header().Set("X-Sluice-Budget-Reroute", res.RerouteBudget)
	return to, nil
}

// budgetError turns a refusal into the client's 429, naming the budget and its reset.
func budgetError(err error) error {
	x, ok := err.(*budget.Exceeded)
	if !ok {
		return err
	}
	e := api.NewError("budget_exceeded", x.Error(), err)
	if !x.ResetsAt.IsZero() {
		e.RetryAfter = max(time.Until(x.ResetsAt), time.Second)
	}
	return e
}

// settleBudget charges what the request actually used. A request that failed before any
// answer is charged nothing. One whose usage is unknown although tokens were spent (a cut
// or abandoned stream, a provider that reports no usage) is charged its reservation, the
// upper bound, so the budget never undercounts.
func (g *Gateway) settleBudget(c *call, err error) {
	if !c.budget.pending {
		return
	}
	c.budget.pending = false
	if c.usage != nil {
		micro, _ := g.cost(c)
		tokens := int64(c.usage.TotalTokens)
		if tokens == 0 {
			tokens = int64(c.usage.PromptTokens + c.usage.CompletionTokens)
		}
		g.budgets.Settle(&c.budget.res, budget.Amount{Tokens: tokens, MicroUSD: micro})
		return
	}
	begun := c.ttft > 0 || c.err != nil // a stream that started answering
	if begun || (err == nil && c.res.Target != nil) {
		g.budgets.SettleReserved(&c.budget.res)
		return
	}
	g.budgets.Settle(&c.budget.res, budget.Amount{})
}

// chatEstimate sizes a chat request for admission: the prompt from the body's length at two
// bytes per token (tokens average about four bytes, so this errs high without running the
// tokenizer on the request path) and the completion from max_tokens.
func chatEstimate(r *http.Request, req *api.ChatRequest) budget.Estimate {
	e := budget.Estimate{PromptTokens: promptBytes(r, req) / 2}
	if req.MaxCompletionTokens != nil {
		e.MaxTokens = int64(*req.MaxCompletionTokens)
	} else if req.MaxTokens != nil {
		e.MaxTokens = int64(*req.MaxTokens)
	}
	return e
}

func promptBytes(r *http.Request, req *api.ChatRequest) int64 {
	if r.ContentLength > 0 {
		return r.ContentLength
	}
	var n int64
	for i := range req.Messages {
		m := &req.Messages[i]
		n += int64(len(m.Content.Text))
		for _, p := range m.Content.Parts {
			n += int64(len(p.Text))
		}
		for _, tc := range m.ToolCalls {
			n += int64(len(tc.Function.Arguments))
		}
	}
	return n
}

// embeddingsEstimate sizes an embeddings request: input only.
func embeddingsEstimate(r *http.Request) budget.Estimate {
	return budget.Estimate{PromptTokens: max(r.ContentLength, 0) / 2, NoCompletion: true}
}

// routePrices caches, per snapshot, each route's highest prompt and completion prices, so
// admission does no catalog lookups.
type routePrices struct {
	cur atomic.Pointer[priceTable]
}

type priceTable struct {
	snap *Snapshot
	m    sync.Map // *router.Route -> [2]int64
}

// rates fills est's prices with those of route's most expensive target (micro-dollars per
// million tokens); targets without a price count as free.
func (p *routePrices) rates(snap *Snapshot, route *router.Route, est *budget.Estimate) {
	t := p.cur.Load()
	if t == nil || t.snap != snap {
		t = &priceTable{snap: snap}
		p.cur.Store(t)
	}
	if v, ok := t.m.Load(route); ok {
		r := v.([2]int64)
		est.PromptPerMTok, est.CompletionPerMTok = r[0], r[1]
		return
	}
	var r [2]int64
	if snap.Pricer != nil {
		for _, tg := range route.Targets {
			in, _ := snap.Pricer.Cost(tg.Provider, tg.Adapter.Type(), tg.Model, &api.Usage{PromptTokens: 1_000_000})
			out, _ := snap.Pricer.Cost(tg.Provider, tg.Adapter.Type(), tg.Model, &api.Usage{CompletionTokens: 1_000_000})
			r[0], r[1] = max(r[0], in), max(r[1], out)
		}
	}
	t.m.Store(route, r)
	est.PromptPerMTok, est.CompletionPerMTok = r[0], r[1]
}
