package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/app"
	"github.com/sluicehq/sluice/internal/mockllm"
)

// TestTwoNodesShareOneStore runs two gateways on one store: a key revoked and a model added
// through one node take effect on the other within the sync interval.
func TestTwoNodesShareOneStore(t *testing.T) {
	a, b := twoNodes(t)

	team := mustAdmin(t, a, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "t"}, 201)
	out := mustAdmin(t, a, clientKey, "POST", "/admin/v1/keys", map[string]any{"owner_kind": "team", "owner_id": team["id"]}, 201)
	key, id := out["key"].(string), out["api_key"].(map[string]any)["id"].(string)
	onB := keyClient(b, key)
	params := userMsg("hi")
	params.Model = "p/m"
	waitFor(t, "node B to accept a key issued on node A", func() bool {
		_, err := onB.Chat.Completions.New(context.Background(), params)
		return err == nil
	})
	mustAdmin(t, a, clientKey, "POST", "/admin/v1/keys/"+id+"/revoke", nil, 200)
	waitFor(t, "node B to refuse the key revoked on node A", func() bool {
		_, err := onB.Chat.Completions.New(context.Background(), params)
		return err != nil
	})

	mustAdminRaw(t, a, "POST", "/admin/v1/models", `{"name":"shared","targets":[{"provider":"p","model":"m"}]}`, 201)
	master := b.client()
	waitFor(t, "node B to serve a model added on node A", func() bool {
		p, _, _, err := chatVia(t, master, "shared")
		return err == nil && p == "p"
	})
}

// twoNodes starts two gateways sharing one SQLite store that each re-reads every 50 ms, in front
// of one mock provider, as two replicas of a deployment.
func twoNodes(t *testing.T) (a, b *gateway) {
	t.Helper()
	mock, err := mockllm.Listen("127.0.0.1:0", mockllm.Options{APIKey: mockKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mock.Close(context.Background()) })
	dir := t.TempDir()
	cfg := strings.NewReplacer("{{MOCK}}", mock.URL(), "{{DB}}", filepath.Join(dir, "shared.db")).Replace(`
providers:
  p: {type: openai, base_url: "{{MOCK}}/v1", api_key: ` + mockKey + `}
store:
  path: {{DB}}
  sync_interval: 50ms
auth:
  master_key: ` + clientKey + `
`)
	path := filepath.Join(dir, "sluice.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	node := func() *gateway {
		a, err := app.New(context.Background(), app.Options{ConfigPath: path, Listen: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Listen(); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		t.Cleanup(func() { cancel(); <-done })
		return &gateway{URL: "http://" + a.Addr().String()}
	}
	return node(), node()
}
