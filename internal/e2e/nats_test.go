package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sluicehq/sluice/internal/mockllm"
)

// natsURL is the test NATS server: SLUICE_TEST_NATS_URL, else the one CI runs on
// 127.0.0.1:4222. The test skips when it is unreachable, except in CI (CI=true), where that
// fails.
func natsURL(t *testing.T) string {
	t.Helper()
	u := os.Getenv("SLUICE_TEST_NATS_URL")
	if u == "" {
		u = "nats://127.0.0.1:4222"
	}
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(u, "nats://"), 2*time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NATS unreachable at %s: %v", u, err)
		}
		t.Skipf("NATS unreachable at %s (set SLUICE_TEST_NATS_URL): %v", u, err)
	}
	conn.Close()
	return u
}

// natsNodes starts two gateways on one fresh PostgreSQL schema and one NATS subject prefix
// of their own, with defaultConfig and extra. Their store sync_interval is an hour, so
// anything one node learns from the other within the test came over NATS.
func natsNodes(t *testing.T, extra string) (a, b *gateway, dsn string) {
	t.Helper()
	mock := listenMock(t)
	return natsNodesWith(t, mock, strings.NewReplacer("{{MOCK}}", mock.URL(), "{{TIMEOUT}}", "1m").Replace(defaultConfig)+extra)
}

// natsNodesWith is natsNodes with base (providers, models, budgets) instead of defaultConfig.
func natsNodesWith(t *testing.T, mock *mockllm.Instance, base string) (a, b *gateway, dsn string) {
	t.Helper()
	nats := natsURL(t)
	dsn = postgresSchema(t)
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	cfg := base + `
store:
  driver: postgres
  dsn: "` + dsn + `"
  sync_interval: 1h
auth:
  master_key: ` + clientKey + `
  credentials_key: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=
cluster:
  nats_url: ` + nats + `
  subject_prefix: sluice_test.` + hex.EncodeToString(rnd[:]) + `
`
	a, _ = node(t, cfg, mock)
	b, _ = node(t, cfg, mock)
	return a, b, dsn
}

// A key issued and then revoked through node A's admin API is accepted, then refused, by
// node B within the NATS delivery delay; its store poll is an hour away.
func TestNATSPushesKeyChangesToOtherNodes(t *testing.T) {
	a, b, _ := natsNodes(t, "")
	team := mustAdmin(t, a, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "t"}, 201)
	out := mustAdmin(t, a, clientKey, "POST", "/admin/v1/keys", map[string]any{"owner_kind": "team", "owner_id": team["id"]}, 201)
	key, id := out["key"].(string), out["api_key"].(map[string]any)["id"].(string)
	params := userMsg("hi")
	params.Model = "fast"
	onB := keyClient(b, key)
	waitFor(t, "node B to accept a key issued on node A", func() bool {
		_, err := onB.Chat.Completions.New(context.Background(), params)
		return err == nil
	})
	mustAdmin(t, a, clientKey, "POST", "/admin/v1/keys/"+id+"/revoke", nil, 200)
	waitFor(t, "node B to refuse the key revoked on node A", func() bool {
		_, err := onB.Chat.Completions.New(context.Background(), params)
		return err != nil && strings.Contains(err.Error(), "401")
	})

	mustAdminRaw(t, a, "POST", "/admin/v1/models", `{"name":"shared","targets":[{"provider":"mock","model":"gpt-4o-mini"}]}`, 201)
	waitFor(t, "node B to serve a model added on node A", func() bool {
		p, _, _, err := chatVia(t, b.client(), "shared")
		return err == nil && p == "mock"
	})
	if m := metricsText(t, b); !strings.Contains(m, "sluice_cluster_connected 1") ||
		strings.Contains(m, "sluice_cluster_messages_received_total 0\n") {
		t.Fatalf("node B's cluster metrics do not show a connected node that received messages:\n%s", grepLines(m, "sluice_cluster_"))
	}
}

