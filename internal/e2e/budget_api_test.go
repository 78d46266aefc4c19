package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// spendUntilRefused sends chats with key until one is refused, and returns the tokens the
// served ones used and the refusal.
func spendUntilRefused(t *testing.T, g *gateway, key string) (int64, map[string]any) {
	t.Helper()
	var used int64
	for i := 0; i < 100; i++ {
		status, _, body := budgetChat(t, g, key, 16)
		switch status {
		case http.StatusOK:
			used += int64(body["usage"].(map[string]any)["total_tokens"].(float64))
		case http.StatusTooManyRequests:
			return used, body["error"].(map[string]any)
		default:
			t.Fatalf("chat %d = %d %v", i, status, body)
		}
	}
	t.Fatalf("100 requests (%d tokens) were never refused", used)
	return 0, nil
}

func budgetSpent(t *testing.T, g *gateway, id string) int64 {
	t.Helper()
	st := mustAdmin(t, g, clientKey, "GET", "/admin/v1/budgets/"+id+"/status", nil, http.StatusOK)
	spent, _ := st["spent"].(float64)
	return int64(spent)
}

// A team budget created through the admin API is enforced at once; raising its limit lets
// requests through again without a restart and keeps the spend; lowering it refuses again;
// deleting it stops enforcement. Every change is in the audit log with before and after.
func TestBudgetAPICreatePatchDeleteApplyWithoutRestart(t *testing.T) {
	g := start(t, defaultConfig, 10*time.Second)
	team := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "ml"}, http.StatusCreated)
	key := mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys",
		map[string]any{"owner_kind": "team", "owner_id": team["id"]}, http.StatusCreated)["key"].(string)

	created := mustAdmin(t, g, clientKey, "POST", "/admin/v1/budgets", map[string]any{
		"id": "ml-api", "name": "ML via API", "scope": "team", "scope_id": "ml", "limit_tokens": 200}, http.StatusCreated)
	if created["version"].(float64) != 1 || created["source"] != "api" || created["period"] != "monthly" ||
		created["on_exceed"] != "block" || fmt.Sprint(created["thresholds"]) != "[50 80 100]" {
		t.Fatalf("created = %v, want version 1 from the api with the config defaults", created)
	}

	used, refusal := spendUntilRefused(t, g, key)
	if refusal["code"] != "budget_exceeded" || !strings.Contains(refusal["message"].(string), `"ML via API"`) {
		t.Fatalf("refusal = %v, want budget_exceeded naming the API budget", refusal)
	}
	if spent := budgetSpent(t, g, "ml-api"); spent != used || used > 200 {
		t.Fatalf("spent %d, served %d, limit 200", spent, used)
	}

	list := mustAdmin(t, g, clientKey, "GET", "/admin/v1/budgets", nil, http.StatusOK)["data"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["source"] != "api" || list[0].(map[string]any)["budget_id"] != "ml-api" {
		t.Fatalf("budget list = %v, want ml-api with source api", list)
	}

	raised := mustAdmin(t, g, clientKey, "PATCH", "/admin/v1/budgets/ml-api", map[string]any{"limit_tokens": 100000}, http.StatusOK)
	if raised["version"].(float64) != 2 || raised["limit_tokens"].(float64) != 100000 || raised["name"] != "ML via API" {
		t.Fatalf("patched = %v, want version 2 with the new limit and the other fields kept", raised)
	}
	status, _, body := budgetChat(t, g, key, 16)
	if status != http.StatusOK {
		t.Fatalf("after raising the limit chat = %d %v, want 200 without a restart", status, body)
	}
	more := int64(body["usage"].(map[string]any)["total_tokens"].(float64))
	if spent := budgetSpent(t, g, "ml-api"); spent != used+more {
		t.Fatalf("after raising the limit spent = %d, want %d + %d: a limit change must not reset spend", spent, used, more)
	}

	mustAdmin(t, g, clientKey, "PATCH", "/admin/v1/budgets/ml-api", map[string]any{"limit_tokens": used}, http.StatusOK)
	if status, _, body := budgetChat(t, g, key, 16); status != http.StatusTooManyRequests {
		t.Fatalf("after lowering the limit below the spend chat = %d %v, want 429", status, body)
	}

	mustAdmin(t, g, clientKey, "DELETE", "/admin/v1/budgets/ml-api", nil, http.StatusNoContent)
	if status, _, body := budgetChat(t, g, key, 16); status != http.StatusOK {
		t.Fatalf("after delete chat = %d %v, want 200: a deleted budget is not enforced", status, body)
	}
	mustAdmin(t, g, clientKey, "GET", "/admin/v1/budgets/ml-api", nil, http.StatusNotFound)

	audit := mustAdmin(t, g, clientKey, "GET", "/admin/v1/audit?resource_kind=budget", nil, http.StatusOK)["data"].([]any)
	var actions []string
	for _, ev := range audit {
		actions = append(actions, fmt.Sprint(ev.(map[string]any)["action"]))
	}
	if got := strings.Join(actions, ","); got != "budget.create,budget.update,budget.update,budget.delete" {
		t.Fatalf("audit actions = %s, want create, update, update, delete", got)
	}
	first := audit[1].(map[string]any)
	before, _ := first["before"].(map[string]any)
	after, _ := first["after"].(map[string]any)
	if before["limit_tokens"] != float64(200) || after["limit_tokens"] != float64(100000) {
		t.Fatalf("audit of the raise: before %v after %v, want limit_tokens 200 then 100000", before, after)
	}
	if del := audit[3].(map[string]any); del["before"] == nil || del["after"] != nil {
		t.Fatalf("audit of the delete = %v, want before only", del)
	}
}

