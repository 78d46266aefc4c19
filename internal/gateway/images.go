package gateway

import (
	"net/http"

	"github.com/sluicehq/sluice/internal/provider"
)

// images serves POST /v1/images/generations.
func (g *Gateway) images(w http.ResponseWriter, r *http.Request) error {
	var req provider.ImagesRequest
	p, err := g.prepareJSON(w, r, &req, &req.Model)
	if err != nil {
		return err
	}
	defer p.cancel()
	resp, res, err := p.snap.Routes.Images(p.ctx, p.route, &req)
	setRoutingHeaders(w, res)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}
