package e2e

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// surfaces are the chat-shaped API surfaces, each with a request body carrying text.
var surfaces = []struct {
	name, path string
	body       func(text string) string
}{
	{"chat completions", "/v1/chat/completions", func(s string) string {
		return `{"model":"fast","messages":[{"role":"user","content":"` + s + `"}]}`
	}},
	{"anthropic messages", "/v1/messages", func(s string) string {
		return `{"model":"fast","max_tokens":64,"messages":[{"role":"user","content":"` + s + `"}]}`
	}},
	{"responses", "/v1/responses", func(s string) string { return `{"model":"fast","input":"` + s + `"}` }},
	{"gemini", "/v1beta/models/fast:generateContent", func(s string) string {
		return `{"contents":[{"role":"user","parts":[{"text":"` + s + `"}]}]}`
	}},
}

func postStatus(t *testing.T, url, body string) (int, http.Header, string) {
	t.Helper()
	resp, err := post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(raw)
}

// TestEverySurfaceEnforcesPolicy: guardrails, rate limits and budgets apply to every API
// surface, not only /v1/chat/completions — a client cannot go around a policy by speaking
// another provider's API to Sluice.
func TestEverySurfaceEnforcesPolicy(t *testing.T) {
	guarded := start(t, guardrailsConfig, time.Minute)
	for _, s := range surfaces {
		t.Run("guardrails/"+s.name, func(t *testing.T) {
			before := len(guarded.Mock.Server().Requests())
			status, h, body := postStatus(t, guarded.URL+s.path, s.body("deploy with AKIAIOSFODNN7EXAMPLE please"))
			if status != http.StatusBadRequest || h.Get("X-Sluice-Guardrails") != "no-secrets" || strings.Contains(body, "AKIA") {
				t.Errorf("status %d, guardrails header %q, body %s: want 400 from rule no-secrets without the secret",
					status, h.Get("X-Sluice-Guardrails"), body)
			}
			if after := len(guarded.Mock.Server().Requests()); after != before {
				t.Errorf("the provider received %d requests; a blocked request must not reach it", after-before)
			}
		})
	}
	for _, s := range surfaces {
		t.Run("rate limits/"+s.name, func(t *testing.T) {
			g := start(t, defaultConfig+"\nrate_limits:\n  default: {rpm: 1}\n", time.Minute)
			if status, _, body := postStatus(t, g.URL+s.path, s.body("hello")); status != http.StatusOK {
				t.Fatalf("first request: status %d %s", status, body)
			}
			status, h, body := postStatus(t, g.URL+s.path, s.body("hello again"))
			if status != http.StatusTooManyRequests || h.Get("Retry-After") == "" || h.Get("X-Ratelimit-Limit-Requests") != "1" {
				t.Errorf("second request: status %d, retry-after %q, limit %q, body %s: want 429 with the limit's headers",
					status, h.Get("Retry-After"), h.Get("X-Ratelimit-Limit-Requests"), body)
			}
		})
		t.Run("budgets/"+s.name, func(t *testing.T) {
			g := start(t, defaultConfig+"\nbudgets:\n  - {id: tiny, scope: org, limit_tokens: 10, period: daily}\n", time.Minute)
			before := len(g.Mock.Server().Requests())
			status, _, body := postStatus(t, g.URL+s.path, s.body("hello"))
			if status != http.StatusTooManyRequests || !strings.Contains(body, "tiny") {
				t.Errorf("status %d %s: want 429 naming budget tiny", status, body)
			}
			if after := len(g.Mock.Server().Requests()); after != before {
				t.Errorf("the provider received %d requests past an exhausted budget", after-before)
			}
		})
	}
}
