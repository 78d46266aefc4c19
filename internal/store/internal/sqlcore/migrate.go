package sqlcore

import (
	"context"
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

// loadMigrations reads NNNN_name.sql files; versions must run 1, 2, 3... without gaps, so
// "the highest version" is also "how many migrations this binary knows".
func loadMigrations(fsys fs.FS) ([]migration, error) {
	names, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		return nil, err
	}
	out := make([]migration, 0, len(names))
	for i, n := range names { // fs.Glob returns names sorted
		num, rest, ok := strings.Cut(n, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v != i+1 {
			return nil, fmt.Errorf("migration %q: want a name like %04d_name.sql", n, i+1)
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
			if cur > len(migs) {
				return fmt.Errorf("%w: database is at version %d, this binary knows up to %d",
					store.ErrSchemaTooNew, cur, len(migs))
			}
			if cur >= m.version {
				return nil
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
