package app

import (
	"context"
	"fmt"

	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/config"
)

// openBudgets builds the ledger from the configured budgets and loads their spend, so a
// restart continues where the last run (or the other nodes) left off.
func (a *App) openBudgets(ctx context.Context, cfg *config.Config) error {
	bs, err := budget.Compile(cfg.Budgets)
	if err != nil {
		return fmt.Errorf("app: budgets: %w", err)
	}
	a.budgets = budget.New(bs, budgetOptions(cfg, budget.Options{Store: a.store, Logger: a.log}))
	if err := a.budgets.Sync(ctx); err != nil {
		return fmt.Errorf("app: load budget spend: %w", err)
	}
	return nil
}

// reloadBudgets swaps in a reloaded config's budgets; spend of budgets that keep their ID
// carries over.
func (a *App) reloadBudgets(cfg *config.Config) error {
	bs, err := budget.Compile(cfg.Budgets)
	if err != nil {
		return fmt.Errorf("app: budgets: %w", err)
	}
	a.budgets.Swap(bs)
	return nil
}
