package gateway

import (
	"context"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/router"
)

// admitChat applies the per-request policy every chat-shaped surface shares once its route is
// known — the caller's rate limits, the input guardrails (which may rewrite req) and the
// budgets (which may reroute) — so that no API surface is a way around them. Handlers defer
// settleChat with their final error right after, which settles whatever was admitted exactly
// once, whatever the outcome. (/v1/chat/completions runs the same steps with its cache lookup
// between the guardrails and the budgets.)
func (g *Gateway) admitChat(ctx context.Context, w http.ResponseWriter, r *http.Request, snap *Snapshot, route *router.Route, req *api.ChatRequest, c *call) (*router.Route, error) {
	if err := g.admitRate(w, r, c, req.Model, chatTokens(req)); err != nil {
		return nil, err
	}
	if err := g.inputGuardrails(ctx, w, r, snap, route, req, c); err != nil {
		return nil, err
	}
	return g.admitBudget(w, r, snap, route, c, chatEstimate(r, req))
}

// settleChat settles the budgets, then the rate limits, of what admitChat admitted; a no-op for
// what it did not reach.
func (g *Gateway) settleChat(c *call, err error) {
	g.settleBudget(c, err)
	g.settleRate(c)
}
