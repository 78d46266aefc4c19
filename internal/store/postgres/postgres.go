// Package postgres is the store.Store for a cluster of gateway nodes sharing one
// PostgreSQL database, through pgx/v5's pgxpool. Only app wiring and tests should import
// it.
//
// Writes run at READ COMMITTED and serialize on the store_version row, which each bumps
// before anything else, so mutations apply one at a time, as on SQLite, and Version order
// is commit order. Admin writes are rare; this simplicity costs nothing on the request
// path, which reads an in-memory Snapshot. Snapshot runs at REPEATABLE READ, READ ONLY: one MVCC
// snapshot for every table. Each Version bump is also sent with NOTIFY on
// store.VersionChannel, so nodes can LISTEN instead of polling.
//
// The DSN may set search_path (e.g. "...?search_path=sluice") to keep the tables in their
// own schema; pgx passes it to the server as a run-time parameter of every connection.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/internal/sqlcore"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Store is a store.Store backed by PostgreSQL.
type Store struct {
	*sqlcore.Core
	pool *pgxpool.Pool
}

var _ store.Store = (*Store)(nil)

// Open connects to dsn and migrates the database.
func Open(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("postgres: parse dsn: %w", err) // pgx redacts the password
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: connect: %w", err)
	}
	s := &Store{Core: sqlcore.New(&db{pool: pool}, dialect()), pool: pool}
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return s, nil
}

// Close closes the pool, waiting for connections in use to be returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

func dialect() sqlcore.Dialect {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // the embedded folder is fixed at build time
	}
	return sqlcore.Dialect{
		Time:     func(t time.Time) any { return t },
		Classify: classify,
		// Per schema, so databases holding several Sluice schemas (tests) do not wait on
		// each other.
		LockMigrations: `SELECT pg_advisory_xact_lock(hashtext('sluice.migrate.' || current_schema()))`,
		MigrationsTable: `CREATE TABLE IF NOT EXISTS schema_migrations (
			version    integer PRIMARY KEY,
			name       text NOT NULL,
			applied_at timestamptz NOT NULL
		)`,
		Migrations: sub,
		Analytics:  sqlcore.PostgresAnalytics,
	}
}

// SQLSTATEs: https://www.postgresql.org/docs/current/errcodes-appendix.html
const (
	uniqueViolation     = "23505"
	foreignKeyViolation = "23503"
)

func classify(err error) error {
	var pe *pgconn.PgError
	if errors.As(err, &pe) && (pe.Code == uniqueViolation || pe.Code == foreignKeyViolation) {
		return store.ErrConflict
	}
	return nil
}

// db adapts pgxpool to sqlcore.DB.
type db struct{ pool *pgxpool.Pool }

func (d *db) Exec(ctx context.Context, q string, args ...any) (int64, error) {
	return querier{d.pool}.Exec(ctx, q, args...)
}

func (d *db) Query(ctx context.Context, q string, args ...any) (sqlcore.Rows, error) {
	return querier{d.pool}.Query(ctx, q, args...)
}

func (d *db) Read(ctx context.Context, fn func(sqlcore.Querier) error) error {
	return d.run(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, fn)
}

func (d *db) Write(ctx context.Context, fn func(sqlcore.Querier) error) error {
	return d.run(ctx, pgx.TxOptions{}, fn)
}

func (d *db) run(ctx context.Context, opts pgx.TxOptions, fn func(sqlcore.Querier) error) error {
	return pgx.BeginTxFunc(ctx, d.pool, opts, func(tx pgx.Tx) error { return fn(querier{tx}) })
}

// pgxQuerier is what *pgxpool.Pool and pgx.Tx share.
type pgxQuerier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// querier adapts a pool or a transaction to sqlcore.Querier, rewriting the shared
// queries' "?" placeholders to "$n". Statements without arguments (migrations, which
// may contain "?" in function bodies) pass through untouched.
type querier struct{ q pgxQuerier }

func (q querier) Exec(ctx context.Context, sql string, args ...any) (int64, error) {
	if len(args) > 0 {
		sql = rebind(sql)
	}
	tag, err := q.q.Exec(ctx, sql, args...)
	return tag.RowsAffected(), err
}

func (q querier) Query(ctx context.Context, sql string, args ...any) (sqlcore.Rows, error) {
	if len(args) > 0 {
		sql = rebind(sql)
	}
	return q.q.Query(ctx, sql, args...)
}

// rebound caches rewritten queries; the set is bounded (fixed queries times filter combinations).
var rebound sync.Map

func rebind(q string) string {
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	b.Grow(len(q) + 16)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] != '?' {
			b.WriteByte(q[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	out := b.String()
	rebound.Store(q, out)
	return out
}
