package gateway

import (
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
)

// embeddings serves POST /v1/embeddings.
func (g *Gateway) embeddings(w http.ResponseWriter, r *http.Request) error {
	var req api.EmbeddingsRequest
	p, err := g.prepareJSON(w, r, &req, &req.Model)
	if err != nil {
		return err
	}
	defer p.cancel()
	resp, res, err := p.snap.Routes.Embeddings(p.ctx, p.route, &req)
	setRoutingHeaders(w, res)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}
