package sqlcore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/store"
)

type migration struct {
	version int
	name    string
	sql     string
}

// loadMigrations reads NNNN_name.sql files in increasing version order. Versions are handed
// out to work developed in parallel, so one may land before a lower one does: a gap is
// allowed, a repeated or unnumbered file is not.
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	out := make([]migration, 0, len(names))
	for i, n := range names { // fs.Glob returns names sorted
		num, rest, ok := strings.Cut(n, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v < 1 || (i > 0 && v <= out[i-1].version) {
			return nil, fmt.Errorf("migration %q: want a name like NNNN_name.sql with a version above the one before", n)
		}
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: strings.TrimSuffix(rest, path.Ext(rest)), sql: string(b)})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no migrations found")
	}
	return out, nil
}

// Migrate implements store.Store. Each migration runs in its own transaction together
// with its schema_migrations row, after taking the dialect's migration lock and checking
// the current version again, so concurrent runs apply each migration once.
func (c *Core) Migrate(ctx context.Context) error {
	migs, err := loadMigrations(c.d.Migrations)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	err = c.db.Write(ctx, func(tx Querier) error {
		if err := c.lockMigrations(ctx, tx); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, c.d.MigrationsTable)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: migrate: create schema_migrations: %w", err)
	}
	for _, m := range migs {
		err := c.db.Write(ctx, func(tx Querier) error {
			if err := c.lockMigrations(ctx, tx); err != nil {
				return err
			}
			cur, err := schemaVersion(ctx, tx)
			if err != nil {
				return err
			}
			if latest := migs[len(migs)-1].version; cur > latest {
				return fmt.Errorf("%w: database is at version %d, this binary knows up to %d",
					store.ErrSchemaTooNew, cur, latest)
			}
			// Checked by version, not against the highest applied: a migration numbered below
			// one already applied (work merged out of order) still runs.
			if done, err := applied(ctx, tx, m.version); err != nil || done {
				return err
			}
			if _, err := tx.Exec(ctx, m.sql); err != nil {
				return err
			}
			_, err = tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, c.d.Time(now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migrate to %04d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

func (c *Core) lockMigrations(ctx context.Context, tx Querier) error {
	if c.d.LockMigrations == "" {
		return nil
	}
	rows, err := tx.Query(ctx, c.d.LockMigrations)
	if err != nil {
		return err
	}
	for rows.Next() {
	}
	rows.Close()
	return rows.Err()
}

func schemaVersion(ctx context.Context, q Querier) (int, error) {
	var v int
	err := one(ctx, q, "schema_migrations", "max", func(r Rows) error { return r.Scan(&v) },
		`SELECT COALESCE(MAX(version), 0) FROM schema_migrations`)
	return v, err
}

func applied(ctx context.Context, q Querier, version int) (bool, error) {
	err := one(ctx, q, "schema_migrations", strconv.Itoa(version), func(Rows) error { return nil },
		`SELECT 1 FROM schema_migrations WHERE version = ?`, version)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}
