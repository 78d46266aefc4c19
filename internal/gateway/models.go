package gateway

import (
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
)

// listModels serves GET /v1/models from the body pre-encoded at compile time.
func (g *Gateway) listModels(w http.ResponseWriter, r *http.Request) error {
	table := g.snapshot.Load().Routes
	p := principal(r)
	if p.Unrestricted() {
		writeRaw(w, http.StatusOK, table.ModelsJSON())
		return nil
	}
	list := api.ModelList{Object: "list", Data: []api.Model{}}
	for _, m := range table.Models() {
		if p.MayUse(m.ID) {
			list.Data = append(list.Data, m)
		}
	}
	return writeJSON(w, http.StatusOK, &list)
}

// getModel serves GET /v1/models/{id}; ids may contain '/' (provider/model).
func (g *Gateway) getModel(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	for _, m := range g.snapshot.Load().Routes.Models() {
		if m.ID == id {
			return writeJSON(w, http.StatusOK, &m)
		}
	}
	e := api.Errorf("model_not_found", "The model `%s` does not exist or is not served by this gateway.", id)
	e.Param = "model"
	return e
}
