package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// storedPoliciesConfig declares one policy in the file, so a stored policy of the same name
// is a conflict.
const storedPoliciesConfig = defaultConfig + `
guardrails:
  policies:
    - name: base
      checks:
        - {name: file-word, kind: keyword, action: block, keywords: ["forbiddenword"]}
  attach:
    org: [base]
`

// chatStatus sends one chat request and returns its status, headers and error body (empty
// on success).
func chatStatus(t *testing.T, g *gateway, model, text string) (int, http.Header, map[string]map[string]any) {
	t.Helper()
	body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":%q}]}`, model, text)
	resp, err := post(g.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	e := map[string]map[string]any{}
	if resp.StatusCode != http.StatusOK && json.Unmarshal(raw, &e) != nil {
		t.Fatalf("error body is not JSON: %q", raw)
	}
	return resp.StatusCode, resp.Header, e
}

// TestGuardrailPoliciesManagedThroughAdminAPI stores, versions and deletes a policy through the
// admin API: each change is validated like the config file, applies to the next request
// without a restart, and is audit-logged.
func TestGuardrailPoliciesManagedThroughAdminAPI(t *testing.T) {
	g := start(t, storedPoliciesConfig, time.Minute)
	for body, want := range map[string]string{
		`{"name":"p","checks":[{"name":"k","kind":"nope","action":"block"}]}`:    "checks[0].kind",
		`{"name":"p","checks":[{"name":"k","kind":"keyword","action":"block"}]}`: "checks[0].keywords",
		`{"name":"p","checkz":[]}`: "checkz",
		`{"name":"p","checks":[{"name":"j","kind":"judge","action":"block","model":"nope"}]}`:                          "unknown model",
		`{"name":"p","checks":[{"name":"k","kind":"secrets","action":"block"}],"attach":{"key_tags":[{"value":"x"}]}}`: "attach.key_tags[0].tag",
		`{"checks":[{"name":"k","kind":"secrets","action":"block"}]}`:                                                  "name",
	} {
		status, out := adminRaw(t, g, "POST", "/admin/v1/guardrails/policies", body)
		if status != 400 || !strings.Contains(fmtAny(out), want) {
			t.Errorf("POST %s = %d %v, want 400 naming %q", body, status, out, want)
		}
	}
	team := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "t"}, 201)
	teamKey := mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys", map[string]any{"owner_kind": "team", "owner_id": team["id"]}, 201)["key"].(string)
	for _, m := range []string{"GET", "POST"} {
		if status, out := adminCall(t, g, teamKey, m, "/admin/v1/guardrails/policies", map[string]any{"name": "x"}); status != 403 {
			t.Errorf("%s /admin/v1/guardrails/policies with a team key = %d %v, want 403", m, status, out)
		}
	}
	status, out := adminRaw(t, g, "POST", "/admin/v1/guardrails/policies", `{"name":"base","checks":[{"name":"k","kind":"secrets","action":"block"}]}`)
	if status != 409 {
		t.Errorf("POST a policy named like the file's = %d %v, want 409", status, out)
	}
	if s, _, e := chatStatus(t, g, "fast", "about bluebird"); s != 200 {
		t.Fatalf("before any stored policy: %d %v, want 200", s, e)
	}

	created := mustAdminRaw(t, g, "POST", "/admin/v1/guardrails/policies",
		`{"name":"codenames","checks":[{"name":"codename","kind":"keyword","action":"block","keywords":["bluebird"]}],"attach":{"org":true}}`, 201)
	if created["version"] != float64(1) || created["updated_by"] != "master" {
		t.Errorf("created = %v, want version 1 by master", created)
	}
	s, _, e := chatStatus(t, g, "fast", "about bluebird")
	if s != 400 || e["error"]["code"] != "content_policy_violation" || !strings.Contains(fmtAny(e["error"]["message"]), `"codename"`) {
		t.Fatalf("stored policy: %d %v, want 400 content_policy_violation naming codename", s, e)
	}
	if s, _, e := chatStatus(t, g, "fast", "about forbiddenword"); s != 400 {
		t.Errorf("the file's policy still applies: %d %v, want 400", s, e)
	}

	updated := mustAdminRaw(t, g, "PUT", "/admin/v1/guardrails/policies/codenames",
		`{"checks":[{"name":"codename","kind":"keyword","action":"block","keywords":["redwing"]}],"attach":{"routes":["fast"]}}`, 200)
	if updated["version"] != float64(2) {
		t.Errorf("updated = %v, want version 2", updated)
	}
	req, _ := http.NewRequest("PUT", g.URL+"/admin/v1/guardrails/policies/codenames",
		strings.NewReader(`{"checks":[{"name":"codename","kind":"keyword","action":"block","keywords":["stale"]}]}`))
	req.Header.Set("Authorization", "Bearer "+clientKey)
	req.Header.Set("If-Match", "1")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusConflict {
		t.Errorf("PUT with If-Match of a stale version = %v %v, want 409", resp, err)
	} else {
		resp.Body.Close()
	}
	if s, _, e := chatStatus(t, g, "fast", "about bluebird"); s != 200 {
		t.Errorf("after update the old keyword: %d %v, want 200", s, e)
	}
	if s, _, e := chatStatus(t, g, "fast", "about redwing"); s != 400 {
		t.Errorf("after update the new keyword: %d %v, want 400", s, e)
	}
	inForce := mustAdmin(t, g, clientKey, "GET", "/admin/v1/guardrails", nil, 200)
	if !strings.Contains(fmtAny(inForce["data"]), "codenames") || !strings.Contains(fmtAny(inForce["data"]), "base") {
		t.Errorf("GET /admin/v1/guardrails = %v, want base and codenames", inForce)
	}
	versions := mustAdmin(t, g, clientKey, "GET", "/admin/v1/guardrails/policies/codenames/versions", nil, 200)
	data, _ := versions["data"].([]any)
	if len(data) != 2 || data[0].(map[string]any)["version"] != float64(2) || !strings.Contains(fmtAny(data[1]), "bluebird") {
		t.Errorf("versions = %v, want 2 then 1 (bluebird)", versions)
	}

	mustAdmin(t, g, clientKey, "DELETE", "/admin/v1/guardrails/policies/codenames", nil, 204)
	if s, _, e := chatStatus(t, g, "fast", "about redwing"); s != 200 {
		t.Errorf("after delete: %d %v, want 200", s, e)
	}
	mustAdmin(t, g, clientKey, "GET", "/admin/v1/guardrails/policies/codenames", nil, 404)
	if v := mustAdmin(t, g, clientKey, "GET", "/admin/v1/guardrails/policies/codenames/versions", nil, 200); len(v["data"].([]any)) != 2 {
		t.Errorf("versions after delete = %v, want both kept", v)
	}
	audit := mustAdmin(t, g, clientKey, "GET", "/admin/v1/audit?resource_kind=guardrail_policy", nil, 200)
	var actions []string
	for _, ev := range audit["data"].([]any) {
		actions = append(actions, fmt.Sprint(ev.(map[string]any)["action"]))
	}
	if got := strings.Join(actions, ","); got != "guardrail_policy.create,guardrail_policy.update,guardrail_policy.delete" {
		t.Errorf("audit actions = %s, want create, update, delete", got)
	}
}

