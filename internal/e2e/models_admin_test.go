package e2e

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestAdminManagedModels adds, changes and removes a model through the admin API: each change
// is checked against the whole configuration and serves the next request.
func TestAdminManagedModels(t *testing.T) {
	g := start(t, routingConfig(map[string]string{"a": "", "b": ""}, `
  - name: base
    targets: [{provider: a, model: m}]
`), time.Minute)
	client := g.client()
	// Invalid specs are refused with the problem named, and nothing is stored.
	for body, want := range map[string]string{
		`{"name":"x","targets":[{"provider":"nope","model":"m"}]}`:                   "unknown provider",
		`{"name":"x","targets":[{"provider":"a","model":"m"}],"strategy":"fastest"}`: "strategy",
		`{"name":"x","targetz":[]}`:                                                  "targetz",
		`{"name":"base","targets":[{"provider":"a","model":"m"}]}`:                   "also declared in the configuration file",
	} {
		status, out := adminRaw(t, g, "POST", "/admin/v1/models", body)
		if status != 400 || !strings.Contains(fmtAny(out), want) {
			t.Errorf("POST %s = %d %v, want 400 naming %q", body, status, out, want)
		}
	}
	created := mustAdminRaw(t, g, "POST", "/admin/v1/models",
		`{"name":"managed","fallbacks":["base"],"targets":[{"provider":"b","model":"m"}]}`, 201)
	if p, _, _, err := chatVia(t, client, "managed"); err != nil || p != "b" {
		t.Fatalf("new managed model: served by %q, %v", p, err)
	}
	id := created["id"].(string)
	mustAdminRaw(t, g, "PUT", "/admin/v1/models/"+id, `{"name":"managed","targets":[{"provider":"a","model":"m"}]}`, 200)
	if p, _, _, err := chatVia(t, client, "managed"); err != nil || p != "a" {
		t.Fatalf("replaced managed model: served by %q, %v", p, err)
	}
	mustAdmin(t, g, clientKey, "DELETE", "/admin/v1/models/"+id, nil, 204)
	params := userMsg("x")
	params.Model = "managed"
	_, err := client.Chat.Completions.New(context.Background(), params)
	if e := apiError(t, err); e.StatusCode != 404 {
		t.Fatalf("deleted managed model: %d", e.StatusCode)
	}
}

func adminRaw(t *testing.T, g *gateway, method, path, body string) (int, map[string]any) {
	t.Helper()
	var v any
	if err := jsonUnmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	return adminCall(t, g, clientKey, method, path, v)
}

func mustAdminRaw(t *testing.T, g *gateway, method, path, body string, want int) map[string]any {
	t.Helper()
	status, out := adminRaw(t, g, method, path, body)
	if status != want {
		t.Fatalf("%s %s = %d %v, want %d", method, path, status, out, want)
	}
	return out
}
