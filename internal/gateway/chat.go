package gateway

import (
	"net/http"
	"strconv"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/router"
)

// chat serves POST /v1/chat/completions.
func (g *Gateway) chat(w http.ResponseWriter, r *http.Request) error {
	snap := g.snapshot.Load()
	var req api.ChatRequest
	if err := decodeJSON(w, r, snap.MaxBodyBytes, &req); err != nil {
		return err
	}
	if err := req.Validate(); err != nil {
		return api.NewError("invalid_request", err.Error(), err)
	}
	route, err := snap.Routes.Resolve(req.Model)
	if err != nil {
		return err
	}
	if req.Stream {
		return g.relayStream(w, r, snap.Routes, route, &req)
	}
	resp, res, err := snap.Routes.Chat(r.Context(), route, &req)
	setRoutingHeaders(w, res)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, resp)
}

// setRoutingHeaders tells the client which provider and model served it, and after how many
// attempts, so a misrouted request is visible without the logs.
func setRoutingHeaders(w http.ResponseWriter, res router.Result) {
	if res.Target == nil {
		return
	}
	h := w.Header()
	h.Set("X-Sluice-Provider", res.Target.Provider)
	h.Set("X-Sluice-Model", res.Target.Model)
	h.Set("X-Sluice-Attempts", strconv.Itoa(res.Attempts))
}
