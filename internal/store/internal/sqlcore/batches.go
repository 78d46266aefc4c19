package sqlcore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// fileColumns are the columns GetFile and ListFiles read: all but the content.
const fileColumns = `id, tenant, purpose, filename, bytes, created_at, expires_at`

func scanFile(r Rows, f *store.File) error {
	var exp *time.Time
	if err := r.Scan(&f.ID, &f.Tenant, &f.Purpose, &f.Filename, &f.Bytes, timeDest{&f.CreatedAt}, nullTimeDest{&exp}); err != nil {
		return err
	}
	if exp != nil {
		f.ExpiresAt = *exp
	}
	return nil
}

func validFile(f *store.File) error {
	switch {
	case f.ID == "" || len(f.ID) > 64:
		return fmt.Errorf("%w file: id: must be 1 to 64 characters", store.ErrInvalid)
	case len(f.Tenant) > 128:
		return fmt.Errorf("%w file: tenant: must be at most 128 characters", store.ErrInvalid)
	case f.Purpose == "" || len(f.Purpose) > 64:
		return fmt.Errorf("%w file: purpose: must be 1 to 64 characters", store.ErrInvalid)
	case len(f.Filename) > 1024:
		return fmt.Errorf("%w file: filename: must be at most 1024 characters", store.ErrInvalid)
	}
	return nil
}

// PutFile implements store.Store.
func (c *Core) PutFile(ctx context.Context, f store.File) (store.File, error) {
	if err := validFile(&f); err != nil {
		return store.File{}, c.wrap("put file", f.ID, err)
	}
	err := c.db.Write(ctx, func(tx Querier) error { return c.insertFile(ctx, tx, &f) })
	if err != nil {
		return store.File{}, c.wrap("put file", f.ID, err)
	}
	f.Content = nil
	return f, nil
}

