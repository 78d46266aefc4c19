// Package sqlite is the store.Store for a single gateway node: one SQLite file, through
// modernc.org/sqlite (pure Go, no cgo). Only app wiring and tests should import it.
//
// Connections: SQLite allows one writer at a time, so writes go through a pool of exactly
// one connection whose transactions begin IMMEDIATE (taking the write lock up front, so
// two writers never deadlock upgrading a read lock; other processes wait busy_timeout).
// Reads go through a separate pool of query_only connections; in WAL mode they run
// alongside the writer and each read transaction sees one committed state. ":memory:"
// has no file to share between pools, so it uses the single writer connection for
// everything.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"runtime"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/internal/sqlcore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// BusyTimeout is how long a write waits for another process holding the write lock.
const BusyTimeout = 5 * time.Second

// Store is a store.Store backed by SQLite.
type Store struct {
	*sqlcore.Core
	db *db
}

var _ store.Store = (*Store)(nil)

// Open opens (creating if needed) the database at path and migrates it.
func Open(ctx context.Context, path string) (*Store, error) {
	sep := "?"
	if strings.Contains(path, "?") { // a "file:" URI with its own parameters
		sep = "&"
	}
	base := path + sep + fmt.Sprintf("_busy_timeout=%d&_foreign_keys=1", BusyTimeout.Milliseconds())
	w, err := sql.Open("sqlite", base+"&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	d := &db{w: w, r: w}
	if err := w.PingContext(ctx); err != nil {
		_ = d.close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	if path != ":memory:" {
		r, err := sql.Open("sqlite", base+"&_query_only=1")
		if err != nil {
			_ = d.close()
			return nil, fmt.Errorf("sqlite: open %q for reading: %w", path, err)
		}
		n := max(4, runtime.GOMAXPROCS(0))
		r.SetMaxOpenConns(n)
		r.SetMaxIdleConns(n)
		d.r = r
	}
	s := &Store{Core: sqlcore.New(d, dialect()), db: d}
	if err := s.Migrate(ctx); err != nil {
		_ = d.close()
		return nil, fmt.Errorf("sqlite: open %q: %w", path, err)
	}
	return s, nil
}

// Close closes both pools.
func (s *Store) Close() error { return s.db.close() }

func dialect() sqlcore.Dialect {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embedded folder is fixed at build time
	}
	return sqlcore.Dialect{
		Time:     func(t time.Time) any { return t.UnixMicro() },
		Classify: classify,
		MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    INTEGER PRIMARY KEY,
			name       TEXT NOT NULL,
			applied_at INTEGER NOT NULL
		) STRICT`,
		Migrations: sub,
		Analytics:  sqlcore.SQLiteAnalytics,
	}
}

func classify(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return store.ErrConflict
		}
	}
	return nil
}

// db adapts database/sql to sqlcore.DB.
type db struct {
	w, r *sql.DB // r == w for ":memory:"
}

func (d *db) close() error {
	err := d.w.Close()
	if d.r != d.w {
		err = errors.Join(err, d.r.Close())
	}
	return err
}

func (d *db) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	return tx{d.w}.Exec(ctx, q, args...)
}

func (d *db) Query(ctx context.Context, q string, args ...any) (sqlcore.Rows, error) {
	return tx{d.r}.Query(ctx, q, args...)
}

func (d *db) Read(ctx context.Context, fn func(sqlcore.Querier) error) error {
	return run(ctx, d.r, &sql.TxOptions{ReadOnly: true}, fn)
}

func (d *db) Write(ctx context.Context, fn func(sqlcore.Querier) error) error {
	return run(ctx, d.w, nil, fn)
}

func run(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(sqlcore.Querier) error) error {
	t, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	if err := fn(tx{t}); err != nil {
		_ = t.Rollback()
		return err
	}
	return t.Commit()
}

// execQuerier is what *sql.DB and *sql.Tx share.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// tx adapts a pool or a transaction to sqlcore.Querier.
type tx struct{ q execQuerier }

func (t tx) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := t.q.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (t tx) Query(ctx context.Context, q string, args ...any) (sqlcore.Rows, error) {
	r, err := t.q.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	return rows{r}, nil
}

// rows drops the error from Close; Err reports what matters.
type rows struct{ *sql.Rows }

func (r rows) Close() { _ = r.Rows.Close() }
