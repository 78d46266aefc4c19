package usage_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/postgres"
	"github.com/sluicehq/sluice/internal/usage"
)

// pgDSN is the database of the store's PostgreSQL tests; SLUICE_TEST_POSTGRES_DSN
// overrides it.
func pgDSN() string {
	if dsn := os.Getenv("SLUICE_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

// openPostgres opens a store in a fresh schema, dropped at cleanup. It skips when
// PostgreSQL is unreachable, except in CI (CI=true), where that fails.
func openPostgres(tb testing.TB) *postgres.Store {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgDSN())
	if err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			tb.Fatalf("PostgreSQL unreachable: %v", err)
		}
		tb.Skipf("PostgreSQL unreachable (set SLUICE_TEST_POSTGRES_DSN): %v", err)
	}
	defer conn.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "sluice_test_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		tb.Fatalf("CREATE SCHEMA: %v", err)
	}
	tb.Cleanup(func() {
		c, err := pgx.Connect(context.Background(), pgDSN())
		if err == nil {
			_, _ = c.Exec(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
			_ = c.Close(context.Background())
		}
	})
	u, err := url.Parse(pgDSN())
	if err != nil {
		tb.Fatalf("parse DSN: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := postgres.Open(ctx, u.String())
	if err != nil {
		tb.Fatalf("postgres.Open: %v", err)
	}
	tb.Cleanup(func() { _ = s.Close() }) // runs before the schema is dropped
	return s
}

// BenchmarkRecorderIntoPostgres is BenchmarkRecorderIntoSQLite against PostgreSQL.
func BenchmarkRecorderIntoPostgres(b *testing.B) {
	s := openPostgres(b)
	recs := make([]store.RequestLog, b.N)
	for i := range recs {
		recs[i] = logRec(i)
	}
	r := usage.NewRecorder(s, usage.Options{}, nil)
	b.ResetTimer()
	stop := runRecorder(r)
	for i := range recs {
		for !r.Record(recs[i]) { // outpacing the writer: wait rather than drop, to time it
			runtime.Gosched()
		}
	}
	stop()
	b.StopTimer()
	if st := r.Stats(); st.Written != uint64(b.N) || st.Recorded != uint64(b.N) {
		b.Fatalf("Stats = %+v; want %d written", st, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "records/s")
}
