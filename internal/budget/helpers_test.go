package budget

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/postgres"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// fakeClock is a settable clock shared by goroutines.
type fakeClock struct{ ns atomic.Int64 }

func newClock(t time.Time) *fakeClock {
	c := &fakeClock{}
	c.ns.Store(t.UnixNano())
	return c
}

func (c *fakeClock) now() time.Time      { return time.Unix(0, c.ns.Load()) }
func (c *fakeClock) set(t time.Time)     { c.ns.Store(t.UnixNano()) }
func (c *fakeClock) add(d time.Duration) { c.ns.Add(int64(d)) }

func tokenBudget(id string, limit int64) *Budget {
	return &Budget{ID: id, Name: id, Scope: ScopeOrg, Unit: Tokens, Limit: limit, Period: Monthly,
		Location: time.UTC, Thresholds: []int{50, 80, 100}, ReserveTokens: 100}
}

func sqliteStore(t testing.TB, path string) store.Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "sluice.db")
	}
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatalf("sqlite.Open(%s): %v", path, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// alertLog collects the alerts a ledger sent.
type alertLog struct {
	mu  sync.Mutex
	got []Alert
}

func (a *alertLog) add(x Alert) { a.mu.Lock(); a.got = append(a.got, x); a.mu.Unlock() }

func (a *alertLog) thresholds() []int {
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []int
	for _, x := range a.got {
		out = append(out, x.Threshold)
	}
	return out
}

// drainAlerts delivers every queued alert synchronously.
func (l *Ledger) drainAlerts(ctx context.Context) {
	for {
		select {
		case a := <-l.alerts:
			l.deliver(ctx, nil, a)
		default:
			return
		}
	}
}

const defaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// postgresDSN returns a DSN on a fresh schema, dropped afterwards. PostgreSQL must be up:
// the test skips without it, except with CI=true, where it fails.
func postgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("SLUICE_TEST_POSTGRES_DSN")
	if base == "" {
		base = defaultPostgresDSN
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("PostgreSQL unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable: %v", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "sluice_budget_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+name); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA "+name+" CASCADE")
			c.Close(ctx)
		}
	})
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

func postgresStore(t *testing.T, dsn string) store.Store {
	t.Helper()
	s, err := postgres.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("postgres.Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}
