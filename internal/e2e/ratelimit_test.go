package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// rlResponse is what a rate-limit test reads from one chat request.
type rlResponse struct {
	status  int
	header  http.Header
	code    string
	usage   int64 // total tokens reported
	message string
}

// chatAs sends one chat completion with key; extra is spliced into the JSON body.
func chatAs(t *testing.T, g *gateway, key, model, text, extra string) rlResponse {
	t.Helper()
	body := fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":%q}]%s}`, model, text, extra)
	req, err := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /v1/chat/completions: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := rlResponse{status: resp.StatusCode, header: resp.Header}
	var parsed struct {
		Usage struct {
			TotalTokens int64 `json:"total_tokens"`
		} `json:"usage"`
		Error *struct {
			Message string  `json:"message"`
			Type    string  `json:"type"`
			Code    *string `json:"code"`
		} `json:"error"`
	}
	if err := json.Unmarshal(raw, &parsed); err != nil {
		t.Fatalf("body is not JSON: %s", raw)
	}
	out.usage = parsed.Usage.TotalTokens
	if e := parsed.Error; e != nil {
		if e.Code != nil {
			out.code = *e.Code
		}
		out.message = e.Message
		if e.Type == "" || e.Message == "" {
			t.Fatalf("error body %s lacks type or message", raw)
		}
	}
	return out
}

// newKey issues a key owned by a new team of that name, with the given limits.
func newKey(t *testing.T, g *gateway, team string, limits map[string]any) string {
	t.Helper()
	tm := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": team}, 201)
	body := map[string]any{"owner_kind": "team", "owner_id": tm["id"]}
	for k, v := range limits {
		body[k] = v
	}
	return mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys", body, 201)["key"].(string)
}

func TestKeyRPMRefusesTheRequestAfterTheLimitWithHeaders(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	key := newKey(t, g, "ml", map[string]any{"rpm": 3})
	for i := range 3 {
		r := chatAs(t, g, key, "fast", "hi", "")
		if r.status != 200 {
			t.Fatalf("request %d of 3 at 3 rpm: status %d (%s), want 200", i+1, r.status, r.message)
		}
		h := r.header
		if h.Get("X-Ratelimit-Limit-Requests") != "3" || h.Get("X-Ratelimit-Remaining-Requests") != strconv.Itoa(2-i) {
			t.Fatalf("request %d: limit %q remaining %q, want 3 and %d", i+1,
				h.Get("X-Ratelimit-Limit-Requests"), h.Get("X-Ratelimit-Remaining-Requests"), 2-i)
		}
		// Each request takes 20s of the minute to drip back; the reset is when all have.
		if d, err := time.ParseDuration(h.Get("X-Ratelimit-Reset-Requests")); err != nil || d < time.Duration(i)*20*time.Second || d > time.Duration(i+1)*20*time.Second {
			t.Fatalf("request %d: x-ratelimit-reset-requests %q, want about %ds", i+1, h.Get("X-Ratelimit-Reset-Requests"), (i+1)*20)
		}
		if h.Get("X-Ratelimit-Limit-Tokens") != "" {
			t.Fatalf("request %d: x-ratelimit-limit-tokens %q without a token limit", i+1, h.Get("X-Ratelimit-Limit-Tokens"))
		}
	}
	received := g.Mock.Server().Stats().Received
	r := chatAs(t, g, key, "fast", "hi", "")
	if r.status != http.StatusTooManyRequests || r.code != "rate_limited" {
		t.Fatalf("4th request at 3 rpm: %d %q, want 429 rate_limited", r.status, r.code)
	}
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 19 || ra > 20 {
		t.Fatalf("4th request: retry-after %q, want 20 (one request drips back in 20s)", r.header.Get("Retry-After"))
	}
	if r.header.Get("X-Ratelimit-Remaining-Requests") != "0" || r.header.Get("X-Ratelimit-Limit-Requests") != "3" {
		t.Fatalf("429 headers: limit %q remaining %q, want 3 and 0", r.header.Get("X-Ratelimit-Limit-Requests"), r.header.Get("X-Ratelimit-Remaining-Requests"))
	}
	if got := g.Mock.Server().Stats().Received; got != received {
		t.Fatalf("the refused request reached the provider (%d requests, want %d)", got, received)
	}
	// Another key is untouched by this one's limit.
	other := newKey(t, g, "other", map[string]any{"rpm": 3})
	if r := chatAs(t, g, other, "fast", "hi", ""); r.status != 200 {
		t.Fatalf("another key after the first was refused: %d, want 200", r.status)
	}
}