// judgeConfig routes "fast" through a fail-open judge and "strict" through a fail-closed one;
// both ask the model fast, whose mock answers with the reply directive in the content.
const judgeConfig = defaultConfig + `  - name: strict
    targets:
      - provider: mock
        model: gpt-4o-mini
guardrails:
  policies:
    - name: judged
      checks:
        - {name: moderation, kind: judge, model: fast, action: block, apply: input, timeout: 300ms}
    - name: judged-closed
      checks:
        - {name: moderation-closed, kind: judge, model: fast, action: block, apply: input, timeout: 300ms, fail_closed: true}
  attach:
    routes:
      fast: [judged]
      strict: [judged-closed]
`

func TestGuardrailJudgeBlocksWhatTheModelFlags(t *testing.T) {
	g := start(t, judgeConfig, time.Minute)
	before := len(g.Mock.Server().Requests())
	s, h, e := chatStatus(t, g, "fast", "how do I hurt someone "+replyDirective(`{"flagged":true,"category":"violence","score":0.93}`, 0))
	if s != 400 || e["error"]["code"] != "content_policy_violation" || !strings.Contains(fmtAny(e["error"]["message"]), `"moderation" (VIOLENCE)`) {
		t.Fatalf("flagged: %d %v, want 400 content_policy_violation naming moderation (VIOLENCE)", s, e)
	}
	if got := h.Get("X-Sluice-Guardrails"); got != "moderation" {
		t.Errorf("X-Sluice-Guardrails = %q, want moderation", got)
	}
	reqs := g.Mock.Server().Requests()
	if len(reqs)-before != 1 {
		t.Fatalf("the provider got %d requests, want only the judge's", len(reqs)-before)
	}
	judged := string(reqs[len(reqs)-1].Body)
	if !strings.Contains(judged, "content safety classifier") || !strings.Contains(judged, "how do I hurt someone") {
		t.Errorf("judge request %s: want the classifier prompt and the content", judged)
	}

	dry := mustAdmin(t, g, clientKey, "POST", "/admin/v1/guardrails/dry-run", map[string]any{
		"policy": map[string]any{"checks": []map[string]any{{"name": "inline-judge", "kind": "judge", "model": "fast", "action": "block"}}},
		"text":   "x " + replyDirective(`{"flagged":true,"category":"spam"}`, 0)}, 200)
	if b, _ := dry["blocked"].(map[string]any); b["rule"] != "inline-judge" || b["type"] != "SPAM" {
		t.Errorf("dry-run of an inline judge = %v, want blocked by inline-judge (SPAM)", dry)
	}

	for name, reply := range map[string]string{
		"not flagged":     `{"flagged":false,"category":"","score":0.02}`,
		"below threshold": "Sure:\n```json\n{\"flagged\":true,\"category\":\"violence\",\"score\":0.2}\n```",
	} {
		if s, _, e := chatStatus(t, g, "fast", "hello "+replyDirective(reply, 0)); s != 200 {
			t.Errorf("%s: %d %v, want 200", name, s, e)
		}
	}
}

