package sqlcore

import (
	"context"
	"fmt"
	"strconv"

	"github.com/sluicehq/sluice/internal/store"
)

const guardrailCols = `name, version, spec, updated_at, updated_by`

func scanGuardrail(r Rows) (store.GuardrailPolicy, error) {
	var g store.GuardrailPolicy
	var spec string
	err := r.Scan(&g.Name, &g.Version, &spec, timeDest{&g.UpdatedAt}, &g.UpdatedBy)
	g.Spec = []byte(spec)
	return g, err
}

// putGuardrailVersion writes g as the policy's current row (insert when create) and appends
// it to the history, in the caller's transaction.
func (c *Core) putGuardrailVersion(ctx context.Context, tx Querier, g store.GuardrailPolicy, create bool) error {
	var err error
	if create {
		_, err = tx.Exec(ctx, `INSERT INTO guardrail_policies (`+guardrailCols+`) VALUES (?, ?, ?, ?, ?)`,
			g.Name, g.Version, string(g.Spec), c.d.Time(g.UpdatedAt), g.UpdatedBy)
	} else {
		_, err = tx.Exec(ctx, `UPDATE guardrail_policies SET version = ?, spec = ?, updated_at = ?, updated_by = ? WHERE name = ?`,
			g.Version, string(g.Spec), c.d.Time(g.UpdatedAt), g.UpdatedBy, g.Name)
	}
	if err != nil {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO guardrail_policy_versions (name, version, spec, at, actor) VALUES (?, ?, ?, ?, ?)`,
		g.Name, g.Version, string(g.Spec), c.d.Time(g.UpdatedAt), g.UpdatedBy)
	return err
}

// CreateGuardrailPolicy implements store.Store.
func (c *Core) CreateGuardrailPolicy(ctx context.Context, g store.GuardrailPolicy) (store.GuardrailPolicy, error) {
	g.UpdatedAt = now()
	if err := g.Validate(); err != nil {
		return store.GuardrailPolicy{}, c.wrap("create guardrail policy", g.Name, err)
	}
	err := c.write(ctx, "create guardrail policy", g.Name, func(tx Querier) error {
		// A re-created policy continues its deleted predecessor's numbering.
		var last int64
		err := one(ctx, tx, "guardrail policy", g.Name, func(r Rows) error { return r.Scan(&last) },
			`SELECT COALESCE(MAX(version), 0) FROM guardrail_policy_versions WHERE name = ?`, g.Name)
		if err != nil {
			return err
		}
		g.Version = last + 1
		return c.putGuardrailVersion(ctx, tx, g, true)
	})
	if err != nil {
		return store.GuardrailPolicy{}, err
	}
	return g, nil
}

func getGuardrail(ctx context.Context, q Querier, name string) (store.GuardrailPolicy, error) {
	var g store.GuardrailPolicy
	err := one(ctx, q, "guardrail policy", name, func(r Rows) (err error) { g, err = scanGuardrail(r); return err },
		`SELECT `+guardrailCols+` FROM guardrail_policies WHERE name = ?`, name)
	return g, err
}

// GetGuardrailPolicy implements store.Store.
func (c *Core) GetGuardrailPolicy(ctx context.Context, name string) (store.GuardrailPolicy, error) {
	g, err := getGuardrail(ctx, c.db, name)
	return g, c.wrap("get guardrail policy", name, err)
}

// UpdateGuardrailPolicy implements store.Store.
func (c *Core) UpdateGuardrailPolicy(ctx context.Context, in store.GuardrailPolicy) (store.GuardrailPolicy, error) {
	var g store.GuardrailPolicy
	err := c.write(ctx, "update guardrail policy", in.Name, func(tx Querier) (err error) {
		if g, err = getGuardrail(ctx, tx, in.Name); err != nil {
			return err
		}
		if in.Version != 0 && in.Version != g.Version {
			return fmt.Errorf("version %d is not the stored version %d: %w", in.Version, g.Version, store.ErrConflict)
		}
		g.Version++
		g.Spec, g.UpdatedBy, g.UpdatedAt = in.Spec, in.UpdatedBy, now()
		if err := g.Validate(); err != nil {
			return err
		}
		return c.putGuardrailVersion(ctx, tx, g, false)
	})
	if err != nil {
		return store.GuardrailPolicy{}, err
	}
	return g, nil
}

// DeleteGuardrailPolicy implements store.Store.
func (c *Core) DeleteGuardrailPolicy(ctx context.Context, name string) error {
	return c.write(ctx, "delete guardrail policy", name, func(tx Querier) error {
		n, err := tx.Exec(ctx, `DELETE FROM guardrail_policies WHERE name = ?`, name)
		return mustAffect(n, err, "guardrail policy", name)
	})
}

// ListGuardrailPolicies implements store.Store.
func (c *Core) ListGuardrailPolicies(ctx context.Context) ([]store.GuardrailPolicy, error) {
	gs, err := all(ctx, c.db, scanGuardrail, `SELECT `+guardrailCols+` FROM guardrail_policies ORDER BY name`)
	return gs, c.wrap("list guardrail policies", "", err)
}

// ListGuardrailPolicyVersions implements store.Store.
func (c *Core) ListGuardrailPolicyVersions(ctx context.Context, name string, opts store.ListOptions) (store.Page[store.GuardrailPolicy], error) {
	var p store.Page[store.GuardrailPolicy]
	limit := opts.Limit
	switch {
	case limit < 0:
		return p, c.wrap("list guardrail policy versions", name, fmt.Errorf("%w list options: limit must be >= 0", store.ErrInvalid))
	case limit == 0:
		limit = store.DefaultLimit
	case limit > store.MaxLimit:
		limit = store.MaxLimit
	}
	before := int64(1) << 62
	if opts.After != "" {
		v, err := strconv.ParseInt(opts.After, 10, 64)
		if err != nil || v < 1 {
			return p, c.wrap("list guardrail policy versions", name, fmt.Errorf("%w list options: after must be a version number", store.ErrInvalid))
		}
		before = v
	}
	items, err := all(ctx, c.db, scanGuardrail,
		`SELECT name, version, spec, at, actor FROM guardrail_policy_versions WHERE name = ? AND version < ? ORDER BY version DESC LIMIT ?`,
		name, before, limit+1)
	if err != nil {
		return p, c.wrap("list guardrail policy versions", name, err)
	}
	if len(items) > limit {
		items = items[:limit]
		p.Next = strconv.FormatInt(items[limit-1].Version, 10)
	}
	p.Items = items
	return p, nil
}
