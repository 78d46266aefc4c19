package sqlcore

import (
	"context"
	"fmt"

	"github.com/sluicehq/sluice/internal/store"
)

const keyCols = `id, prefix, hash, name, owner_kind, owner_id, team_id, project_id, models,
	expires_at, revoked_at, rpm, tpm, budget_id, tags, created_at, last_rotated_at`

func scanKey(r Rows) (store.APIKey, error) {
	var k store.APIKey
	var kind string
	err := r.Scan(&k.ID, &k.Prefix, &k.Hash, &k.Name, &kind, &k.OwnerID,
		nullString{&k.TeamID}, nullString{&k.ProjectID}, jsonDest{&k.Models},
		nullTimeDest{&k.ExpiresAt}, nullTimeDest{&k.RevokedAt}, &k.RPM, &k.TPM,
		nullString{&k.BudgetID}, jsonDest{&k.Tags}, timeDest{&k.CreatedAt}, nullTimeDest{&k.LastRotatedAt})
	k.OwnerKind = store.OwnerKind(kind)
	k.Models, k.Tags = emptySlice(k.Models), emptyMap(k.Tags)
	return k, err
}

func (c *Core) getKeyTx(ctx context.Context, q Querier, id string) (store.APIKey, error) {
	var k store.APIKey
	err := one(ctx, q, "api key", id, func(r Rows) (err error) { k, err = scanKey(r); return err },
		`SELECT `+keyCols+` FROM api_keys WHERE id = ?`, id)
	return k, err
}

// checkOwner verifies that the key's owner and team exist and agree, filling a project
// key's TeamID from its project.
func checkOwner(ctx context.Context, tx Querier, k *store.APIKey) error {
	switch k.OwnerKind {
	case store.OwnerProject:
		var team string
		err := one(ctx, tx, "project", k.ProjectID, func(r Rows) error { return r.Scan(&team) },
			`SELECT team_id FROM projects WHERE id = ?`, k.ProjectID)
		if err != nil {
			return err
		}
		if k.TeamID != "" && k.TeamID != team {
			return fmt.Errorf("%w api key: team_id: project %q belongs to team %q", store.ErrInvalid, k.ProjectID, team)
		}
		k.TeamID = team
	case store.OwnerUser:
		if err := exists(ctx, tx, "users", "user", k.OwnerID); err != nil {
			return err
		}
		if k.TeamID == "" {
			return nil
		}
		if err := exists(ctx, tx, "teams", "team", k.TeamID); err != nil {
			return err
		}
		err := one(ctx, tx, "membership", k.TeamID, func(Rows) error { return nil },
			`SELECT 1 FROM user_teams WHERE user_id = ? AND team_id = ?`, k.OwnerID, k.TeamID)
		if err != nil {
			return fmt.Errorf("%w api key: team_id: user %q is not a member of team %q", store.ErrInvalid, k.OwnerID, k.TeamID)
		}
	case store.OwnerTeam:
		return exists(ctx, tx, "teams", "team", k.TeamID)
	}
	return nil
}

// CreateKey implements store.Store. RevokedAt and LastRotatedAt start empty whatever the
// caller sets; a team key's TeamID defaults to its OwnerID.
func (c *Core) CreateKey(ctx context.Context, k store.APIKey) (store.APIKey, error) {
	if k.ID == "" {
		k.ID = store.NewID(store.PrefixKey)
	}
	if k.OwnerKind == store.OwnerTeam && k.TeamID == "" {
		k.TeamID = k.OwnerID
	}
	k.CreatedAt, k.RevokedAt, k.LastRotatedAt = now(), nil, nil
	k.ExpiresAt = normTimePtr(k.ExpiresAt)
	k.Models, k.Tags = emptySlice(k.Models), emptyMap(k.Tags)
	if err := k.Validate(); err != nil {
		return store.APIKey{}, c.wrap("create api key", k.Name, err)
	}
	models, err := jsonArg(k.Models)
	if err != nil {
		return store.APIKey{}, c.wrap("create api key", k.Name, err)
	}
	tags, err := jsonArg(k.Tags)
	if err != nil {
		return store.APIKey{}, c.wrap("create api key", k.Name, err)
	}
	var userID string
	if k.OwnerKind == store.OwnerUser {
		userID = k.OwnerID
	}
	err = c.write(ctx, "create api key", k.Name, func(tx Querier) error {
		if err := checkOwner(ctx, tx, &k); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO api_keys (id, org_id, prefix, hash, name, owner_kind, owner_id,
			team_id, project_id, user_id, models, expires_at, rpm, tpm, budget_id, tags, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			k.ID, store.DefaultOrgID, k.Prefix, k.Hash, k.Name, string(k.OwnerKind), k.OwnerID,
			nullStr(k.TeamID), nullStr(k.ProjectID), nullStr(userID), models, c.timeArg(k.ExpiresAt),
			k.RPM, k.TPM, nullStr(k.BudgetID), tags, c.d.Time(k.CreatedAt))
		return err
	})
	if err != nil {
		return store.APIKey{}, err
	}
	return k, nil
}

