package admin

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/store"
)

// Budgets reports the gateway's budgets; *budget.Ledger.
type Budgets interface {
	Status(id string) (budget.Status, bool)
	Budgets() []*budget.Budget
}

// WithBudgets enables /admin/v1/budgets.
func (a *API) WithBudgets(b Budgets) *API {
	a.spend = b
	return a
}

// mayReadBudget: admins read every budget; others the budgets of their own teams.
func mayReadBudget(p *auth.Principal, st *budget.Status) bool {
	return p.IsAdmin() || (st.Scope == "team" && (p.InTeam(st.ScopeID) || p.TeamName == st.ScopeID))
}

// budgetListItem is a budget's status and where it is defined: the config file or this API.
type budgetListItem struct {
	budget.Status `json:",inline"`
	Source        string `json:"source"`
}

func (a *API) listBudgets(r *http.Request, p *auth.Principal) (int, any, error) {
	out := page[budgetListItem]{Object: "list", Data: []budgetListItem{}}
	if a.spend == nil {
		return http.StatusOK, out, nil
	}
	stored, err := a.store.ListStoredBudgets(r.Context())
	if err != nil {
		return 0, nil, err
	}
	fromAPI := make(map[string]bool, len(stored))
	for _, s := range stored {
		fromAPI[s.ID] = true
	}
	for _, b := range a.spend.Budgets() {
		if st, ok := a.spend.Status(b.ID); ok && mayReadBudget(p, &st) {
			src := "file"
			if fromAPI[b.ID] {
				src = "api"
			}
			out.Data = append(out.Data, budgetListItem{Status: st, Source: src})
		}
	}
	slices.SortFunc(out.Data, func(x, y budgetListItem) int { return strings.Compare(x.BudgetID, y.BudgetID) })
	return http.StatusOK, out, nil
}

func (a *API) budgetStatus(r *http.Request, p *auth.Principal) (int, any, error) {
	id := r.PathValue("id")
	if a.spend != nil {
		if st, ok := a.spend.Status(id); ok {
			if !mayReadBudget(p, &st) {
				return 0, nil, forbidden("budget %q belongs to another team", id)
			}
			return http.StatusOK, st, nil
		}
	}
	return 0, nil, api.Errorf("resource_not_found", "no budget %q is configured", id)
}

// budgetEventView is one alert as the API shows it.
type budgetEventView struct {
	ID          string    `json:"id"`
	Object      string    `json:"object"`
	BudgetID    string    `json:"budget_id"`
	PeriodStart time.Time `json:"period_start"`
	Threshold   int       `json:"threshold"`
	At          time.Time `json:"at"`
	Spent       int64     `json:"spent"`
	Limit       int64     `json:"limit"`
	Unit        string    `json:"unit"`
	Message     string    `json:"message"`
}

func viewBudgetEvent(e store.BudgetEvent) budgetEventView {
	return budgetEventView{ID: e.ID, Object: "budget.event", BudgetID: e.BudgetID, PeriodStart: e.PeriodStart,
		Threshold: e.Threshold, At: e.At, Spent: e.Spent, Limit: e.Limit, Unit: e.Unit, Message: e.Message}
}

func (a *API) listBudgetEvents(r *http.Request, p *auth.Principal) (int, any, error) {
	if !p.IsAdmin() {
		return 0, nil, forbidden("listing budget events needs admin")
	}
	opts, err := listOptions(r)
	if err != nil {
		return 0, nil, err
	}
	pg, err := a.store.ListBudgetEvents(r.Context(), store.BudgetEventFilter{BudgetID: r.URL.Query().Get("budget_id")}, opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(pg, viewBudgetEvent), nil
}

func init() {
	num := map[string]any{"type": "number"}
	schemas["BudgetStatus"] = object([]string{"budget_id", "unit", "period", "limit", "spent"}, map[string]any{
		"budget_id": str(), "name": str(), "scope": str(), "scope_id": str(),
		"unit":   map[string]any{"type": "string", "enum": []string{"usd", "tokens"}, "description": "usd amounts are micro-dollars"},
		"period": str(), "timezone": str(), "thresholds": map[string]any{"type": "array", "items": integer()},
		"on_exceed": str(), "reroute_to": str(), "limit": integer(), "spent": integer(), "reserved": integer(),
		"remaining": integer(), "utilization": num, "period_start": timeT(), "period_end": timeT(), "resets_at": timeT(),
		"exhausts_at": timeT(), "source": map[string]any{"type": "string", "enum": []string{"file", "api"},
			"description": "where the budget is defined: the config file or the admin API"}})
	schemas["BudgetEvent"] = object([]string{"id", "budget_id", "threshold", "at"}, map[string]any{
		"id": str(), "object": str(), "budget_id": str(), "period_start": timeT(), "threshold": integer(), "at": timeT(),
		"spent": integer(), "limit": integer(), "unit": str(), "message": str()})
}