// The API refuses bad budgets with the config loader's messages, IDs of file budgets with
// 409, and changes by callers whose role does not allow them.
func TestBudgetAPIValidationConflictsAndRBAC(t *testing.T) {
	g := start(t, defaultConfig+`
budgets:
  - id: org-cap
    limit_tokens: 1000000
    period: monthly
`, 10*time.Second)
	ml := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "ml"}, http.StatusCreated)
	other := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "other"}, http.StatusCreated)
	lead := mustAdmin(t, g, clientKey, "POST", "/admin/v1/users",
		map[string]any{"email": "lead@example.com", "role": "team_admin", "team_ids": []string{ml["id"].(string)}}, http.StatusCreated)
	dev := mustAdmin(t, g, clientKey, "POST", "/admin/v1/users",
		map[string]any{"email": "dev@example.com", "role": "member", "team_ids": []string{ml["id"].(string)}}, http.StatusCreated)
	userKey := func(u map[string]any) string {
		return mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys", map[string]any{"owner_kind": "user",
			"owner_id": u["id"], "team_id": ml["id"]}, http.StatusCreated)["key"].(string)
	}
	leadKey, devKey := userKey(lead), userKey(dev)
	mustAdmin(t, g, clientKey, "POST", "/admin/v1/budgets", map[string]any{"id": "other-team", "scope": "team",
		"scope_id": other["id"], "limit_usd": 5}, http.StatusCreated)

	team := func(id string, extra map[string]any) map[string]any {
		b := map[string]any{"id": id, "scope": "team", "scope_id": "ml", "limit_tokens": 1000}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	for _, tc := range []struct {
		name, key, method, path string
		body                    any
		want                    int
		msg                     string
	}{
		{"both limits", clientKey, "POST", "/admin/v1/budgets", team("x", map[string]any{"limit_usd": 1}), 400, "set exactly one of limit_usd and limit_tokens"},
		{"unknown period", clientKey, "POST", "/admin/v1/budgets", team("x", map[string]any{"period": "hourly"}), 400, `period: unknown period "hourly" (known: daily, weekly, monthly, total)`},
		{"descending thresholds", clientKey, "POST", "/admin/v1/budgets", team("x", map[string]any{"thresholds": []int{80, 50}}), 400, "thresholds[1]: thresholds must be ascending percentages from 1 to 100"},
		{"unknown time zone", clientKey, "POST", "/admin/v1/budgets", team("x", map[string]any{"timezone": "Mars/Olympus"}), 400, `timezone: unknown IANA time zone "Mars/Olympus"`},
		{"reroute to an unknown model", clientKey, "POST", "/admin/v1/budgets", team("x", map[string]any{"on_exceed": "reroute", "reroute_to": "nope"}), 400, `reroute_to: unknown model "nope"`},
		{"no id", clientKey, "POST", "/admin/v1/budgets", team("", nil), 400, "id: is required"},
		{"webhooks stay in the file", clientKey, "POST", "/admin/v1/budgets", team("x", map[string]any{"webhooks": []any{map[string]any{"url": "https://hooks.example.com/x"}}}), 400, "configuration file only"},
		{"unknown field", clientKey, "POST", "/admin/v1/budgets", team("x", map[string]any{"limit": 5}), 400, "limit"},
		{"id of a file budget", clientKey, "POST", "/admin/v1/budgets", team("org-cap", nil), 409, "declared in the configuration file"},
		{"id taken", clientKey, "POST", "/admin/v1/budgets", team("other-team", nil), 409, ""},
		{"file budget is not editable", clientKey, "PATCH", "/admin/v1/budgets/org-cap", map[string]any{"limit_tokens": 5}, 404, "configuration file"},
		{"id cannot change", clientKey, "PATCH", "/admin/v1/budgets/other-team", map[string]any{"id": "y"}, 400, "id: cannot change"},
		{"scope cannot change", clientKey, "PATCH", "/admin/v1/budgets/other-team", map[string]any{"scope_id": "ml"}, 400, "scope: cannot change"},
		{"unit cannot change", clientKey, "PATCH", "/admin/v1/budgets/other-team", map[string]any{"limit_usd": 0, "limit_tokens": 10}, 400, "unit cannot change"},
		{"stale If-Match", clientKey, "PATCH", "/admin/v1/budgets/other-team", map[string]any{"limit_usd": 6}, 409, ""},
		{"member cannot create", devKey, "POST", "/admin/v1/budgets", team("dev", nil), 403, "admin or team_admin"},
		{"team admin: not another team", leadKey, "POST", "/admin/v1/budgets", team("lead-other", map[string]any{"scope_id": "other"}), 403, "not a team of yours"},
		{"team admin: not org scope", leadKey, "POST", "/admin/v1/budgets", map[string]any{"id": "lead-org", "limit_tokens": 10}, 403, "team budgets only"},
		{"team admin: not above the org budget", leadKey, "POST", "/admin/v1/budgets", team("lead-big", map[string]any{"limit_tokens": 2000000}), 403, `organization budget "org-cap"`},
		{"team admin: not another team's budget", leadKey, "PATCH", "/admin/v1/budgets/other-team", map[string]any{"limit_usd": 50}, 403, "another team"},
		{"team admin: not delete another team's", leadKey, "DELETE", "/admin/v1/budgets/other-team", nil, 403, "another team"},
		{"team admin: own team", leadKey, "POST", "/admin/v1/budgets", team("lead-ml", nil), 201, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := tc.body
			path := tc.path
			status, out := adminCallIfMatch(t, g, tc.key, tc.method, path, req, tc.name == "stale If-Match")
			if status != tc.want {
				t.Fatalf("%s %s = %d %v, want %d", tc.method, path, status, out, tc.want)
			}
			if tc.msg != "" {
				msg, _ := out["error"].(map[string]any)["message"].(string)
				if !strings.Contains(msg, tc.msg) {
					t.Errorf("%s %s message %q, want it to contain %q", tc.method, path, msg, tc.msg)
				}
			}
		})
	}
	mustAdmin(t, g, leadKey, "PATCH", "/admin/v1/budgets/lead-ml", map[string]any{"limit_tokens": 2000}, http.StatusOK)
	seen := mustAdmin(t, g, leadKey, "GET", "/admin/v1/budgets", nil, http.StatusOK)["data"].([]any)
	if len(seen) != 1 || seen[0].(map[string]any)["budget_id"] != "lead-ml" {
		t.Errorf("the team admin's budget list = %v, want their team's budget only", seen)
	}
	all := mustAdmin(t, g, clientKey, "GET", "/admin/v1/budgets", nil, http.StatusOK)["data"].([]any)
	sources := map[string]string{}
	for _, b := range all {
		m := b.(map[string]any)
		sources[m["budget_id"].(string)] = m["source"].(string)
	}
	if sources["org-cap"] != "file" || sources["other-team"] != "api" || sources["lead-ml"] != "api" {
		t.Errorf("budget sources = %v, want org-cap from the file, the others from the api", sources)
	}
	mustAdmin(t, g, leadKey, "DELETE", "/admin/v1/budgets/lead-ml", nil, http.StatusNoContent)

	resp, err := http.Get(g.URL + "/admin/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		Paths      map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if doc.Paths["/admin/v1/budgets"]["post"] == nil || doc.Paths["/admin/v1/budgets/{id}"]["patch"] == nil ||
		doc.Paths["/admin/v1/budgets/{id}"]["delete"] == nil || doc.Components.Schemas["BudgetInput"] == nil ||
		doc.Components.Schemas["StoredBudget"] == nil {
		t.Fatalf("the OpenAPI document lacks the budget endpoints: %v", doc.Paths["/admin/v1/budgets/{id}"])
	}
}

