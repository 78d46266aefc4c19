package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// adminCall sends an admin request with a bearer key and decodes the JSON answer.
func adminCall(t *testing.T, g *gateway, key, method, path string, body any) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = strings.NewReader(string(b))
	}
	req, err := http.NewRequest(method, g.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(raw) > 0 && json.Unmarshal(raw, &out) != nil {
		t.Fatalf("%s %s: body is not JSON: %s", method, path, raw)
	}
	return resp.StatusCode, out
}

func mustAdmin(t *testing.T, g *gateway, key, method, path string, body any, want int) map[string]any {
	t.Helper()
	status, out := adminCall(t, g, key, method, path, body)
	if status != want {
		t.Fatalf("%s %s = %d %v, want %d", method, path, status, out, want)
	}
	return out
}

func keyClient(g *gateway, key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(g.URL+"/v1"), option.WithAPIKey(key), option.WithMaxRetries(0))
}

func TestAdminKeysTeamsAndRBAC(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	team := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "ml", "metadata": map[string]string{"models": "fast,mock/*"}}, 201)
	teamID := team["id"].(string)
	lead := mustAdmin(t, g, clientKey, "POST", "/admin/v1/users", map[string]any{"email": "lead@example.com", "role": "team_admin", "team_ids": []string{teamID}}, 201)
	dev := mustAdmin(t, g, clientKey, "POST", "/admin/v1/users", map[string]any{"email": "dev@example.com", "role": "member", "team_ids": []string{teamID}}, 201)
	viewer := mustAdmin(t, g, clientKey, "POST", "/admin/v1/users", map[string]any{"email": "v@example.com", "role": "viewer", "team_ids": []string{teamID}}, 201)

	var issued []string
	issue := func(by string, body map[string]any) string {
		out := mustAdmin(t, g, by, "POST", "/admin/v1/keys", body, 201)
		if k, _ := out["key"].(string); strings.HasPrefix(k, "sk-sluice-") {
			issued = append(issued, k)
			return k
		}
		t.Fatalf("no key in %v", out)
		return ""
	}
	leadKey := issue(clientKey, map[string]any{"owner_kind": "user", "owner_id": lead["id"], "team_id": teamID})
	devKey := issue(clientKey, map[string]any{"owner_kind": "user", "owner_id": dev["id"], "team_id": teamID, "models": []string{"fast"}})
	viewerKey := issue(clientKey, map[string]any{"owner_kind": "user", "owner_id": viewer["id"], "team_id": teamID})

	// RBAC over admin resources.
	for _, tc := range []struct {
		name, key, method, path string
		body                    any
		want                    int
	}{
		{"member cannot create teams", devKey, "POST", "/admin/v1/teams", map[string]any{"name": "x"}, 403},
		{"team admin cannot create teams", leadKey, "POST", "/admin/v1/teams", map[string]any{"name": "x"}, 403},
		{"team admin issues a team key", leadKey, "POST", "/admin/v1/keys", map[string]any{"owner_kind": "team", "owner_id": teamID}, 201},
		{"member issues own key", devKey, "POST", "/admin/v1/keys", map[string]any{"team_id": teamID}, 201},
		{"member cannot issue team keys", devKey, "POST", "/admin/v1/keys", map[string]any{"owner_kind": "team", "owner_id": teamID}, 403},
		{"viewer cannot issue keys", viewerKey, "POST", "/admin/v1/keys", map[string]any{"team_id": teamID}, 403},
		{"viewer reads own team", viewerKey, "GET", "/admin/v1/teams/" + teamID, nil, 200},
		{"member cannot read audit", devKey, "GET", "/admin/v1/audit", nil, 403},
		{"no key", "", "GET", "/admin/v1/teams", nil, 401},
		{"unknown field rejected", clientKey, "POST", "/admin/v1/teams", map[string]any{"nmae": "typo"}, 400},
		{"duplicate team", clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "ml"}, 409},
		{"unknown key", clientKey, "GET", "/admin/v1/keys/key_nope", nil, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if status, out := adminCall(t, g, tc.key, tc.method, tc.path, tc.body); status != tc.want {
				t.Errorf("%s %s = %d %v, want %d", tc.method, tc.path, status, out, tc.want)
			}
		})
	}

	proj := mustAdmin(t, g, leadKey, "POST", "/admin/v1/projects", map[string]any{"team_id": teamID, "name": "search"}, 201)
	renamed := mustAdmin(t, g, leadKey, "PATCH", "/admin/v1/projects/"+proj["id"].(string), map[string]any{"name": "retrieval"}, 200)
	if renamed["name"] != "retrieval" {
		t.Errorf("renamed project = %v", renamed)
	}
	mustAdmin(t, g, devKey, "PATCH", "/admin/v1/projects/"+proj["id"].(string), map[string]any{"name": "x"}, 403)
	mustAdmin(t, g, viewerKey, "GET", "/admin/v1/projects/"+proj["id"].(string), nil, 200)

	// Model access: the dev key may use only "fast"; the team allows fast and mock/*.
	dc := keyClient(g, devKey)
	if _, err := dc.Chat.Completions.New(context.Background(), userMsg("hi")); err != nil {
		t.Fatalf("dev key on an allowed model: %v", err)
	}
	params := userMsg("hi")
	params.Model = "mock/gpt-4o-mini"
	_, err := dc.Chat.Completions.New(context.Background(), params)
	if e := apiError(t, err); e.StatusCode != 403 || e.Code != "model_access_denied" || !strings.Contains(e.Message, "mock/gpt-4o-mini") {
		t.Fatalf("dev key on a model it may not use: %d %q %q", e.StatusCode, e.Code, e.Message)
	}
	page, err := dc.Models.List(context.Background())
	if err != nil || len(page.Data) != 1 || page.Data[0].ID != "fast" {
		t.Fatalf("models visible to the dev key = %+v, %v; want only fast", page, err)
	}

	// Revocation is effective for the very next request.
	keys := mustAdmin(t, g, clientKey, "GET", "/admin/v1/keys?owner_kind=user&owner_id="+dev["id"].(string), nil, 200)
	devKeyID := keys["data"].([]any)[0].(map[string]any)["id"].(string)
	mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys/"+devKeyID+"/revoke", nil, 200)
	_, err = dc.Chat.Completions.New(context.Background(), userMsg("hi"))
	if e := apiError(t, err); e.StatusCode != 401 || e.Code != "invalid_api_key" {
		t.Fatalf("revoked key: %d %q", e.StatusCode, e.Code)
	}

	// Every change is in the audit log, with who did it.
	audit := mustAdmin(t, g, clientKey, "GET", "/admin/v1/audit?action=key.revoke", nil, 200)
	events := audit["data"].([]any)
	if len(events) != 1 || events[0].(map[string]any)["actor"] != "master" || events[0].(map[string]any)["resource_id"] != devKeyID {
		t.Fatalf("audit for key.revoke = %v", events)
	}
	if before := events[0].(map[string]any)["before"].(map[string]any); before["revoked_at"] != nil {
		t.Errorf("audit before-image already revoked: %v", before)
	}
	all := mustAdmin(t, g, clientKey, "GET", "/admin/v1/audit?limit=1000", nil, 200)
	if n := len(all["data"].([]any)); n < 9 {
		t.Errorf("audit has %d events, want one per change (>= 9)", n)
	}
	req, _ := http.NewRequest("GET", g.URL+"/admin/v1/audit/export", nil)
	req.Header.Set("Authorization", "Bearer "+clientKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if resp.Header.Get("Content-Type") != "application/x-ndjson" || len(lines) != len(all["data"].([]any)) {
		t.Errorf("export: %s with %d lines, want JSON lines, one per event (%d)", resp.Header.Get("Content-Type"), len(lines), len(all["data"].([]any)))
	}
	dump := fmt.Sprint(all)
	for _, k := range issued {
		if strings.Contains(dump, k) || strings.Contains(dump, k[len(k)-20:]) {
			t.Fatalf("the audit log contains a key secret")
		}
	}
}