// GetKey implements store.Store.
func (c *Core) GetKey(ctx context.Context, id string) (store.APIKey, error) {
	k, err := c.getKeyTx(ctx, c.db, id)
	return k, c.wrap("get api key", id, err)
}

// GetKeyByHash implements store.Store.
func (c *Core) GetKeyByHash(ctx context.Context, hash []byte) (store.APIKey, error) {
	var k store.APIKey
	err := one(ctx, c.db, "api key", "by hash", func(r Rows) (err error) { k, err = scanKey(r); return err },
		`SELECT `+keyCols+` FROM api_keys WHERE hash = ?`, hash)
	return k, c.wrap("get api key", "by hash", err)
}

// UpdateKey implements store.Store.
func (c *Core) UpdateKey(ctx context.Context, in store.APIKey) (store.APIKey, error) {
	var k store.APIKey
	err := c.write(ctx, "update api key", in.ID, func(tx Querier) (err error) {
		if k, err = c.getKeyTx(ctx, tx, in.ID); err != nil {
			return err
		}
		k.Name, k.Models, k.ExpiresAt = in.Name, in.Models, normTimePtr(in.ExpiresAt)
		k.RPM, k.TPM, k.BudgetID, k.Tags = in.RPM, in.TPM, in.BudgetID, emptyMap(in.Tags)
		k.Models = emptySlice(k.Models)
		if err := k.Validate(); err != nil {
			return err
		}
		models, err := jsonArg(k.Models)
		if err != nil {
			return err
		}
		tags, err := jsonArg(k.Tags)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE api_keys SET name = ?, models = ?, expires_at = ?, rpm = ?, tpm = ?,
			budget_id = ?, tags = ? WHERE id = ?`,
			k.Name, models, c.timeArg(k.ExpiresAt), k.RPM, k.TPM, nullStr(k.BudgetID), tags, k.ID)
		return err
	})
	if err != nil {
		return store.APIKey{}, err
	}
	return k, nil
}

// RevokeKey implements store.Store.
func (c *Core) RevokeKey(ctx context.Context, id string) (store.APIKey, error) {
	var k store.APIKey
	err := c.write(ctx, "revoke api key", id, func(tx Querier) (err error) {
		if k, err = c.getKeyTx(ctx, tx, id); err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return errUnchanged
		}
		t := now()
		k.RevokedAt = &t
		_, err = tx.Exec(ctx, `UPDATE api_keys SET revoked_at = ? WHERE id = ?`, c.d.Time(t), id)
		return err
	})
	if err != nil {
		return store.APIKey{}, err
	}
	return k, nil
}

// RotateKey implements store.Store.
func (c *Core) RotateKey(ctx context.Context, id, prefix string, hash []byte) (store.APIKey, error) {
	var k store.APIKey
	err := c.write(ctx, "rotate api key", id, func(tx Querier) (err error) {
		if k, err = c.getKeyTx(ctx, tx, id); err != nil {
			return err
		}
		if k.RevokedAt != nil {
			return fmt.Errorf("api key is revoked: %w", store.ErrConflict)
		}
		t := now()
		k.Prefix, k.Hash, k.LastRotatedAt = prefix, hash, &t
		if err := k.Validate(); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE api_keys SET prefix = ?, hash = ?, last_rotated_at = ? WHERE id = ?`,
			prefix, hash, c.d.Time(t), id)
		return err
	})
	if err != nil {
		return store.APIKey{}, err
	}
	return k, nil
}

// DeleteKey implements store.Store.
func (c *Core) DeleteKey(ctx context.Context, id string) error {
	return c.write(ctx, "delete api key", id, func(tx Querier) error {
		n, err := tx.Exec(ctx, `DELETE FROM api_keys WHERE id = ?`, id)
		return mustAffect(n, err, "api key", id)
	})
}

// ListKeys implements store.Store.
func (c *Core) ListKeys(ctx context.Context, f store.KeyFilter, opts store.ListOptions) (store.Page[store.APIKey], error) {
	l := listQuery{cols: keyCols, from: "FROM api_keys"}
	if f.TeamID != "" {
		l.filter("team_id = ?", f.TeamID)
	}
	if f.OwnerKind != "" {
		l.filter("owner_kind = ?", string(f.OwnerKind))
	}
	if f.OwnerID != "" {
		l.filter("owner_id = ?", f.OwnerID)
	}
	if !f.IncludeRevoked {
		l.where = append(l.where, "revoked_at IS NULL")
	}
	p, err := page(ctx, c.db, l, opts, scanKey, func(k *store.APIKey) string { return k.ID })
	return p, c.wrap("list api keys", f.TeamID+f.OwnerID, err)
}
