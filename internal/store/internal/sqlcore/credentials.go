package sqlcore

import (
	"context"

	"github.com/sluicehq/sluice/internal/store"
)

const credCols = `id, provider, name, ciphertext, nonce, created_at`

func scanCred(r Rows) (store.ProviderCredential, error) {
	var pc store.ProviderCredential
	err := r.Scan(&pc.ID, &pc.Provider, &pc.Name, &pc.Ciphertext, &pc.Nonce, timeDest{&pc.CreatedAt})
	return pc, err
}

// CreateCredential implements store.Store.
func (c *Core) CreateCredential(ctx context.Context, pc store.ProviderCredential) (store.ProviderCredential, error) {
	if pc.ID == "" {
		pc.ID = store.NewID(store.PrefixCredential)
	}
	pc.CreatedAt = now()
	if err := pc.Validate(); err != nil {
		return store.ProviderCredential{}, c.wrap("create credential", pc.Name, err)
	}
	err := c.write(ctx, "create credential", pc.Name, func(tx Querier) error {
		_, err := tx.Exec(ctx, `INSERT INTO provider_credentials (id, org_id, provider, name, ciphertext, nonce, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			pc.ID, store.DefaultOrgID, pc.Provider, pc.Name, pc.Ciphertext, pc.Nonce, c.d.Time(pc.CreatedAt))
		return err
	})
	if err != nil {
		return store.ProviderCredential{}, err
	}
	return pc, nil
}

func (c *Core) getCred(ctx context.Context, q Querier, id string) (store.ProviderCredential, error) {
	var pc store.ProviderCredential
	err := one(ctx, q, "credential", id, func(r Rows) (err error) { pc, err = scanCred(r); return err },
		`SELECT `+credCols+` FROM provider_credentials WHERE id = ?`, id)
	return pc, err
}

// GetCredential implements store.Store.
func (c *Core) GetCredential(ctx context.Context, id string) (store.ProviderCredential, error) {
	pc, err := c.getCred(ctx, c.db, id)
	return pc, c.wrap("get credential", id, err)
}

// UpdateCredential implements store.Store. Provider is fixed at creation.
func (c *Core) UpdateCredential(ctx context.Context, in store.ProviderCredential) (store.ProviderCredential, error) {
	var pc store.ProviderCredential
	err := c.write(ctx, "update credential", in.ID, func(tx Querier) (err error) {
		if pc, err = c.getCred(ctx, tx, in.ID); err != nil {
			return err
		}
		pc.Name, pc.Ciphertext, pc.Nonce = in.Name, in.Ciphertext, in.Nonce
		if err := pc.Validate(); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE provider_credentials SET name = ?, ciphertext = ?, nonce = ? WHERE id = ?`,
			pc.Name, pc.Ciphertext, pc.Nonce, pc.ID)
		return err
	})
	if err != nil {
		return store.ProviderCredential{}, err
	}
	return pc, nil
}

// DeleteCredential implements store.Store.
func (c *Core) DeleteCredential(ctx context.Context, id string) error {
	return c.write(ctx, "delete credential", id, func(tx Querier) error {
		n, err := tx.Exec(ctx, `DELETE FROM provider_credentials WHERE id = ?`, id)
		return mustAffect(n, err, "credential", id)
	})
}

// ListCredentials implements store.Store.
func (c *Core) ListCredentials(ctx context.Context, provider string, opts store.ListOptions) (store.Page[store.ProviderCredential], error) {
	l := listQuery{cols: credCols, from: "FROM provider_credentials"}
	if provider != "" {
		l.filter("provider = ?", provider)
	}
	p, err := page(ctx, c.db, l, opts, scanCred, func(pc *store.ProviderCredential) string { return pc.ID })
	return p, c.wrap("list credentials", provider, err)
}
