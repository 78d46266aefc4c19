package gateway

import (
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
)

// images serves POST /v1/images/generations.
func (g *Gateway) images(w http.ResponseWriter, r *http.Request) error {
	snap := g.snapshot.Load()
	var req provider.ImagesRequest
	if err := decodeJSON(w, r, snap.MaxBodyBytes, &req); err != nil {
		return err
	}
	overrideModel(r, &req.Model)
	if err := req.Validate(); err != nil {
		return api.NewError("invalid_request", err.Error(), err)
	}
	route, err := g.resolve(r, snap.Routes, req.Model)
	if err != nil {
		return err
	}
	ctx, cancel, err := requestDeadline(r)
	if err != nil {
		return err
	}
	defer cancel()
	resp, res, err := snap.Routes.Images(ctx, route, &req)
	setRoutingHeaders(w, res)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}
