package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// hookRecorder is a webhook endpoint that keeps what it was sent, by path.
type hookRecorder struct {
	mu   sync.Mutex
	json []map[string]any
	text []string
}

func newHook(t *testing.T) (*hookRecorder, string) {
	h := &hookRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		h.mu.Lock()
		defer h.mu.Unlock()
		if r.URL.Path == "/slack" {
			text, _ := body["text"].(string)
			h.text = append(h.text, text)
			return
		}
		h.json = append(h.json, body)
	}))
	t.Cleanup(srv.Close)
	return h, srv.URL
}

func (h *hookRecorder) counts() (thresholds []int, slack int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, a := range h.json {
		f, _ := a["threshold"].(float64)
		thresholds = append(thresholds, int(f))
	}
	return thresholds, len(h.text)
}

// chatAs sends a small chat completion with key and returns the status, headers and body.
func budgetChat(t *testing.T, g *gateway, key string, maxTokens int) (int, http.Header, map[string]any) {
	t.Helper()
	body := fmt.Sprintf(`{"model":"fast","max_tokens":%d,"messages":[{"role":"user","content":"hello budget"}]}`, maxTokens)
	req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("chat answered %d with non-JSON %q", resp.StatusCode, raw)
	}
	return resp.StatusCode, resp.Header, out
}

func budgetConfig(storePath, hook string) string {
	return defaultConfig + `
store:
  path: ` + storePath + `
  sync_interval: 50ms
budgets:
  - id: ml-monthly
    name: ML monthly
    scope: team
    scope_id: ml
    limit_tokens: 400
    period: monthly
    timezone: Europe/Berlin
    thresholds: [50, 100]
    webhooks:
      - url: ` + hook + `/json
      - url: ` + hook + `/slack
        format: slack
`
}

// A team's virtual key is refused with 429 budget_exceeded once its team's budget is spent;
// 50 % and 100 % alerts reach both webhooks exactly once, and a restart keeps the spend
// and sends nothing again.
func TestBudgetBlocksAtLimitAlertsOnceAndSurvivesRestart(t *testing.T) {
	hook, hookURL := newHook(t)
	cfg := budgetConfig(filepath.Join(t.TempDir(), "sluice.db"), hookURL)
	g := start(t, cfg, 10*time.Second)
	team := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "ml"}, http.StatusCreated)
	issued := mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys",
		map[string]any{"name": "ml-app", "owner_kind": "team", "owner_id": team["id"]}, http.StatusCreated)
	key := issued["key"].(string)

	var used int64
	var refusal map[string]any
	var refusedHeader http.Header
	for i := 0; i < 100 && refusal == nil; i++ {
		status, h, body := budgetChat(t, g, key, 16)
		switch status {
		case http.StatusOK:
			u := body["usage"].(map[string]any)
			used += int64(u["total_tokens"].(float64))
		case http.StatusTooManyRequests:
			refusal, refusedHeader = body["error"].(map[string]any), h
		default:
			t.Fatalf("chat %d = %d %v", i, status, body)
		}
	}
	if refusal == nil {
		t.Fatalf("100 requests of ~%d tokens never hit the 400-token budget", used)
	}
	if refusal["code"] != "budget_exceeded" || refusal["type"] != "insufficient_quota" {
		t.Fatalf("refusal = %v, want code budget_exceeded, type insufficient_quota", refusal)
	}
	msg, _ := refusal["message"].(string)
	if !strings.Contains(msg, `"ML monthly"`) || !strings.Contains(msg, "resets at") {
		t.Fatalf("refusal message %q should name the budget and its reset", msg)
	}
	if ra, err := strconv.Atoi(refusedHeader.Get("Retry-After")); err != nil || ra < 1 || ra > 32*86400 {
		t.Fatalf("Retry-After = %q, want the seconds until the month ends", refusedHeader.Get("Retry-After"))
	}
	if used > 400 {
		t.Fatalf("served %d tokens against a 400-token budget with max_tokens set", used)
	}

	waitFor(t, "50% and 100% alerts on both webhooks", func() bool {
		th, slack := hook.counts()
		return len(th) == 2 && slack == 2
	})
	th, _ := hook.counts()
	if th[0] != 50 || th[1] != 100 {
		t.Fatalf("alert thresholds = %v, want [50 100]", th)
	}
	hook.mu.Lock()
	first, slackText := hook.json[0], hook.text[1]
	hook.mu.Unlock()
	if first["budget_id"] != "ml-monthly" || first["event_id"] == "" || first["resets_at"] == nil {
		t.Fatalf("50%% alert = %v", first)
	}
	if !strings.Contains(slackText, "ML monthly") || !strings.Contains(slackText, "exhausted") {
		t.Fatalf("Slack 100%% text = %q", slackText)
	}
	events := mustAdmin(t, g, clientKey, "GET", "/admin/v1/budgets/events?budget_id=ml-monthly", nil, http.StatusOK)
	if n := len(events["data"].([]any)); n != 2 {
		t.Fatalf("budget events = %v, want 2", events["data"])
	}

	before := mustAdmin(t, g, clientKey, "GET", "/admin/v1/budgets/ml-monthly/status", nil, http.StatusOK)
	if int64(before["spent"].(float64)) != used || before["reserved"].(float64) != 0 {
		t.Fatalf("status = %v, want spent %d and nothing reserved", before, used)
	}
	g.stop(t)

	g2 := start(t, cfg, 10*time.Second)
	after := mustAdmin(t, g2, clientKey, "GET", "/admin/v1/budgets/ml-monthly/status", nil, http.StatusOK)
	if after["spent"] != before["spent"] {
		t.Fatalf("after restart spent = %v, want %v", after["spent"], before["spent"])
	}
	if status, _, body := budgetChat(t, g2, key, 16); status != http.StatusTooManyRequests {
		t.Fatalf("after restart chat = %d %v, want 429: the spend must survive", status, body)
	}
	g2.stop(t) // delivers every queued alert before returning
	if th, slack := hook.counts(); len(th) != 2 || slack != 2 {
		t.Fatalf("after restart webhooks got %v and %d Slack messages, want the 2 alerts only", th, slack)
	}
}

