package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
	"github.com/sluicehq/sluice/internal/store/storetest"
)

func open(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("sqlite.Open(%q): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

func tempPath(tb testing.TB) string { return filepath.Join(tb.TempDir(), "sluice.db") }

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, tempPath(t)) })
}

func TestConformanceInMemory(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t, ":memory:") })
}

func BenchmarkStore(b *testing.B) {
	storetest.Bench(b, func(b *testing.B) store.Store { return open(b, tempPath(b)) })
}

func TestOpenSetsWALAndForeignKeys(t *testing.T) {
	path := tempPath(t)
	open(t, path)
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var mode string
	if err := db.QueryRow(`PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v; want wal (persisted by Open)", mode, err)
	}
}

func TestReopenKeepsDataAndSkipsMigrations(t *testing.T) {
	path := tempPath(t)
	s := open(t, path)
	team, err := s.CreateTeam(t.Context(), store.Team{Name: "kept"})
	if err != nil {
		t.Fatalf("CreateTeam: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	again := open(t, path)
	got, err := again.GetTeam(t.Context(), team.ID)
	if err != nil || got.Name != "kept" {
		t.Fatalf("GetTeam after reopen = %+v, %v; want the team", got, err)
	}
}

func TestOpenRefusesNewerSchema(t *testing.T) {
	path := tempPath(t)
	if err := open(t, path).Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'from_the_future', 0)`)
	db.Close()
	if err != nil {
		t.Fatalf("insert future migration: %v", err)
	}
	s, err := sqlite.Open(context.Background(), path)
	if !errors.Is(err, store.ErrSchemaTooNew) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("sqlite.Open(newer schema) error = %v, want ErrSchemaTooNew", err)
	}
}

func BenchmarkAnalytics(b *testing.B) {
	storetest.BenchAnalytics(b, func(b *testing.B) store.Store { return open(b, tempPath(b)) })
}
