package admin

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/store"
)

// StoredBudgets wires the budget-management endpoints to the gateway: Check validates a
// budget as if stored (b set, defaults applied in place) or deleted (b nil) against the
// running configuration, and OnChange rebuilds the ledger after a change.
type StoredBudgets struct {
	Check    func(ctx context.Context, id string, b *config.Budget) error
	OnChange func(ctx context.Context) error
}

// WithStoredBudgets enables POST, PATCH and DELETE on /admin/v1/budgets.
func (a *API) WithStoredBudgets(s StoredBudgets) *API {
	a.storedBudgets = &s
	return a
}

// budgetInput is a budget as the API takes it: a config budgets[] entry in JSON.
type budgetInput struct {
	ID            string  `json:"id"`
	Name          string  `json:"name"`
	Scope         string  `json:"scope"`
	ScopeID       string  `json:"scope_id"`
	LimitUSD      float64 `json:"limit_usd"`
	LimitTokens   int64   `json:"limit_tokens"`
	Period        string  `json:"period"`
	Timezone      string  `json:"timezone"`
	Thresholds    []int   `json:"thresholds"`
	OnExceed      string  `json:"on_exceed"`
	RerouteTo     string  `json:"reroute_to"`
	ReserveTokens int64   `json:"reserve_tokens"`
	// Webhooks are refused with a clear message rather than as an unknown member: their URLs
	// carry credentials, which the API does not store.
	Webhooks jsonx.Value `json:"webhooks,omitzero"`
}

func (in *budgetInput) config() config.Budget {
	return config.Budget{ID: in.ID, Name: in.Name, Scope: in.Scope, ScopeID: in.ScopeID, LimitUSD: in.LimitUSD,
		LimitTokens: in.LimitTokens, Period: in.Period, Timezone: in.Timezone, Thresholds: in.Thresholds,
		OnExceed: in.OnExceed, RerouteTo: in.RerouteTo, ReserveTokens: in.ReserveTokens}
}

func inputOf(s store.StoredBudget) budgetInput {
	return budgetInput{ID: s.ID, Name: s.Name, Scope: s.Scope, ScopeID: s.ScopeID, LimitUSD: s.LimitUSD,
		LimitTokens: s.LimitTokens, Period: s.Period, Timezone: s.Timezone, Thresholds: s.Thresholds,
		OnExceed: s.OnExceed, RerouteTo: s.RerouteTo, ReserveTokens: s.ReserveTokens}
}

func storedOf(b config.Budget, p *auth.Principal) store.StoredBudget {
	return store.StoredBudget{ID: b.ID, Name: b.Name, Scope: b.Scope, ScopeID: b.ScopeID, LimitUSD: b.LimitUSD,
		LimitTokens: b.LimitTokens, Period: b.Period, Timezone: b.Timezone, Thresholds: b.Thresholds,
		OnExceed: b.OnExceed, RerouteTo: b.RerouteTo, ReserveTokens: b.ReserveTokens, UpdatedBy: actorID(p)}
}

