package sqlcore

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// AddBudgetSpend implements store.Store. Rows are updated in (budget, period) order so two
// nodes flushing the same budgets at once cannot deadlock on PostgreSQL's row locks.
func (c *Core) AddBudgetSpend(ctx context.Context, deltas []store.BudgetSpendDelta) ([]store.BudgetSpend, error) {
	if len(deltas) == 0 {
		return nil, nil
	}
	order := make([]int, len(deltas))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		da, db := &deltas[a], &deltas[b]
		return cmp.Or(cmp.Compare(da.BudgetID, db.BudgetID), da.PeriodStart.Compare(db.PeriodStart))
	})
	out := make([]store.BudgetSpend, len(deltas))
	stamp := now()
	err := c.db.Write(ctx, func(tx Querier) error {
		for _, i := range order {
			d := deltas[i]
			if d.BudgetID == "" {
				return fmt.Errorf("%w: budget spend %d: budget id is required", store.ErrInvalid, i)
			}
			s := store.BudgetSpend{BudgetID: d.BudgetID, PeriodStart: time.Unix(d.PeriodStart.Unix(), 0).UTC()}
			err := one(ctx, tx, "budget spend", d.BudgetID, func(r Rows) error {
				return r.Scan(&s.Spent, timeDest{&s.CreatedAt}, timeDest{&s.UpdatedAt})
			}, `INSERT INTO budget_spend (budget_id, period_start, spent, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?)
				ON CONFLICT (budget_id, period_start) DO UPDATE
				SET spent = budget_spend.spent + excluded.spent, updated_at = excluded.updated_at
				RETURNING spent, created_at, updated_at`,
				d.BudgetID, d.PeriodStart.Unix(), d.Delta, c.d.Time(stamp), c.d.Time(stamp))
			if err != nil {
				return err
			}
			out[i] = s
		}
		return nil
	})
	if err != nil {
		return nil, c.wrap("add budget spend", deltas[0].BudgetID, err)
	}
	return out, nil
}

const budgetEventCols = `id, budget_id, period_start, threshold, at, spent, limit_amount, unit, message`

func scanBudgetEvent(r Rows) (store.BudgetEvent, error) {
	var e store.BudgetEvent
	var start int64
	err := r.Scan(&e.ID, &e.BudgetID, &start, &e.Threshold, timeDest{&e.At}, &e.Spent, &e.Limit, &e.Unit, &e.Message)
	e.PeriodStart = time.Unix(start, 0).UTC()
	return e, err
}

// InsertBudgetEvent implements store.Store.
func (c *Core) InsertBudgetEvent(ctx context.Context, e store.BudgetEvent) (store.BudgetEvent, bool, error) {
	if e.BudgetID == "" || e.Threshold < 1 || e.Threshold > 100 {
		return store.BudgetEvent{}, false, c.wrap("insert budget event", e.BudgetID,
			fmt.Errorf("%w: budget id is required and threshold must be 1 to 100", store.ErrInvalid))
	}
	if e.ID == "" {
		e.ID = store.NewID(store.PrefixBudgetEvent)
	}
	if e.At.IsZero() {
		e.At = now()
	}
	e.At = normTime(e.At)
	e.PeriodStart = time.Unix(e.PeriodStart.Unix(), 0).UTC()
	var n int64
	err := c.db.Write(ctx, func(tx Querier) error {
		var err error
		n, err = tx.Exec(ctx, `INSERT INTO budget_events (`+budgetEventCols+`)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (budget_id, period_start, threshold) DO NOTHING`,
			e.ID, e.BudgetID, e.PeriodStart.Unix(), e.Threshold, c.d.Time(e.At), e.Spent, e.Limit, e.Unit, e.Message)
		return err
	})
	if err != nil {
		return store.BudgetEvent{}, false, c.wrap("insert budget event", e.BudgetID, err)
	}
	return e, n == 1, nil
}

// ListBudgetEvents implements store.Store.
func (c *Core) ListBudgetEvents(ctx context.Context, f store.BudgetEventFilter, opts store.ListOptions) (store.Page[store.BudgetEvent], error) {
	l := listQuery{cols: budgetEventCols, from: "FROM budget_events"}
	if f.BudgetID != "" {
		l.filter("budget_id = ?", f.BudgetID)
	}
	p, err := page(ctx, c.db, l, opts, scanBudgetEvent, func(e *store.BudgetEvent) string { return e.ID })
	return p, c.wrap("list budget events", f.BudgetID, err)
}
