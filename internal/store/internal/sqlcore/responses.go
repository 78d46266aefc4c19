package sqlcore

import (
	"context"
	"fmt"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// responseDeleteChunk bounds each expiry DELETE, as logDeleteChunk does for request logs.
const responseDeleteChunk = 1000

// PutResponse implements store.Store.
func (c *Core) PutResponse(ctx context.Context, r store.StoredResponse) error {
	switch {
	case r.ID == "" || len(r.ID) > 64:
		return c.wrap("put response", r.ID, fmt.Errorf("%w response: id: must be 1 to 64 characters", store.ErrInvalid))
	case len(r.Tenant) > 128:
		return c.wrap("put response", r.ID, fmt.Errorf("%w response: tenant: must be at most 128 characters", store.ErrInvalid))
	case r.ExpiresAt.IsZero():
		return c.wrap("put response", r.ID, fmt.Errorf("%w response: expires_at is required", store.ErrInvalid))
	}
	created := now()
	if !r.CreatedAt.IsZero() {
		created = normTime(r.CreatedAt)
	}
	err := c.db.Write(ctx, func(tx Querier) error {
		_, err := tx.Exec(ctx, `INSERT INTO responses (id, org_id, tenant, created_at, expires_at, response, items)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, r.ID, store.DefaultOrgID, r.Tenant, c.d.Time(created),
			c.d.Time(normTime(r.ExpiresAt)), string(r.Response), string(r.Items))
		return err
	})
	return c.wrap("put response", r.ID, err)
}

// GetResponse implements store.Store.
func (c *Core) GetResponse(ctx context.Context, tenant, id string) (store.StoredResponse, error) {
	var r store.StoredResponse
	var resp, items string
	err := one(ctx, c.db, "response", id, func(rows Rows) error {
		return rows.Scan(&r.ID, &r.Tenant, timeDest{&r.CreatedAt}, timeDest{&r.ExpiresAt}, &resp, &items)
	}, `SELECT id, tenant, created_at, expires_at, response, items FROM responses
		WHERE id = ? AND tenant = ? AND expires_at > ?`, id, tenant, c.d.Time(now()))
	if err != nil {
		return store.StoredResponse{}, c.wrap("get response", id, err)
	}
	r.Response, r.Items = []byte(resp), []byte(items)
	return r, nil
}

// DeleteResponse implements store.Store.
func (c *Core) DeleteResponse(ctx context.Context, tenant, id string) error {
	err := c.db.Write(ctx, func(tx Querier) error {
		n, err := tx.Exec(ctx, `DELETE FROM responses WHERE id = ? AND tenant = ? AND expires_at > ?`,
			id, tenant, c.d.Time(now()))
		return mustAffect(n, err, "response", id)
	})
	return c.wrap("delete response", id, err)
}

// DeleteExpiredResponses implements store.Store, in chunks so a large purge does not hold the
// write lock for its whole run.
func (c *Core) DeleteExpiredResponses(ctx context.Context, t time.Time) (int64, error) {
	at := c.d.Time(normTime(t))
	var total int64
	for {
		var n int64
		err := c.db.Write(ctx, func(tx Querier) error {
			var err error
			n, err = tx.Exec(ctx, `DELETE FROM responses WHERE id IN
				(SELECT id FROM responses WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)`, at, responseDeleteChunk)
			return err
		})
		if err != nil {
			return total, c.wrap("delete expired responses", t.UTC().Format(time.RFC3339), err)
		}
		total += n
		if n < responseDeleteChunk {
			return total, nil
		}
	}
}
