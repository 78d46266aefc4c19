package e2e

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestStoredProviderCredential keeps the provider key out of the config file: stored through
// the admin API (encrypted), it reaches the provider, and the API never returns it.
func TestStoredProviderCredential(t *testing.T) {
	cfg := `
providers:
  vault:
    type: openai
    base_url: {{MOCK}}/v1
    credential: prod
auth:
  master_key: ` + clientKey + `
  credentials_key: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=
`
	g := start(t, cfg, time.Minute)
	client := g.client()
	params := userMsg("hi")
	params.Model = "vault/m"
	_, err := client.Chat.Completions.New(context.Background(), params)
	if e := apiError(t, err); e.StatusCode != 502 {
		t.Fatalf("before the credential is stored: %d, want 502 (the provider refuses a missing key)", e.StatusCode)
	}
	out := mustAdmin(t, g, clientKey, "POST", "/admin/v1/credentials", map[string]any{"provider": "vault", "name": "prod", "secret": mockKey}, 201)
	if strings.Contains(strings.ToLower(fmtAny(out)), strings.ToLower(mockKey)) {
		t.Fatalf("the create answer echoes the secret: %v", out)
	}
	// Only a config file can be reloaded; the harness wrote one, and the change applies now.
	if _, err := client.Chat.Completions.New(context.Background(), params); err != nil {
		t.Fatalf("after storing the credential: %v", err)
	}
	if got := g.lastUpstream(t).Header.Get("Authorization"); got != "Bearer "+mockKey {
		t.Errorf("upstream Authorization = %q", got)
	}
	list := mustAdmin(t, g, clientKey, "GET", "/admin/v1/credentials", nil, 200)
	if strings.Contains(fmtAny(list), mockKey) {
		t.Fatalf("the credential list leaks the secret")
	}
}
