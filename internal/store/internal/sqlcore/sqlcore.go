package sqlcore

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

// Querier runs single statements. A backend's DB runs them outside any transaction (on
// SQLite, on the read pool); a Tx runs them inside one.
type Querier interface {
	// Exec returns the number of rows affected.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
}

// Rows is the part of sql.Rows and pgx.Rows the queries use.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// DB is what a backend provides.
type DB interface {
	Querier
	// Read runs fn in a read-only transaction that sees one consistent state.
	Read(ctx context.Context, fn func(Querier) error) error
	// Write runs fn in a read-write transaction, serialized with other writers, and
	// commits when fn returns nil.
	Write(ctx context.Context, fn func(Querier) error) error
}

// Dialect is what differs between the SQL databases.
type Dialect struct {
	// Time encodes a UTC, microsecond-truncated time as a query argument.
	Time func(time.Time) any
	// Classify returns store.ErrConflict for unique and foreign-key violations and nil
	// for anything else.
	Classify func(error) error
	// LockMigrations, when set, runs first in each migration transaction to serialize
	// processes migrating one database at once.
	LockMigrations string
	// MigrationsTable creates schema_migrations(version, name, applied_at) if missing.
	MigrationsTable string
	// Migrations holds NNNN_name.sql files at its root.
	Migrations fs.FS
	// Analytics holds the aggregate queries' differences.
	Analytics AnalyticsDialect
}

// Core implements store.Store, apart from Close, over a DB and a Dialect.
type Core struct {
	db DB
	d  Dialect
}

// New returns a Core. The caller runs Migrate before use.
func New(db DB, d Dialect) *Core { return &Core{db: db, d: d} }

// now is the store's clock: UTC and truncated to microseconds, the precision both
// databases keep, so what a method returns equals what a later read returns.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func normTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	n := normTime(*t)
	return &n
}

// timeArg encodes a nullable time.
func (c *Core) timeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return c.d.Time(*t)
}

// errUnchanged rolls a write transaction back, Version bump included, for a mutation that
// turns out to change nothing.
var errUnchanged = errors.New("unchanged")

// write runs fn in a write transaction that first bumps Version. Bumping first makes the
// store_version row a lock every mutation takes before reading anything, so on PostgreSQL,
// as on SQLite with its single writer, mutations run one at a time: a read-modify-write
// such as RotateKey cannot interleave with RevokeKey, and Version order is commit order.
// A failed fn rolls the bump back. op and id name the call in errors, e.g.
// `store: create team "x": conflict: ...`.
func (c *Core) write(ctx context.Context, op, id string, fn func(Querier) error) error {
	err := c.db.Write(ctx, func(tx Querier) error {
		n, err := tx.Exec(ctx, `UPDATE store_version SET version = version + 1 WHERE id = 1`)
		if err == nil && n != 1 {
			err = errors.New("store_version row missing")
		}
		if err != nil {
			return err
		}
		return fn(tx)
	})
	if errors.Is(err, errUnchanged) {
		return nil
	}
	return c.wrap(op, id, err)
}

// wrap adds the operation to err and classifies driver errors.
func (c *Core) wrap(op, id string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, store.ErrNotFound) || errors.Is(err, store.ErrConflict) || errors.Is(err, store.ErrInvalid) {
		return fmt.Errorf("store: %s %q: %w", op, id, err)
	}
	if kind := c.d.Classify(err); kind != nil {
		return fmt.Errorf("store: %s %q: %w: %w", op, id, kind, err)
	}
	return fmt.Errorf("store: %s %q: %w", op, id, err)
}

// notFound is the error for a missing row of kind with id.
func notFound(kind, id string) error { return fmt.Errorf("%s %q: %w", kind, id, store.ErrNotFound) }

// one runs a query expected to return at most one row and scans it with scan. No row is
// ErrNotFound for kind/id.
func one(ctx context.Context, q Querier, kind, id string, scan func(Rows) error, query string, args ...any) error {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return notFound(kind, id)
	}
	if err := scan(rows); err != nil {
		return err
	}
	return rows.Err()
}

// exists reports ErrNotFound unless table has a row with id.
func exists(ctx context.Context, q Querier, table, kind, id string) error {
	return one(ctx, q, kind, id, func(Rows) error { return nil },
		`SELECT 1 FROM `+table+` WHERE id = ?`, id)
}

// mustAffect turns zero affected rows into ErrNotFound.
func mustAffect(n int64, err error, kind, id string) error {
	if err == nil && n == 0 {
		return notFound(kind, id)
	}
	return err
}

// Version implements store.Store.
func (c *Core) Version(ctx context.Context) (int64, error) {
	v, err := version(ctx, c.db)
	return v, c.wrap("version", "", err)
}

func version(ctx context.Context, q Querier) (int64, error) {
	var v int64
	err := one(ctx, q, "store_version", "1", func(r Rows) error { return r.Scan(&v) },
		`SELECT version FROM store_version WHERE id = 1`)
	return v, err
}

// GetOrganization implements store.Store.
func (c *Core) GetOrganization(ctx context.Context, id string) (store.Organization, error) {
	var o store.Organization
	err := one(ctx, c.db, "organization", id, func(r Rows) error {
		return r.Scan(&o.ID, &o.Name, timeDest{&o.CreatedAt})
	}, `SELECT id, name, created_at FROM organizations WHERE id = ?`, id)
	return o, c.wrap("get organization", id, err)
}