// A team's spend on node A counts on node B before either node has written spend to the
// store: node B refuses the team once node A has spent its budget.
func TestNATSSpreadsBudgetSpendBeforeAnyStoreSync(t *testing.T) {
	a, b, dsn := natsNodes(t, `budgets:
  - id: ml-daily
    scope: team
    scope_id: ml
    limit_tokens: 200
    period: daily
`)
	team := mustAdmin(t, a, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "ml"}, 201)
	out := mustAdmin(t, a, clientKey, "POST", "/admin/v1/keys", map[string]any{"owner_kind": "team", "owner_id": team["id"]}, 201)
	key := out["key"].(string)
	waitFor(t, "node B to know the key issued on node A", func() bool {
		status, _, _ := budgetChat(t, b, key, 1)
		return status == http.StatusOK
	})
	// Spend the budget on node A only.
	for i := 0; ; i++ {
		status, _, body := budgetChat(t, a, key, 16)
		if status == http.StatusTooManyRequests {
			break
		}
		if status != http.StatusOK || i == 100 {
			t.Fatalf("request %d on node A = %d %v, want 200 until the budget refuses", i, status, body)
		}
	}
	spentA := budgetSpent(t, a, "ml-daily")
	waitFor(t, "node B to see node A's spend", func() bool { return budgetSpent(t, b, "ml-daily") >= spentA })
	if status, _, body := budgetChat(t, b, key, 16); status != http.StatusTooManyRequests {
		t.Fatalf("node B answered %d %v for a team node A spent, want 429 budget_exceeded", status, body)
	}
	// Neither node has synced spend since start (every hour): the store knows nothing of it.
	conn, err := pgx.Connect(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var stored int64
	if err := conn.QueryRow(context.Background(), `SELECT coalesce(sum(spent), 0) FROM budget_spend`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if stored != 0 {
		t.Fatalf("the store holds %d tokens of spend, want 0: node B must have learned it over NATS", stored)
	}
}

// Without NATS at start a node still serves, and nodes converge by polling the store.
func TestNATSDownAtStartFallsBackToPolling(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "nats://" + ln.Addr().String()
	ln.Close() // nothing listens there now
	mock := listenMock(t)
	cfg := strings.NewReplacer("{{MOCK}}", mock.URL(), "{{TIMEOUT}}", "1m").Replace(defaultConfig) + `
store:
  path: ` + filepath.Join(t.TempDir(), "shared.db") + `
  sync_interval: 50ms
auth:
  master_key: ` + clientKey + `
cluster:
  nats_url: ` + dead + `
`
	a, _ := node(t, cfg, mock)
	b, _ := node(t, cfg, mock)
	team := mustAdmin(t, a, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "t"}, 201)
	out := mustAdmin(t, a, clientKey, "POST", "/admin/v1/keys", map[string]any{"owner_kind": "team", "owner_id": team["id"]}, 201)
	key, id := out["key"].(string), out["api_key"].(map[string]any)["id"].(string)
	params := userMsg("hi")
	params.Model = "fast"
	onB := keyClient(b, key)
	waitFor(t, "node B to accept a key issued on node A, by polling", func() bool {
		_, err := onB.Chat.Completions.New(context.Background(), params)
		return err == nil
	})
	mustAdmin(t, a, clientKey, "POST", "/admin/v1/keys/"+id+"/revoke", nil, 200)
	waitFor(t, "node B to refuse the key revoked on node A, by polling", func() bool {
		_, err := onB.Chat.Completions.New(context.Background(), params)
		return err != nil
	})
	m := metricsText(t, a)
	if !strings.Contains(m, "sluice_cluster_connected 0") || strings.Contains(m, `sluice_cluster_messages_dropped_total{reason="not_sent"} 0`+"\n") {
		t.Fatalf("node A's cluster metrics should show it disconnected, with the change notices it could not send dropped:\n%s", grepLines(m, "sluice_cluster_"))
	}
}

func metricsText(t *testing.T, g *gateway) string {
	t.Helper()
	resp, err := http.Get(g.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return string(raw)
}

// A provider credential stored through node A reaches node B's routing table at once: the
// provider that had no key on node B answers there too.
func TestNATSPushesStoredCredentialsToOtherNodes(t *testing.T) {
	mock := listenMock(t)
	a, b, _ := natsNodesWith(t, mock, `
providers:
  vault:
    type: openai
    base_url: `+mock.URL()+`/v1
    credential: prod
`)
	params := userMsg("hi")
	params.Model = "vault/m"
	onB := b.client()
	if _, err := onB.Chat.Completions.New(context.Background(), params); err == nil {
		t.Fatalf("node B answered before any credential was stored")
	}
	mustAdmin(t, a, clientKey, "POST", "/admin/v1/credentials", map[string]any{"provider": "vault", "name": "prod", "secret": mockKey}, 201)
	waitFor(t, "node B to use the credential stored on node A", func() bool {
		_, err := onB.Chat.Completions.New(context.Background(), params)
		return err == nil
	})
}