// storedBudgetView shows a budget stored through the API.
type storedBudgetView struct {
	ID            string    `json:"id"`
	Object        string    `json:"object"`
	Source        string    `json:"source"`
	Name          string    `json:"name"`
	Scope         string    `json:"scope"`
	ScopeID       string    `json:"scope_id,omitempty"`
	LimitUSD      float64   `json:"limit_usd,omitzero"`
	LimitTokens   int64     `json:"limit_tokens,omitzero"`
	Period        string    `json:"period"`
	Timezone      string    `json:"timezone"`
	Thresholds    []int     `json:"thresholds"`
	OnExceed      string    `json:"on_exceed"`
	RerouteTo     string    `json:"reroute_to,omitempty"`
	ReserveTokens int64     `json:"reserve_tokens"`
	Version       int64     `json:"version"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	UpdatedBy     string    `json:"updated_by"`
}

func viewStoredBudget(s store.StoredBudget) storedBudgetView {
	return storedBudgetView{ID: s.ID, Object: "budget", Source: "api", Name: s.Name, Scope: s.Scope, ScopeID: s.ScopeID,
		LimitUSD: s.LimitUSD, LimitTokens: s.LimitTokens, Period: s.Period, Timezone: s.Timezone, Thresholds: s.Thresholds,
		OnExceed: s.OnExceed, RerouteTo: s.RerouteTo, ReserveTokens: s.ReserveTokens, Version: s.Version,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt, UpdatedBy: s.UpdatedBy}
}

func init() {
	def := map[string]any{"id": str(), "name": str(),
		"scope":    map[string]any{"type": "string", "enum": []string{"org", "team", "user", "project", "key"}},
		"scope_id": str(), "limit_usd": map[string]any{"type": "number"}, "limit_tokens": integer(),
		"period":   map[string]any{"type": "string", "enum": []string{"daily", "weekly", "monthly", "total"}},
		"timezone": str(), "thresholds": map[string]any{"type": "array", "items": integer()},
		"on_exceed": map[string]any{"type": "string", "enum": []string{"block", "reroute"}}, "reroute_to": str(),
		"reserve_tokens": integer()}
	schemas["BudgetInput"] = object([]string{"id"}, def)
	view := map[string]any{"object": str(), "source": map[string]any{"type": "string", "enum": []string{"api"}},
		"version": integer(), "created_at": timeT(), "updated_at": timeT(), "updated_by": str()}
	for k, v := range def {
		view[k] = v
	}
	schemas["StoredBudget"] = object([]string{"id", "scope", "period", "version"}, view)
}

func (a *API) budgetDefRoutes() []route {
	return []route{
		{"POST", "/admin/v1/budgets", "Create a budget: a config budgets[] entry as JSON, without webhooks (admin; team_admin for their teams)", "BudgetInput", "StoredBudget", false, a.createStoredBudget},
		{"GET", "/admin/v1/budgets/{id}", "Get a budget created through this API (admin; others: their teams')", "", "StoredBudget", false, a.getStoredBudget},
		{"PATCH", "/admin/v1/budgets/{id}", "Change the fields given of a budget created through this API, keeping its spend; If-Match: <version> refuses a lost update (admin; team_admin for their teams)", "BudgetInput", "StoredBudget", false, a.updateStoredBudget},
		{"DELETE", "/admin/v1/budgets/{id}", "Delete a budget created through this API (admin; team_admin for their teams)", "", "", false, a.deleteStoredBudget},
	}
}

// mayWriteBudgets refuses, before anything is read, callers who may change no budget.
func mayWriteBudgets(p *auth.Principal) error {
	if p.IsAdmin() || p.Role == store.RoleTeamAdmin {
		return nil
	}
	return forbidden("changing budgets needs the admin or team_admin role")
}

// mayManageBudget: admins manage every budget; a team admin only team budgets of their own
// teams, and never with a limit above an organization-wide budget of the same unit: the org
// budget is the ceiling the admins set, and a team budget above it would promise spend the
// team can never have.
func (a *API) mayManageBudget(ctx context.Context, p *auth.Principal, b *config.Budget) error {
	if p.IsAdmin() {
		return nil
	}
	if b.Scope != "team" {
		return forbidden("a team admin manages team budgets only, not scope %s", b.Scope)
	}
	team, err := a.findTeam(ctx, b.ScopeID)
	if errors.Is(err, store.ErrNotFound) {
		return forbidden("budget %q covers team %q, which is not a team of yours", b.ID, b.ScopeID)
	}
	if err != nil {
		return err
	}
	if !canManageTeam(p, team.ID) {
		return forbidden("budget %q covers team %q, which is not a team of yours", b.ID, b.ScopeID)
	}
	if a.spend == nil {
		return nil
	}
	unit, limit := budget.USD, int64(math.Round(b.LimitUSD*1e6))
	if b.LimitTokens > 0 {
		unit, limit = budget.Tokens, b.LimitTokens
	}
	for _, org := range a.spend.Budgets() {
		if org.Scope == budget.ScopeOrg && org.Unit == unit && limit > org.Limit && org.ID != b.ID {
			return forbidden("the limit is above the organization budget %q; only an admin may set it", org.ID)
		}
	}
	return nil
}

// findTeam finds a team by ID or, as budgets' scope_id allows, by name.
func (a *API) findTeam(ctx context.Context, idOrName string) (store.Team, error) {
	t, err := a.store.GetTeam(ctx, idOrName)
	if err == nil || !errors.Is(err, store.ErrNotFound) {
		return t, err
	}
	opts := store.ListOptions{Limit: store.MaxLimit}
	for {
		pg, err := a.store.ListTeams(ctx, opts)
		if err != nil {
			return store.Team{}, err
		}
		for _, t := range pg.Items {
			if t.Name == idOrName {
				return t, nil
			}
		}
		if pg.Next == "" {
			return store.Team{}, fmt.Errorf("team %q: %w", idOrName, store.ErrNotFound)
		}
		opts.After = pg.Next
	}
}

// checkStoredBudget validates b (applying its defaults) with the gateway's rules.
func (a *API) checkStoredBudget(ctx context.Context, id string, b *config.Budget) error {
	if a.storedBudgets == nil || a.storedBudgets.Check == nil {
		return api.Errorf("unsupported_endpoint", "budgets cannot be managed through this API here")
	}
	err := a.storedBudgets.Check(ctx, id, b)
	var e *api.Error
	if err != nil && !errors.As(err, &e) {
		return api.NewError("invalid_request", "budget: "+err.Error(), err)
	}
	return err
}

func (a *API) storedBudgetsChanged(ctx context.Context) error {
	if a.storedBudgets == nil || a.storedBudgets.OnChange == nil {
		return nil
	}
	return a.storedBudgets.OnChange(context.WithoutCancel(ctx))
}

func readBudget(r *http.Request, in *budgetInput) error {
	if err := decode(r, in); err != nil {
		return err
	}
	if len(in.Webhooks) > 0 {
		return api.Errorf("invalid_request", "budget: webhooks: are configured in the configuration file only, since their URLs carry credentials; budgets created through the API record their alerts as budget events")
	}
	return nil
}

func (a *API) createStoredBudget(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := mayWriteBudgets(p); err != nil {
		return 0, nil, err
	}
	var in budgetInput
	if err := readBudget(r, &in); err != nil {
		return 0, nil, err
	}
	b := in.config()
	if err := a.checkStoredBudget(r.Context(), b.ID, &b); err != nil {
		return 0, nil, err
	}
	if err := a.mayManageBudget(r.Context(), p, &b); err != nil {
		return 0, nil, err
	}
	s, err := a.store.CreateStoredBudget(r.Context(), storedOf(b, p))
	if err != nil {
		return 0, nil, err
	}
	if err := a.audit(r, p, "budget.create", "budget", s.ID, nil, viewStoredBudget(s)); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewStoredBudget(s), a.storedBudgetsChanged(r.Context())
}

// readableStoredBudget gets a stored budget the caller may read.
func (a *API) readableStoredBudget(r *http.Request, p *auth.Principal) (store.StoredBudget, error) {
	id := r.PathValue("id")
	s, err := a.store.GetStoredBudget(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) && a.spend != nil {
		if _, ok := a.spend.Status(id); ok {
			return s, api.Errorf("resource_not_found", "budget %q is defined in the configuration file; read it at /admin/v1/budgets/%s/status and change it in the file", id, id)
		}
	}
	if err != nil {
		return s, err
	}
	if p.IsAdmin() {
		return s, nil
	}
	if s.Scope == "team" && (p.InTeam(s.ScopeID) || p.TeamName == s.ScopeID) {
		return s, nil
	}
	if t, err := a.findTeam(r.Context(), s.ScopeID); err == nil && s.Scope == "team" && p.InTeam(t.ID) {
		return s, nil
	}
	return s, forbidden("budget %q belongs to another team", id)
}

func (a *API) getStoredBudget(r *http.Request, p *auth.Principal) (int, any, error) {
	s, err := a.readableStoredBudget(r, p)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewStoredBudget(s), nil
}

func (a *API) updateStoredBudget(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := mayWriteBudgets(p); err != nil {
		return 0, nil, err
	}
	before, err := a.readableStoredBudget(r, p)
	if err != nil {
		return 0, nil, err
	}
	old := storedBudgetConfig(before)
	if err := a.mayManageBudget(r.Context(), p, &old); err != nil {
		return 0, nil, err
	}
	var want int64
	if m := r.Header.Get("If-Match"); m != "" {
		if want, err = strconv.ParseInt(m, 10, 64); err != nil || want < 1 {
			return 0, nil, api.Errorf("invalid_request", "If-Match must be a budget version number")
		}
	}
	in := inputOf(before)
	if err := readBudget(r, &in); err != nil {
		return 0, nil, err
	}
	if in.ID != before.ID {
		return 0, nil, api.Errorf("invalid_request", "budget: id: cannot change (%q); create a budget with the new id instead", before.ID)
	}
	b := in.config()
	if err := a.checkStoredBudget(r.Context(), b.ID, &b); err != nil {
		return 0, nil, err
	}
	if err := keepsWhatItCounts(&old, &b); err != nil {
		return 0, nil, err
	}
	if err := a.mayManageBudget(r.Context(), p, &b); err != nil {
		return 0, nil, err
	}
	s := storedOf(b, p)
	s.Version = want
	after, err := a.store.UpdateStoredBudget(r.Context(), s)
	if err != nil {
		return 0, nil, err
	}
	if err := a.audit(r, p, "budget.update", "budget", after.ID, viewStoredBudget(before), viewStoredBudget(after)); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewStoredBudget(after), a.storedBudgetsChanged(r.Context())
}

func (a *API) deleteStoredBudget(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := mayWriteBudgets(p); err != nil {
		return 0, nil, err
	}
	before, err := a.readableStoredBudget(r, p)
	if err != nil {
		return 0, nil, err
	}
	old := storedBudgetConfig(before)
	if err := a.mayManageBudget(r.Context(), p, &old); err != nil {
		return 0, nil, err
	}
	if err := a.checkStoredBudget(r.Context(), before.ID, nil); err != nil {
		return 0, nil, err
	}
	if err := a.store.DeleteStoredBudget(r.Context(), before.ID); err != nil {
		return 0, nil, err
	}
	if err := a.audit(r, p, "budget.delete", "budget", before.ID, viewStoredBudget(before), nil); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.storedBudgetsChanged(r.Context())
}

// keepsWhatItCounts refuses a change of scope or unit: the spend stored for the budget's
// current period was counted for that scope in that unit, and would be carried into the
// changed budget. A period or time zone change is allowed: it starts a new window.
func keepsWhatItCounts(old, b *config.Budget) error {
	if old.Scope != b.Scope || old.ScopeID != b.ScopeID {
		return api.Errorf("invalid_request", "budget: scope: cannot change (%s %s): the spend so far was counted for it; create a budget for the new scope instead", old.Scope, old.ScopeID)
	}
	if (old.LimitTokens > 0) != (b.LimitTokens > 0) {
		return api.Errorf("invalid_request", "budget: the unit cannot change between limit_usd and limit_tokens: the spend so far was counted in the old one; create a new budget instead")
	}
	return nil
}

func storedBudgetConfig(s store.StoredBudget) config.Budget {
	in := inputOf(s)
	return in.config()
}
