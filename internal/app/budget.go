package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/store"
)

// openBudgets builds the ledger from the configured and stored budgets and loads their
// spend, so a restart continues where the last run (or the other nodes) left off.
func (a *App) openBudgets(ctx context.Context, cfg *config.Config) error {
	bs, err := a.compileBudgets(ctx, cfg, nil)
	if err != nil {
		return err
	}
	a.budgets = budget.New(bs, budgetOptions(cfg, budget.Options{Store: a.store, Logger: a.log}))
	if err := a.budgets.Sync(ctx); err != nil {
		return fmt.Errorf("app: load budget spend: %w", err)
	}
	return nil
}

// reloadBudgets swaps in the budgets of a reloaded config and of the store; spend of
// budgets that keep their ID (and period and time zone) carries over, whatever else
// changed, so raising a limit does not reset what was spent.
func (a *App) reloadBudgets(ctx context.Context, cfg *config.Config) error {
	bs, err := a.compileBudgets(ctx, cfg, nil)
	if err != nil {
		return err
	}
	a.budgets.Swap(bs)
	return nil
}

// budgetChange is a stored budget about to be written (b set) or deleted (b nil), so the
// whole set can be checked before the store changes.
type budgetChange struct {
	id string
	b  *config.Budget
}

// compileBudgets compiles the file's budgets together with the stored ones (with change
// applied). A stored budget may not take the ID of one in the file: which limit applies
// would depend on where it was read.
func (a *App) compileBudgets(ctx context.Context, cfg *config.Config, change *budgetChange) ([]*budget.Budget, error) {
	stored, err := a.store.ListStoredBudgets(ctx)
	if err != nil {
		return nil, fmt.Errorf("app: list stored budgets: %w", err)
	}
	all := slices.Clone(cfg.Budgets)
	fromFile := map[string]bool{}
	for _, b := range cfg.Budgets {
		fromFile[b.ID] = true
	}
	var ps config.Problems
	for _, s := range stored {
		if change != nil && s.ID == change.id {
			continue
		}
		if fromFile[s.ID] {
			ps.Add(nil, fmt.Sprintf("stored budget %q", s.ID), "is also declared in the configuration file; remove one of them")
			continue
		}
		all = append(all, storedBudgetConfig(s))
	}
	if change != nil && change.b != nil {
		all = append(all, *change.b)
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	bs, err := budget.Compile(all)
	if err != nil {
		return nil, fmt.Errorf("app: budgets: %w", err)
	}
	return bs, nil
}

// storedBudgetConfig is a stored budget as a config entry. Stored budgets have no webhooks:
// their alerts are kept as budget events only.
func storedBudgetConfig(s store.StoredBudget) config.Budget {
	return config.Budget{ID: s.ID, Name: s.Name, Scope: s.Scope, ScopeID: s.ScopeID, LimitUSD: s.LimitUSD,
		LimitTokens: s.LimitTokens, Period: s.Period, Timezone: s.Timezone, Thresholds: s.Thresholds,
		OnExceed: s.OnExceed, RerouteTo: s.RerouteTo, ReserveTokens: s.ReserveTokens}
}

// checkStoredBudget validates a stored budget as if written (b set, its defaults applied in
// place) or deleted (b nil): on its own with the config loader's rules, so problems name the
// budget's own fields, then with every other budget. An ID the config file uses is a
// conflict.
func (a *App) checkStoredBudget(ctx context.Context, id string, b *config.Budget) error {
	cfg, _, err := a.loadBase()
	if err != nil {
		return err
	}
	if b == nil {
		return nil // deleting a stored budget never breaks the others
	}
	models := map[string]bool{}
	if t := a.routes(); t != nil {
		for _, m := range t.Models() {
			models[m.ID] = true
		}
	}
	if ps := config.ValidateStoredBudget(b, models); len(ps) > 0 {
		msgs := make([]string, len(ps))
		for i, p := range ps {
			msgs[i] = p.String()
		}
		return api.NewError("invalid_request", "budget: "+strings.Join(msgs, "; "), ps)
	}
	for _, fb := range cfg.Budgets {
		if fb.ID == id {
			return api.Errorf("conflict", "budget %q is declared in the configuration file; budgets stored through the API take other IDs", id)
		}
	}
	_, err = a.compileBudgets(ctx, cfg, &budgetChange{id: id, b: b})
	return err
}

// budgetsStamp identifies the stored budgets' state, so watchStore reloads when another
// node changes one.
func (a *App) budgetsStamp(ctx context.Context) string {
	stored, err := a.store.ListStoredBudgets(ctx)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, s := range stored {
		fmt.Fprintf(&b, "|%s@%d", s.ID, s.Version)
	}
	return b.String()
}
