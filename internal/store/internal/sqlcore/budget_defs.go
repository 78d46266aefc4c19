package sqlcore

import (
	"context"
	"fmt"

	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/store"
)

const budgetDefCols = `id, name, scope, scope_id, limit_usd, limit_tokens, period, timezone, thresholds, on_exceed,
	reroute_to, reserve_tokens, version, created_at, updated_at, updated_by`

func scanBudgetDef(r Rows) (store.StoredBudget, error) {
	var b store.StoredBudget
	var thresholds string
	err := r.Scan(&b.ID, &b.Name, &b.Scope, &b.ScopeID, &b.LimitUSD, &b.LimitTokens, &b.Period, &b.Timezone,
		&thresholds, &b.OnExceed, &b.RerouteTo, &b.ReserveTokens, &b.Version, timeDest{&b.CreatedAt},
		timeDest{&b.UpdatedAt}, &b.UpdatedBy)
	if err != nil {
		return b, err
	}
	if err := jsonx.Unmarshal([]byte(thresholds), &b.Thresholds); err != nil {
		return b, fmt.Errorf("budget %q: thresholds: %w", b.ID, err)
	}
	return b, nil
}

// budgetArgs are b's columns in budgetDefCols order.
func (c *Core) budgetArgs(b store.StoredBudget) ([]any, error) {
	thresholds, err := jsonx.Marshal(b.Thresholds)
	if err != nil {
		return nil, err
	}
	if b.Thresholds == nil {
		thresholds = []byte("[]")
	}
	return []any{b.ID, b.Name, b.Scope, b.ScopeID, b.LimitUSD, b.LimitTokens, b.Period, b.Timezone,
		string(thresholds), b.OnExceed, b.RerouteTo, b.ReserveTokens, b.Version, c.d.Time(b.CreatedAt),
		c.d.Time(b.UpdatedAt), b.UpdatedBy}, nil
}

// CreateStoredBudget implements store.Store.
func (c *Core) CreateStoredBudget(ctx context.Context, b store.StoredBudget) (store.StoredBudget, error) {
	b.Version, b.CreatedAt = 1, now()
	b.UpdatedAt = b.CreatedAt
	if err := b.Validate(); err != nil {
		return store.StoredBudget{}, c.wrap("create budget", b.ID, err)
	}
	args, err := c.budgetArgs(b)
	if err != nil {
		return store.StoredBudget{}, c.wrap("create budget", b.ID, err)
	}
	err = c.write(ctx, "create budget", b.ID, func(tx Querier) error {
		_, err := tx.Exec(ctx, `INSERT INTO budget_defs (`+budgetDefCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, args...)
		return err
	})
	if err != nil {
		return store.StoredBudget{}, err
	}
	return b, nil
}

func getBudgetDef(ctx context.Context, q Querier, id string) (store.StoredBudget, error) {
	var b store.StoredBudget
	err := one(ctx, q, "budget", id, func(r Rows) (err error) { b, err = scanBudgetDef(r); return err },
		`SELECT `+budgetDefCols+` FROM budget_defs WHERE id = ?`, id)
	return b, err
}

// GetStoredBudget implements store.Store.
func (c *Core) GetStoredBudget(ctx context.Context, id string) (store.StoredBudget, error) {
	b, err := getBudgetDef(ctx, c.db, id)
	return b, c.wrap("get budget", id, err)
}

// UpdateStoredBudget implements store.Store.
func (c *Core) UpdateStoredBudget(ctx context.Context, in store.StoredBudget) (store.StoredBudget, error) {
	var b store.StoredBudget
	err := c.write(ctx, "update budget", in.ID, func(tx Querier) error {
		cur, err := getBudgetDef(ctx, tx, in.ID)
		if err != nil {
			return err
		}
		if in.Version != 0 && in.Version != cur.Version {
			return fmt.Errorf("version %d is not the stored version %d: %w", in.Version, cur.Version, store.ErrConflict)
		}
		b = in
		b.Version, b.CreatedAt, b.UpdatedAt = cur.Version+1, cur.CreatedAt, now()
		if err := b.Validate(); err != nil {
			return err
		}
		args, err := c.budgetArgs(b)
		if err != nil {
			return err
		}
		// args without id, then id for the WHERE.
		_, err = tx.Exec(ctx, `UPDATE budget_defs SET name = ?, scope = ?, scope_id = ?, limit_usd = ?, limit_tokens = ?,
			period = ?, timezone = ?, thresholds = ?, on_exceed = ?, reroute_to = ?, reserve_tokens = ?, version = ?,
			created_at = ?, updated_at = ?, updated_by = ? WHERE id = ?`, append(args[1:], b.ID)...)
		return err
	})
	if err != nil {
		return store.StoredBudget{}, err
	}
	return b, nil
}

// DeleteStoredBudget implements store.Store.
func (c *Core) DeleteStoredBudget(ctx context.Context, id string) error {
	return c.write(ctx, "delete budget", id, func(tx Querier) error {
		n, err := tx.Exec(ctx, `DELETE FROM budget_defs WHERE id = ?`, id)
		return mustAffect(n, err, "budget", id)
	})
}

// ListStoredBudgets implements store.Store.
func (c *Core) ListStoredBudgets(ctx context.Context) ([]store.StoredBudget, error) {
	bs, err := all(ctx, c.db, scanBudgetDef, `SELECT `+budgetDefCols+` FROM budget_defs ORDER BY id`)
	return bs, c.wrap("list budgets", "", err)
}