// Many concurrent requests with max_tokens never spend past the limit on one node, and the
// ledger's spend equals the usage the clients were told about.
func TestBudgetConcurrentRequestsNeverOverspend(t *testing.T) {
	const limit = 3000
	g := start(t, defaultConfig+`
budgets:
  - id: org
    limit_tokens: 3000
    period: daily
`, 10*time.Second)
	var mu sync.Mutex
	var used, ok, refused int64
	var wg sync.WaitGroup
	for range 24 {
		wg.Go(func() {
			for range 12 {
				status, _, body := budgetChat(t, g, clientKey, 16)
				mu.Lock()
				switch status {
				case http.StatusOK:
					ok++
					used += int64(body["usage"].(map[string]any)["total_tokens"].(float64))
				case http.StatusTooManyRequests:
					refused++
				default:
					t.Errorf("chat = %d %v", status, body)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	st := mustAdmin(t, g, clientKey, "GET", "/admin/v1/budgets/org/status", nil, http.StatusOK)
	spent := int64(st["spent"].(float64))
	if spent != used {
		t.Fatalf("budget spent %d, clients were served %d tokens", spent, used)
	}
	if spent > limit || st["reserved"].(float64) != 0 {
		t.Fatalf("spent %d (reserved %v) of %d after %d served, %d refused", spent, st["reserved"], limit, ok, refused)
	}
	if refused == 0 {
		t.Fatalf("288 requests of ~%d tokens never reached the %d-token budget", used/max(ok, 1), limit)
	}
}

// A budget that reroutes sends requests to the cheaper model once spent, and says so.
func TestBudgetReroutesWhenSpent(t *testing.T) {
	g := start(t, defaultConfig+`
  - name: cheap
    targets:
      - provider: mock
        model: gpt-4o-nano
budgets:
  - id: premium
    limit_tokens: 60
    period: total
    on_exceed: reroute
    reroute_to: cheap
`, 10*time.Second)
	var rerouted http.Header
	for i := 0; i < 20 && rerouted == nil; i++ {
		status, h, body := budgetChat(t, g, clientKey, 16)
		if status != http.StatusOK {
			t.Fatalf("chat %d = %d %v; a reroute budget must not refuse", i, status, body)
		}
		if h.Get("X-Sluice-Budget-Reroute") != "" {
			rerouted = h
		} else if h.Get("X-Sluice-Model") != "gpt-4o-mini" {
			t.Fatalf("before the budget is spent X-Sluice-Model = %q", h.Get("X-Sluice-Model"))
		}
	}
	if rerouted == nil {
		t.Fatalf("20 requests never spent the 60-token budget")
	}
	if rerouted.Get("X-Sluice-Budget-Reroute") != "premium" || rerouted.Get("X-Sluice-Model") != "gpt-4o-nano" {
		t.Fatalf("rerouted headers: budget %q model %q, want premium and gpt-4o-nano",
			rerouted.Get("X-Sluice-Budget-Reroute"), rerouted.Get("X-Sluice-Model"))
	}
}

// postChat sends body as the master key and returns the status and the whole response.
func postChat(t *testing.T, g *gateway, body string) (int, string) {
	t.Helper()
	resp, err := post(g.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// Each outcome settles once: a failed call releases its reservation; a stream cut
// mid-answer, whose usage never came, is charged its reservation (the upper bound).
func TestBudgetSettlesFailuresAndCutStreams(t *testing.T) {
	g := start(t, defaultConfig+`
  - name: solo
    max_attempts: 1
    targets:
      - provider: mock
        model: gpt-4o-mini
budgets:
  - id: org
    limit_tokens: 100000
    period: total
`, 10*time.Second)
	spent := func() (float64, float64) {
		st := mustAdmin(t, g, clientKey, "GET", "/admin/v1/budgets/org/status", nil, http.StatusOK)
		return st["spent"].(float64), st["reserved"].(float64)
	}

	failed := `{"model":"solo","max_tokens":16,"messages":[{"role":"user","content":"[[mock status=400]]"}]}`
	if status, body := postChat(t, g, failed); status != http.StatusBadRequest {
		t.Fatalf("failing chat = %d %s, want the upstream 400", status, body)
	}
	if s, r := spent(); s != 0 || r != 0 {
		t.Fatalf("after a failed call spent %v reserved %v, want 0 and 0", s, r)
	}

	cut := `{"model":"solo","stream":true,"max_tokens":16,"messages":[{"role":"user","content":"[[mock cut_after=2]]"}]}`
	status, body := postChat(t, g, cut)
	if status != http.StatusOK || strings.Contains(body, "[DONE]") {
		t.Fatalf("cut stream = %d %q, want 200 without [DONE]", status, body)
	}
	want := float64(len(cut)/2 + 16) // the reservation: body bytes / 2 + max_tokens
	waitFor(t, "the cut stream to settle", func() bool { s, _ := spent(); return s != 0 })
	if s, r := spent(); s != want || r != 0 {
		t.Fatalf("after a cut stream spent %v reserved %v, want the reservation %v and 0", s, r, want)
	}
}