func TestKeyTPMChargesMaxTokensThenCorrectsToUsage(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	key := newKey(t, g, "ml", map[string]any{"tpm": 100})
	const maxTokens = 60
	extra := fmt.Sprintf(`,"max_tokens":%d`, maxTokens)
	first := chatAs(t, g, key, "fast", "hi", extra)
	if first.status != 200 || first.usage == 0 {
		t.Fatalf("first request: status %d usage %d, want 200 with usage", first.status, first.usage)
	}
	estimate := 100 - mustInt(t, first.header.Get("X-Ratelimit-Remaining-Tokens"))
	if estimate < maxTokens || estimate > maxTokens+5 {
		t.Fatalf("first request charged %d tokens up front, want max_tokens %d plus a small prompt estimate", estimate, maxTokens)
	}
	if first.usage >= int64(estimate) {
		t.Fatalf("the mock used %d tokens, not fewer than the estimate %d: the test cannot tell a correction", first.usage, estimate)
	}
	// Without the correction to actual usage, 100-estimate tokens left would refuse this one.
	second := chatAs(t, g, key, "fast", "hi", extra)
	if second.status != 200 {
		t.Fatalf("second request: %d %s, want 200 once the first was corrected to its usage of %d", second.status, second.message, first.usage)
	}
	want := 100 - first.usage - int64(estimate)
	if got := int64(mustInt(t, second.header.Get("X-Ratelimit-Remaining-Tokens"))); got < want || got > want+1 {
		t.Fatalf("second request: %d tokens remaining, want %d (100 - usage %d - estimate %d, +1 drip)", got, want, first.usage, estimate)
	}
	third := chatAs(t, g, key, "fast", "hi", extra)
	if third.status != http.StatusTooManyRequests || third.code != "rate_limited" || !strings.Contains(third.message, "tokens per minute") {
		t.Fatalf("third request: %d %q %q, want 429 rate_limited on tokens per minute", third.status, third.code, third.message)
	}
	if third.header.Get("X-Ratelimit-Limit-Tokens") != "100" || third.header.Get("Retry-After") == "" {
		t.Fatalf("third request: x-ratelimit-limit-tokens %q retry-after %q, want 100 and a retry-after",
			third.header.Get("X-Ratelimit-Limit-Tokens"), third.header.Get("Retry-After"))
	}
}

func mustInt(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("%q is not an integer", s)
	}
	return n
}

func TestNoisyTeamDoesNotAffectAnotherTeam(t *testing.T) {
	g := start(t, defaultConfig+`
rate_limits:
  teams:
    noisy: {rpm: 2}
    quiet: {rpm: 2}
`, time.Minute)
	noisy := newKey(t, g, "noisy", nil)
	quiet := newKey(t, g, "quiet", nil)
	for i := range 2 {
		if r := chatAs(t, g, noisy, "fast", "hi", ""); r.status != 200 {
			t.Fatalf("noisy request %d: %d, want 200", i+1, r.status)
		}
	}
	if r := chatAs(t, g, noisy, "fast", "hi", ""); r.status != 429 || !strings.Contains(r.message, "team") {
		t.Fatalf("noisy request 3: %d %q, want 429 naming the team limit", r.status, r.message)
	}
	for i := range 2 {
		r := chatAs(t, g, quiet, "fast", "hi", "")
		if r.status != 200 {
			t.Fatalf("quiet request %d after the noisy team was limited: %d, want 200", i+1, r.status)
		}
		if r.header.Get("X-Ratelimit-Remaining-Requests") != strconv.Itoa(1-i) {
			t.Fatalf("quiet request %d: remaining %q, want %d (its own team's count)", i+1, r.header.Get("X-Ratelimit-Remaining-Requests"), 1-i)
		}
	}
}