// adminCallIfMatch is adminCall, sending If-Match: 1 on a budget already at a later version
// when stale is set.
func adminCallIfMatch(t *testing.T, g *gateway, key, method, path string, body any, stale bool) (int, map[string]any) {
	t.Helper()
	if !stale {
		return adminCall(t, g, key, method, path, body)
	}
	mustAdmin(t, g, clientKey, "PATCH", path, map[string]any{"name": "bumped"}, http.StatusOK)
	return adminRawHeader(t, g, method, path, body, "If-Match", "1")
}

// A budget created on one node of a PostgreSQL-backed pair is enforced by the other once it
// has synced.
func TestBudgetAPIAppliesOnTheOtherNode(t *testing.T) {
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
`)
	a, _ := node(t, cfg, mock)
	b, _ := node(t, cfg, mock)
	if status, _, body := budgetChat(t, b, clientKey, 16); status != http.StatusOK {
		t.Fatalf("before any budget node B chat = %d %v", status, body)
	}
	mustAdmin(t, a, clientKey, "POST", "/admin/v1/budgets", map[string]any{"id": "org-api", "limit_tokens": 1, "period": "daily"}, http.StatusCreated)
	waitFor(t, "node B to enforce the budget created on node A", func() bool {
		status, _, _ := budgetChat(t, b, clientKey, 16)
		return status == http.StatusTooManyRequests
	})
	st := mustAdmin(t, b, clientKey, "GET", "/admin/v1/budgets", nil, http.StatusOK)["data"].([]any)
	if len(st) != 1 || st[0].(map[string]any)["source"] != "api" {
		t.Fatalf("node B's budget list = %v, want org-api from the api", st)
	}
	mustAdmin(t, a, clientKey, "DELETE", "/admin/v1/budgets/org-api", nil, http.StatusNoContent)
	waitFor(t, "node B to stop enforcing the budget deleted on node A", func() bool {
		status, _, _ := budgetChat(t, b, clientKey, 16)
		return status == http.StatusOK
	})
}

// adminRawHeader is adminCall as the master key with one extra header.
func adminRawHeader(t *testing.T, g *gateway, method, path string, body any, header, value string) (int, map[string]any) {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, g.URL+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+clientKey)
	req.Header.Set(header, value)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", method, path, err)
	}
	return resp.StatusCode, out
}

// Changing a budget's period starts a new window: a spent total budget turned daily admits
// requests again, counting from zero.
func TestBudgetAPIPeriodChangeStartsANewWindow(t *testing.T) {
	g := start(t, defaultConfig, 10*time.Second)
	mustAdmin(t, g, clientKey, "POST", "/admin/v1/budgets", map[string]any{"id": "org-total", "limit_tokens": 100, "period": "total"}, http.StatusCreated)
	used, _ := spendUntilRefused(t, g, clientKey)
	if used == 0 || budgetSpent(t, g, "org-total") != used {
		t.Fatalf("spent %d of the total budget, status says %d", used, budgetSpent(t, g, "org-total"))
	}
	mustAdmin(t, g, clientKey, "PATCH", "/admin/v1/budgets/org-total", map[string]any{"period": "daily"}, http.StatusOK)
	if spent := budgetSpent(t, g, "org-total"); spent != 0 {
		t.Fatalf("after the period change spent = %d, want a new window at 0", spent)
	}
	if status, _, body := budgetChat(t, g, clientKey, 16); status != http.StatusOK {
		t.Fatalf("after the period change chat = %d %v, want 200", status, body)
	}
}
