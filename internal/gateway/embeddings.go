package gateway

import (
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/api"
)

// embeddings serves POST /v1/embeddings.
func (g *Gateway) embeddings(w http.ResponseWriter, r *http.Request) (err error) {
	c := &call{start: time.Now()}
	defer func() { g.record(w, r, c, err) }()
	var req api.EmbeddingsRequest
	p, err := g.prepareJSON(w, r, &req, &req.Model)
	c.model = req.Model
	if err != nil {
		return err
	}
	defer p.cancel()
	if c.meta, err = metadata(r); err != nil {
		return err
	}
	if err := g.admitRate(w, r, c, req.Model, embeddingsTokens(&req)); err != nil {
		return err
	}
	defer g.settleRate(c)
	if p.route, err = g.admitBudget(w, r, p.snap, p.route, c, embeddingsEstimate(r)); err != nil {
		return err
	}
	defer func() { g.settleBudget(c, err) }()
	resp, res, err := p.snap.Routes.Embeddings(p.ctx, p.route, &req)
	c.res = res
	setRoutingHeaders(w, res)
	if err != nil {
		return err
	}
	c.usage = &api.Usage{PromptTokens: resp.Usage.PromptTokens, TotalTokens: resp.Usage.TotalTokens}
	g.setCostHeader(w, c)
	return writeJSON(w, http.StatusOK, resp)
}