// insertFile stores f in tx, filling Bytes and CreatedAt.
func (c *Core) insertFile(ctx context.Context, tx Querier, f *store.File) error {
	if err := validFile(f); err != nil {
		return err
	}
	f.Bytes = int64(len(f.Content))
	if f.CreatedAt.IsZero() {
		f.CreatedAt = now()
	}
	f.CreatedAt = normTime(f.CreatedAt)
	var exp any
	if !f.ExpiresAt.IsZero() {
		f.ExpiresAt = normTime(f.ExpiresAt)
		exp = c.d.Time(f.ExpiresAt)
	}
	content := f.Content
	if content == nil {
		content = []byte{}
	}
	_, err := tx.Exec(ctx, `INSERT INTO files (id, org_id, tenant, purpose, filename, bytes, created_at, expires_at, content)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, f.ID, store.DefaultOrgID, f.Tenant, f.Purpose, f.Filename, f.Bytes,
		c.d.Time(f.CreatedAt), exp, content)
	return err
}

// live is the condition on files that are not expired at the time given as its argument.
const liveFile = `(expires_at IS NULL OR expires_at > ?)`

// GetFile implements store.Store.
func (c *Core) GetFile(ctx context.Context, tenant, id string) (store.File, error) {
	var f store.File
	err := one(ctx, c.db, "file", id, func(r Rows) error { return scanFile(r, &f) },
		`SELECT `+fileColumns+` FROM files WHERE id = ? AND tenant = ? AND `+liveFile, id, tenant, c.d.Time(now()))
	if err != nil {
		return store.File{}, c.wrap("get file", id, err)
	}
	return f, nil
}

// FileContent implements store.Store.
func (c *Core) FileContent(ctx context.Context, tenant, id string) ([]byte, error) {
	var b []byte
	err := one(ctx, c.db, "file", id, func(r Rows) error { return r.Scan(&b) },
		`SELECT content FROM files WHERE id = ? AND tenant = ? AND `+liveFile, id, tenant, c.d.Time(now()))
	if err != nil {
		return nil, c.wrap("get file content", id, err)
	}
	if b == nil {
		b = []byte{}
	}
	return b, nil
}

// ListFiles implements store.Store.
func (c *Core) ListFiles(ctx context.Context, tenant, purpose string, opts store.ListOptions) (store.Page[store.File], error) {
	limit, err := pageLimit(opts.Limit)
	if err != nil {
		return store.Page[store.File]{}, c.wrap("list files", tenant, err)
	}
	q := `SELECT ` + fileColumns + ` FROM files WHERE tenant = ? AND ` + liveFile
	args := []any{tenant, c.d.Time(now())}
	if purpose != "" {
		q += ` AND purpose = ?`
		args = append(args, purpose)
	}
	if opts.After != "" {
		q += ` AND id < ?`
		args = append(args, opts.After)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit+1)
	var page store.Page[store.File]
	err = each(ctx, c.db, q, args, func(r Rows) error {
		var f store.File
		if err := scanFile(r, &f); err != nil {
			return err
		}
		page.Items = append(page.Items, f)
		return nil
	})
	if err != nil {
		return page, c.wrap("list files", tenant, err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = page.Items[limit-1].ID
	}
	return page, nil
}

// DeleteFile implements store.Store.
func (c *Core) DeleteFile(ctx context.Context, tenant, id string) error {
	err := c.db.Write(ctx, func(tx Querier) error {
		n, err := tx.Exec(ctx, `DELETE FROM files WHERE id = ? AND tenant = ? AND `+liveFile, id, tenant, c.d.Time(now()))
		return mustAffect(n, err, "file", id)
	})
	return c.wrap("delete file", id, err)
}

// DeleteExpiredFiles implements store.Store, in chunks as DeleteExpiredResponses does.
func (c *Core) DeleteExpiredFiles(ctx context.Context, t time.Time) (int64, error) {
	at := c.d.Time(normTime(t))
	var total int64
	for {
		var n int64
		err := c.db.Write(ctx, func(tx Querier) error {
			var err error
			n, err = tx.Exec(ctx, `DELETE FROM files WHERE id IN
				(SELECT id FROM files WHERE expires_at IS NOT NULL AND expires_at <= ? ORDER BY expires_at LIMIT ?)`,
				at, responseDeleteChunk)
			return err
		})
		if err != nil {
			return total, c.wrap("delete expired files", t.UTC().Format(time.RFC3339), err)
		}
		total += n
		if n < responseDeleteChunk {
			return total, nil
		}
	}
}

// each runs query and calls fn for every row.
func each(ctx context.Context, q Querier, query string, args []any, fn func(Rows) error) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// batchColumns are what the API reads of a batch; withState adds the worker's state, which
// can be large (every finished line) and is read only by the worker.
const (
	batchColumns = `id, tenant, status, record, created_at, cancel_requested_at, lease_owner, lease_until`
	withState    = batchColumns + `, state`
)

func scanBatch(r Rows, b *store.Batch) error {
	var record string
	if err := r.Scan(&b.ID, &b.Tenant, &b.Status, &record, timeDest{&b.CreatedAt},
		nullTimeDest{&b.CancelRequestedAt}, &b.LeaseOwner, timeDest{&b.LeaseUntil}); err != nil {
		return err
	}
	b.Record = []byte(record)
	return nil
}

func scanBatchState(r Rows, b *store.Batch) error {
	var record string
	if err := r.Scan(&b.ID, &b.Tenant, &b.Status, &record, timeDest{&b.CreatedAt},
		nullTimeDest{&b.CancelRequestedAt}, &b.LeaseOwner, timeDest{&b.LeaseUntil}, &b.State); err != nil {
		return err
	}
	b.Record = []byte(record)
	if len(b.State) == 0 {
		b.State = nil
	}
	return nil
}

// CreateBatch implements store.Store.
func (c *Core) CreateBatch(ctx context.Context, b store.Batch) (store.Batch, error) {
	switch {
	case b.ID == "" || len(b.ID) > 64:
		return store.Batch{}, c.wrap("create batch", b.ID, fmt.Errorf("%w batch: id: must be 1 to 64 characters", store.ErrInvalid))
	case len(b.Tenant) > 128:
		return store.Batch{}, c.wrap("create batch", b.ID, fmt.Errorf("%w batch: tenant: must be at most 128 characters", store.ErrInvalid))
	case b.Status == "" || len(b.Record) == 0:
		return store.Batch{}, c.wrap("create batch", b.ID, fmt.Errorf("%w batch: status and record are required", store.ErrInvalid))
	}
	if b.CreatedAt.IsZero() {
		b.CreatedAt = now()
	}
	b.CreatedAt = normTime(b.CreatedAt)
	b.LeaseUntil = normTime(b.LeaseUntil)
	state := b.State
	if state == nil {
		state = []byte{}
	}
	err := c.db.Write(ctx, func(tx Querier) error {
		_, err := tx.Exec(ctx, `INSERT INTO batches (id, org_id, tenant, status, created_at, lease_owner, lease_until, record, state)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, b.ID, store.DefaultOrgID, b.Tenant, b.Status, c.d.Time(b.CreatedAt),
			b.LeaseOwner, c.d.Time(b.LeaseUntil), string(b.Record), state)
		return err
	})
	if err != nil {
		return store.Batch{}, c.wrap("create batch", b.ID, err)
	}
	b.CancelRequestedAt = nil
	return b, nil
}

// GetBatch implements store.Store.
func (c *Core) GetBatch(ctx context.Context, tenant, id string) (store.Batch, error) {
	var b store.Batch
	err := one(ctx, c.db, "batch", id, func(r Rows) error { return scanBatch(r, &b) },
		`SELECT `+batchColumns+` FROM batches WHERE id = ? AND tenant = ?`, id, tenant)
	if err != nil {
		return store.Batch{}, c.wrap("get batch", id, err)
	}
	return b, nil
}

