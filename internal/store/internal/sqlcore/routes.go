package sqlcore

import (
	"context"

	"github.com/sluicehq/sluice/internal/store"
)

const routeCols = `id, name, spec, created_at, updated_at`

func scanRoute(r Rows) (store.ModelRoute, error) {
	var m store.ModelRoute
	var spec string
	err := r.Scan(&m.ID, &m.Name, &spec, timeDest{&m.CreatedAt}, timeDest{&m.UpdatedAt})
	m.Spec = []byte(spec)
	return m, err
}

// CreateModelRoute implements store.Store.
func (c *Core) CreateModelRoute(ctx context.Context, m store.ModelRoute) (store.ModelRoute, error) {
	if m.ID == "" {
		m.ID = store.NewID(store.PrefixModelRoute)
	}
	m.CreatedAt = now()
	m.UpdatedAt = m.CreatedAt
	if err := m.Validate(); err != nil {
		return store.ModelRoute{}, c.wrap("create model route", m.Name, err)
	}
	err := c.write(ctx, "create model route", m.Name, func(tx Querier) error {
		_, err := tx.Exec(ctx, `INSERT INTO model_routes (id, org_id, name, spec, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			m.ID, store.DefaultOrgID, m.Name, string(m.Spec), c.d.Time(m.CreatedAt), c.d.Time(m.UpdatedAt))
		return err
	})
	if err != nil {
		return store.ModelRoute{}, err
	}
	return m, nil
}

func (c *Core) getRoute(ctx context.Context, q Querier, id string) (store.ModelRoute, error) {
	var m store.ModelRoute
	err := one(ctx, q, "model route", id, func(r Rows) (err error) { m, err = scanRoute(r); return err },
		`SELECT `+routeCols+` FROM model_routes WHERE id = ?`, id)
	return m, err
}

// GetModelRoute implements store.Store.
func (c *Core) GetModelRoute(ctx context.Context, id string) (store.ModelRoute, error) {
	m, err := c.getRoute(ctx, c.db, id)
	return m, c.wrap("get model route", id, err)
}

// UpdateModelRoute implements store.Store.
func (c *Core) UpdateModelRoute(ctx context.Context, in store.ModelRoute) (store.ModelRoute, error) {
	var m store.ModelRoute
	err := c.write(ctx, "update model route", in.ID, func(tx Querier) (err error) {
		if m, err = c.getRoute(ctx, tx, in.ID); err != nil {
			return err
		}
		m.Name, m.Spec, m.UpdatedAt = in.Name, in.Spec, now()
		if err := m.Validate(); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE model_routes SET name = ?, spec = ?, updated_at = ? WHERE id = ?`,
			m.Name, string(m.Spec), c.d.Time(m.UpdatedAt), m.ID)
		return err
	})
	if err != nil {
		return store.ModelRoute{}, err
	}
	return m, nil
}

// DeleteModelRoute implements store.Store.
func (c *Core) DeleteModelRoute(ctx context.Context, id string) error {
	return c.write(ctx, "delete model route", id, func(tx Querier) error {
		n, err := tx.Exec(ctx, `DELETE FROM model_routes WHERE id = ?`, id)
		return mustAffect(n, err, "model route", id)
	})
}

// ListModelRoutes implements store.Store.
func (c *Core) ListModelRoutes(ctx context.Context, opts store.ListOptions) (store.Page[store.ModelRoute], error) {
	l := listQuery{cols: routeCols, from: "FROM model_routes"}
	p, err := page(ctx, c.db, l, opts, scanRoute, func(m *store.ModelRoute) string { return m.ID })
	return p, c.wrap("list model routes", "", err)
}
