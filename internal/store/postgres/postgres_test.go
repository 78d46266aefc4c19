package postgres_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/postgres"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

// SLUICE_TEST_POSTGRES_DSN overrides the database the tests use; each test gets its own
// schema in it, dropped afterwards.
const defaultDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func baseDSN() string {
	if dsn := os.Getenv("SLUICE_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return defaultDSN
}

var reach struct {
	once sync.Once
	err  error
}

// requirePostgres skips when PostgreSQL is unreachable, except in CI (CI=true), where
// an unreachable database must fail the run rather than pass it silently.
func requirePostgres(tb testing.TB) {
	tb.Helper()
	reach.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, baseDSN())
		if err == nil {
			err = conn.Ping(ctx)
			conn.Close(ctx)
		}
		reach.err = err
	})
	if reach.err == nil {
		return
	}
	msg := "PostgreSQL unreachable at " + redacted(baseDSN()) + " (set SLUICE_TEST_POSTGRES_DSN): " + reach.err.Error()
	if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

func redacted(dsn string) string {
	if u, err := url.Parse(dsn); err == nil {
		return u.Redacted()
	}
	return "the configured DSN"
}

// freshSchema creates an empty schema, drops it at cleanup, and returns a DSN whose
// connections use it.
func freshSchema(tb testing.TB) string {
	tb.Helper()
	requirePostgres(tb)
	name := "sluice_test_" + hex.EncodeToString(randBytes(6))
	admin(tb, "CREATE SCHEMA "+name)
	tb.Cleanup(func() { admin(tb, "DROP SCHEMA "+name+" CASCADE") })
	u, err := url.Parse(baseDSN())
	if err != nil {
		tb.Fatalf("parse DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b
}

// admin runs sql on its own connection to the base DSN.
func admin(tb testing.TB, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, baseDSN())
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}

func open(tb testing.TB, dsn string) *postgres.Store {
	tb.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		tb.Fatalf("postgres.Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() }) // runs before the schema is dropped
	return s
}

func TestConformance(t *testing.T) {
	requirePostgres(t) // once here, rather than in each parallel subtest
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, freshSchema(t)) })
}

func BenchmarkStore(b *testing.B) {
	requirePostgres(b)
	storetest.Bench(b, func(b *testing.B) store.Store { return open(b, freshSchema(b)) })
}

func TestConcurrentOpensMigrateOnce(t *testing.T) {
	dsn := freshSchema(t)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { open(t, dsn) })
	}
	wg.Wait()
	conn := connect(t, dsn)
	var n int
	files, err := os.ReadDir("migrations")
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != len(files) {
		t.Fatalf("schema_migrations rows = %d, %v; want %d (each migration applied once)", n, err, len(files))
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	dsn := freshSchema(t)
	open(t, dsn)
	conn := connect(t, dsn)
	_, err := conn.Exec(t.Context(), `INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from_the_future', now())`)
	if err != nil {
		t.Fatalf("insert future migration: %v", err)
	}
	s, err := postgres.Open(t.Context(), dsn)
	if !errors.Is(err, store.ErrSchemaTooNew) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("postgres.Open(newer schema) error = %v, want ErrSchemaTooNew", err)
	}
}

func TestVersionBumpIsNotified(t *testing.T) {
	dsn := freshSchema(t)
	s := open(t, dsn)
	conn := connect(t, dsn)
	if _, err := conn.Exec(t.Context(), "LISTEN "+store.VersionChannel); err != nil {
		t.Fatalf("LISTEN: %v", err)
	}
	if _, err := s.CreateTeam(t.Context(), store.Team{Name: "t"}); err != nil {
		t.Fatalf("CreateTeam: %v", err)
	}
	v, err := s.Version(t.Context())
	if err != nil {
		t.Fatalf("Version: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for { // other tests' schemas notify on the same channel
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			t.Fatalf("WaitForNotification: %v (want payload %d)", err, v)
		}
		if n.Payload == strconv.FormatInt(v, 10) {
			return
		}
	}
}

func connect(tb testing.TB, dsn string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(tb.Context(), dsn)
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func BenchmarkAnalytics(b *testing.B) {
	requirePostgres(b)
	storetest.BenchAnalytics(b, func(b *testing.B) store.Store { return open(b, freshSchema(b)) })
}