func TestConcurrencySlotFreedAfterStreamEndAndClientDisconnect(t *testing.T) {
	g := start(t, defaultConfig+`
rate_limits:
  default: {concurrency: 1}
`, time.Minute)
	key := newKey(t, g, "ml", nil)
	stream := func(text string) *http.Response {
		body := fmt.Sprintf(`{"model":"fast","stream":true,"messages":[{"role":"user","content":%q}]}`, text)
		req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	// A slow stream holds the only slot: a second request is refused while it runs.
	slow := stream("[[mock tokens=50 token_delay=20ms]] hi")
	if slow.StatusCode != 200 {
		t.Fatalf("stream: %d, want 200", slow.StatusCode)
	}
	if r := chatAs(t, g, key, "fast", "hi", ""); r.status != 429 || !strings.Contains(r.message, "concurrent") {
		t.Fatalf("request during the stream: %d %q, want 429 on concurrent requests", r.status, r.message)
	}
	// The client leaves mid-stream: the slot must come back.
	_, _ = bufio.NewReader(slow.Body).ReadString('\n')
	slow.Body.Close()
	waitFor(t, "the slot of a disconnected stream to be freed", func() bool {
		return chatAs(t, g, key, "fast", "hi", "").status == 200
	})
	// A stream read to the end frees it too.
	done := stream("hi")
	_, _ = io.Copy(io.Discard, done.Body)
	done.Body.Close()
	waitFor(t, "the slot of a finished stream to be freed", func() bool {
		return chatAs(t, g, key, "fast", "hi", "").status == 200
	})
}

// twoQuotaTargets is one model served by two provider accounts on the mock, each with its
// own upstream model (and so its own mock quota).
const twoQuotaTargets = `
server:
  shutdown_timeout: 10s
providers:
  east: {type: openai, base_url: "{{MOCK}}/v1", api_key: ` + mockKey + `, timeout: {{TIMEOUT}}}
  west: {type: openai, base_url: "{{MOCK}}/v1", api_key: ` + mockKey + `, timeout: {{TIMEOUT}}}
models:
  - name: pool
    targets:
      - {provider: east, model: model-east}
      - {provider: west, model: model-west}
routing:
  quota_wait: 200ms
`

func TestProviderQuotaHeadersStopTrafficBeforeA429(t *testing.T) {
	g := start(t, twoQuotaTargets, time.Minute)
	served := map[string]int{}
	// Each target allows 3 requests a minute and says so in its headers, counting down.
	for i := range 6 {
		r := chatAs(t, g, clientKey, "pool", "[[mock ratelimit=3]] hi", "")
		if r.status != 200 {
			t.Fatalf("request %d of 6 with 3 per target: %d %q, want 200", i+1, r.status, r.message)
		}
		served[r.header.Get("X-Sluice-Provider")]++
	}
	if served["east"] != 3 || served["west"] != 3 {
		t.Fatalf("served %v, want 3 each: a target must be left alone once it reports 0 remaining", served)
	}
	if n := g.Mock.Server().Stats().RateLimited; n != 0 {
		t.Fatalf("the mock answered %d requests with 429, want 0: Sluice sent to an exhausted target", n)
	}
	received := g.Mock.Server().Stats().Received
	r := chatAs(t, g, clientKey, "pool", "[[mock ratelimit=3]] hi", "")
	if r.status != 429 || r.code != "upstream_quota_exhausted" {
		t.Fatalf("7th request with both quotas used: %d %q, want 429 upstream_quota_exhausted", r.status, r.code)
	}
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 60 {
		t.Fatalf("7th request: retry-after %q, want the providers' reset (within a minute)", r.header.Get("Retry-After"))
	}
	if got := g.Mock.Server().Stats().Received; got != received {
		t.Fatalf("the 7th request reached the mock (%d requests, want %d)", got, received)
	}
}