func TestAdminOpenAPIDocument(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	resp, err := http.Get(g.URL + "/admin/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") || doc.Paths["/admin/v1/keys"]["post"] == nil || doc.Paths["/admin/v1/keys/{id}/revoke"]["post"] == nil {
		t.Fatalf("openapi document lacks the key endpoints: %v", doc.Paths)
	}
}

// TestKeysChurnUnderTraffic issues and revokes keys while requests flow: valid keys always
// work, revoked ones never do once their revocation returned.
func TestKeysChurnUnderTraffic(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	team := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "load"}, 201)
	var live sync.Map // key -> true while valid
	var wrong atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				live.Range(func(k, v any) bool {
					c := keyClient(g, k.(string))
					_, err := c.Models.List(context.Background())
					switch v {
					case true: // issued and not yet being revoked
						if now, _ := live.Load(k); err != nil && now == true {
							wrong.Add(1)
							t.Errorf("valid key rejected: %v", err)
						}
					case false: // its revocation has returned
						if err == nil {
							wrong.Add(1)
							t.Errorf("revoked key accepted")
						}
					}
					return true
				})
			}
		})
	}
	for range 15 {
		out := mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys", map[string]any{"owner_kind": "team", "owner_id": team["id"]}, 201)
		key, id := out["key"].(string), out["api_key"].(map[string]any)["id"].(string)
		live.Store(key, true)
		time.Sleep(10 * time.Millisecond)
		live.Store(key, "revoking")
		mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys/"+id+"/revoke", nil, 200)
		live.Store(key, false)
	}
	close(stop)
	wg.Wait()
	if wrong.Load() != 0 {
		t.Fatalf("%d wrong auth decisions during key churn", wrong.Load())
	}
}

func fmtAny(v any) string { return fmt.Sprint(v) }

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