// ListBatches implements store.Store.
func (c *Core) ListBatches(ctx context.Context, tenant string, opts store.ListOptions) (store.Page[store.Batch], error) {
	limit, err := pageLimit(opts.Limit)
	if err != nil {
		return store.Page[store.Batch]{}, c.wrap("list batches", tenant, err)
	}
	q := `SELECT ` + batchColumns + ` FROM batches WHERE tenant = ?`
	args := []any{tenant}
	if opts.After != "" {
		q += ` AND id < ?`
		args = append(args, opts.After)
	}
	q += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit+1)
	var page store.Page[store.Batch]
	err = each(ctx, c.db, q, args, func(r Rows) error {
		var b store.Batch
		if err := scanBatch(r, &b); err != nil {
			return err
		}
		page.Items = append(page.Items, b)
		return nil
	})
	if err != nil {
		return page, c.wrap("list batches", tenant, err)
	}
	if len(page.Items) > limit {
		page.Items = page.Items[:limit]
		page.Next = page.Items[limit-1].ID
	}
	return page, nil
}

// activeBatch is the condition on batches the worker still drives.
const activeBatch = `status NOT IN ('completed', 'failed', 'expired', 'cancelled')`

// RequestBatchCancel implements store.Store.
func (c *Core) RequestBatchCancel(ctx context.Context, tenant, id string, at time.Time) (store.Batch, error) {
	var b store.Batch
	err := c.db.Write(ctx, func(tx Querier) error {
		if _, err := tx.Exec(ctx, `UPDATE batches SET cancel_requested_at = ?
			WHERE id = ? AND tenant = ? AND cancel_requested_at IS NULL AND `+activeBatch,
			c.d.Time(normTime(at)), id, tenant); err != nil {
			return err
		}
		err := one(ctx, tx, "batch", id, func(r Rows) error { return scanBatch(r, &b) },
			`SELECT `+batchColumns+` FROM batches WHERE id = ? AND tenant = ?`, id, tenant)
		if err == nil && store.BatchDone(b.Status) {
			err = fmt.Errorf("batch %q is %s: %w", id, b.Status, store.ErrConflict)
		}
		return err
	})
	if err != nil {
		return store.Batch{}, c.wrap("cancel batch", id, err)
	}
	return b, nil
}

// claimCandidates bounds how many expired leases one ClaimBatch tries to take.
const claimCandidates = 8

// ClaimBatch implements store.Store. The UPDATE's WHERE re-checks the lease, so when two
// workers pick the same candidate only the first UPDATE affects a row; the other moves on.
// That compare-and-set is what makes the claim atomic on both databases, without row locks.
func (c *Core) ClaimBatch(ctx context.Context, owner string, t, until time.Time) (store.Batch, error) {
	at, to := c.d.Time(normTime(t)), c.d.Time(normTime(until))
	var ids []string
	err := each(ctx, c.db, `SELECT id FROM batches WHERE `+activeBatch+` AND lease_until <= ?
		ORDER BY created_at, id LIMIT ?`, []any{at, claimCandidates}, func(r Rows) error {
		var id string
		err := r.Scan(&id)
		ids = append(ids, id)
		return err
	})
	if err != nil {
		return store.Batch{}, c.wrap("claim batch", owner, err)
	}
	for _, id := range ids {
		var b store.Batch
		err := c.db.Write(ctx, func(tx Querier) error {
			n, err := tx.Exec(ctx, `UPDATE batches SET lease_owner = ?, lease_until = ?
				WHERE id = ? AND lease_until <= ? AND `+activeBatch, owner, to, id, at)
			if err != nil {
				return err
			}
			if n == 0 {
				return errUnchanged // another worker took it first
			}
			return one(ctx, tx, "batch", id, func(r Rows) error { return scanBatchState(r, &b) },
				`SELECT `+withState+` FROM batches WHERE id = ?`, id)
		})
		switch {
		case err == nil:
			return b, nil
		case !errors.Is(err, errUnchanged):
			return store.Batch{}, c.wrap("claim batch", id, err)
		}
	}
	return store.Batch{}, c.wrap("claim batch", owner, notFound("claimable batch", owner))
}

// SaveBatch implements store.Store.
func (c *Core) SaveBatch(ctx context.Context, b store.Batch, owner string, files ...store.File) (store.Batch, error) {
	b.LeaseUntil = normTime(b.LeaseUntil)
	state := b.State
	if state == nil {
		state = []byte{}
	}
	var out store.Batch
	err := c.db.Write(ctx, func(tx Querier) error {
		n, err := tx.Exec(ctx, `UPDATE batches SET status = ?, record = ?, state = ?, lease_until = ?
			WHERE id = ? AND lease_owner = ?`, b.Status, string(b.Record), state, c.d.Time(b.LeaseUntil), b.ID, owner)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("batch %q: lease not held by %q: %w", b.ID, owner, store.ErrConflict)
		}
		for i := range files {
			if err := c.insertFile(ctx, tx, &files[i]); err != nil {
				return err
			}
		}
		return one(ctx, tx, "batch", b.ID, func(r Rows) error { return scanBatch(r, &out) },
			`SELECT `+batchColumns+` FROM batches WHERE id = ?`, b.ID)
	})
	if err != nil {
		return store.Batch{}, c.wrap("save batch", b.ID, err)
	}
	return out, nil
}
