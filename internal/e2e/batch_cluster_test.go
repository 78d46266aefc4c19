package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/openai/openai-go/v3"

	"github.com/sluicehq/sluice/internal/app"
	"github.com/sluicehq/sluice/internal/mockllm"
)

// postgresSchema returns a DSN for a fresh schema of the test PostgreSQL (dropped at the end),
// skipping the test when PostgreSQL is unreachable outside CI.
func postgresSchema(t *testing.T) string {
	t.Helper()
	base := os.Getenv("SLUICE_TEST_POSTGRES_DSN")
	if base == "" {
		base = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	ctx := context.Background()
	exec := func(sql string) error {
		conn, err := pgx.Connect(ctx, base)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, sql)
		return err
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := "sluice_e2e_" + hex.EncodeToString(b[:])
	if err := exec("CREATE SCHEMA " + name); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL unreachable: %v", err)
		}
		t.Skipf("PostgreSQL unreachable: %v", err)
	}
	t.Cleanup(func() { _ = exec("DROP SCHEMA " + name + " CASCADE") })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String()
}

// node runs one gateway with cfg until the test ends (or stop is called).
func node(t *testing.T, cfg string, mock *mockllm.Instance) (g *gateway, stop func()) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sluice.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), app.Options{ConfigPath: path, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return &gateway{URL: "http://" + a.Addr().String(), Mock: mock}, stop
}

func listenMock(t *testing.T) *mockllm.Instance {
	t.Helper()
	mock, err := mockllm.Listen("127.0.0.1:0", mockllm.Options{APIKey: mockKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mock.Close(context.Background()) })
	return mock
}

// Two nodes share one PostgreSQL store and both poll for batches every 5 ms while one batch
// runs for far longer: the lease lets only one of them drive it, so each line reaches the
// provider exactly once and is logged once.
func TestBatchTwoNodesOnPostgresDriveABatchOnce(t *testing.T) {
	dsn := postgresSchema(t)
	mock := listenMock(t)
	cfg := strings.NewReplacer("{{MOCK}}", mock.URL(), "{{DSN}}", dsn).Replace(`
providers:
  p: {type: openai, base_url: "{{MOCK}}/v1", api_key: ` + mockKey + `}
models:
  - name: fast
    targets: [{provider: p, model: gpt-4o-mini}]
store:
  driver: postgres
  dsn: "{{DSN}}"
  sync_interval: 50ms
auth:
  master_key: ` + clientKey + `
batch:
  poll_interval: 5ms
  local_concurrency: 2
`)
	a, _ := node(t, cfg, mock)
	b, _ := node(t, cfg, mock)
	const n = 12
	lines := make([][2]string, n)
	for i := range lines {
		lines[i] = [2]string{"fast", "[[mock latency=15ms]] line " + string(rune('a'+i))}
	}
	batch := submitBatch(t, a.client(), jsonl("/v1/chat/completions", lines...))
	done := awaitBatch(t, b.client(), batch.ID) // the other node sees it through the store
	if done.Status != openai.BatchStatusCompleted || done.RequestCounts.Completed != n {
		t.Fatalf("batch = %s %+v, want all %d completed", done.Status, done.RequestCounts, n)
	}
	chats := 0
	for _, r := range mock.Server().Requests() {
		if r.Path == "/v1/chat/completions" {
			chats++
		}
	}
	if chats != n {
		t.Errorf("the provider received %d chat requests for %d lines: more than one node drove the batch", chats, n)
	}
	batchLogs(t, a, batch.ID, n)
}

// A node that stops while a provider's batch job is in progress leaves it in the store; the
// node that starts next carries on polling it and finishes the batch without resubmitting.
func TestBatchSurvivesARestart(t *testing.T) {
	mock := listenMock(t)
	dir := t.TempDir()
	cfg := strings.NewReplacer("{{MOCK}}", mock.URL(), "{{DB}}", filepath.Join(dir, "sluice.db")).Replace(`
providers:
  oai:
    type: openai
    base_url: "{{MOCK}}/v1"
    api_key: ` + mockKey + `
    headers: {x-mock-batch-polls: "3"}
models:
  - name: gpt
    targets: [{provider: oai, model: gpt-4o-mini}]
store:
  path: {{DB}}
auth:
  master_key: ` + clientKey + `
batch:
  poll_interval: 5ms
  native: {oai: true}
`)
	first, stop := node(t, cfg, mock)
	batch := submitBatch(t, first.client(), jsonl("/v1/chat/completions", [2]string{"gpt", "one"}, [2]string{"gpt", "two"}))
	waitFor(t, "the provider's batch to be created", func() bool { return upstreamBatchID(first) != "" })
	stop()
	second, _ := node(t, cfg, mock)
	done := awaitBatch(t, second.client(), batch.ID)
	if done.Status != openai.BatchStatusCompleted || done.RequestCounts.Completed != 2 {
		t.Fatalf("batch after a restart = %s %+v, want completed", done.Status, done.RequestCounts)
	}
	created := 0
	for _, r := range mock.Server().Requests() {
		if r.Method == "POST" && r.Path == "/v1/batches" {
			created++
		}
	}
	if created != 1 {
		t.Errorf("the provider received %d batches, want the one submitted before the restart", created)
	}
	batchLogs(t, second, batch.ID, 2)
}
