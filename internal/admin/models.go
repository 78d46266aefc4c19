package admin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/store"
)

// ModelRoutes wires the model endpoints to the gateway: Check validates a model as if stored
// (route set) or deleted (route nil) against the whole running configuration, and OnChange
// rebuilds the routing table after a change.
type ModelRoutes struct {
	Check    func(ctx context.Context, id string, route *store.ModelRoute) error
	OnChange func(ctx context.Context) error
}

// WithModelRoutes enables /admin/v1/models.
func (a *API) WithModelRoutes(m ModelRoutes) *API {
	a.models = m
	return a
}

// modelView shows a stored model: its id and its spec as it was given.
type modelView struct {
	ID        string      `json:"id"`
	Object    string      `json:"object"`
	Name      string      `json:"name"`
	Spec      jsonx.Value `json:"spec"`
	CreatedAt time.Time   `json:"created_at"`
	UpdatedAt time.Time   `json:"updated_at"`
}

func viewModel(m store.ModelRoute) modelView {
	return modelView{ID: m.ID, Object: "model_route", Name: m.Name, Spec: jsonx.Value(m.Spec), CreatedAt: m.CreatedAt, UpdatedAt: m.UpdatedAt}
}

// readSpec reads a model spec (a config models[] entry as JSON) and its name.
func readSpec(r *http.Request) (store.ModelRoute, error) {
	raw, err := io.ReadAll(r.Body)
	if err != nil {
		return store.ModelRoute{}, api.NewError("request_aborted", "the request body could not be read", err)
	}
	var head struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return store.ModelRoute{}, api.NewError("invalid_json", "the body must be a model object: "+err.Error(), err)
	}
	return store.ModelRoute{Name: head.Name, Spec: raw}, nil
}

// check turns configuration problems into a 400 that lists them.
func (a *API) check(ctx context.Context, id string, route *store.ModelRoute) error {
	if a.models.Check == nil {
		return nil
	}
	if err := a.models.Check(ctx, id, route); err != nil {
		var e *api.Error
		if errors.As(err, &e) {
			return e
		}
		return api.NewError("invalid_request", err.Error(), err)
	}
	return nil
}

func (a *API) modelsChanged(ctx context.Context) error {
	if a.models.OnChange == nil {
		return nil
	}
	return a.models.OnChange(context.WithoutCancel(ctx))
}

func (a *API) listModels(r *http.Request, p *auth.Principal) (int, any, error) {
	opts, err := listOptions(r)
	if err != nil {
		return 0, nil, err
	}
	pg, err := a.store.ListModelRoutes(r.Context(), opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(pg, viewModel), nil
}

func (a *API) getModel(r *http.Request, p *auth.Principal) (int, any, error) {
	m, err := a.store.GetModelRoute(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewModel(m), nil
}

func (a *API) createModel(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	m, err := readSpec(r)
	if err != nil {
		return 0, nil, err
	}
	if err := a.check(r.Context(), "", &m); err != nil {
		return 0, nil, err
	}
	if m, err = a.store.CreateModelRoute(r.Context(), m); err != nil {
		return 0, nil, err
	}
	if err := a.audit(r, p, "model.create", "model", m.ID, nil, viewModel(m)); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewModel(m), a.modelsChanged(r.Context())
}

func (a *API) replaceModel(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	before, err := a.store.GetModelRoute(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	m, err := readSpec(r)
	if err != nil {
		return 0, nil, err
	}
	m.ID = before.ID
	if err := a.check(r.Context(), before.ID, &m); err != nil {
		return 0, nil, err
	}
	if m, err = a.store.UpdateModelRoute(r.Context(), m); err != nil {
		return 0, nil, err
	}
	if err := a.audit(r, p, "model.update", "model", m.ID, viewModel(before), viewModel(m)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewModel(m), a.modelsChanged(r.Context())
}

func (a *API) deleteModel(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	before, err := a.store.GetModelRoute(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if err := a.check(r.Context(), before.ID, nil); err != nil {
		return 0, nil, err
	}
	if err := a.store.DeleteModelRoute(r.Context(), before.ID); err != nil {
		return 0, nil, err
	}
	if err := a.audit(r, p, "model.delete", "model", before.ID, viewModel(before), nil); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.modelsChanged(r.Context())
}