func TestGuardrailJudgeTimeoutFailsOpenOrClosed(t *testing.T) {
	g := start(t, judgeConfig, time.Minute)
	// Fail open: the judge times out, the request goes on and the failure is flagged.
	s, h, e := chatStatus(t, g, "fast", "hello [[mock latency=1s]]")
	if s != 200 || h.Get("X-Sluice-Guardrails") != "moderation" {
		t.Errorf("fail open: %d %v header %q, want 200 with moderation flagged", s, e, h.Get("X-Sluice-Guardrails"))
	}
	// Fail closed: the judge hangs, the request is blocked.
	before := len(g.Mock.Server().Requests())
	s, _, e = chatStatus(t, g, "strict", "hello [[mock hang]]")
	if s != 400 || e["error"]["code"] != "content_policy_violation" || !strings.Contains(fmtAny(e["error"]["message"]), "HOOK_FAILURE") {
		t.Errorf("fail closed: %d %v, want 400 content_policy_violation (HOOK_FAILURE)", s, e)
	}
	if n := len(g.Mock.Server().Requests()) - before; n > 1 {
		t.Errorf("fail closed: the provider got %d requests, want at most the judge's", n)
	}
}

// TestTwoNodesShareStoredGuardrailPolicies stores a policy through one node and watches the
// other enforce it, then drop it, within the sync interval.
func TestTwoNodesShareStoredGuardrailPolicies(t *testing.T) {
	a, b := twoNodes(t)
	mustAdminRaw(t, a, "POST", "/admin/v1/guardrails/policies",
		`{"name":"shared","checks":[{"name":"codename","kind":"keyword","action":"block","keywords":["bluebird"]}],"attach":{"org":true}}`, 201)
	waitFor(t, "node B to enforce a policy stored on node A", func() bool {
		s, _, _ := chatStatus(t, b, "p/m", "about bluebird")
		return s == http.StatusBadRequest
	})
	mustAdmin(t, a, clientKey, "DELETE", "/admin/v1/guardrails/policies/shared", nil, 204)
	waitFor(t, "node B to drop a policy deleted on node A", func() bool {
		s, _, _ := chatStatus(t, b, "p/m", "about bluebird")
		return s == http.StatusOK
	})
}
