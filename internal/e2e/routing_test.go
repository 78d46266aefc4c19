package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// routingConfig declares providers that all point at the one mock; a provider's static
// x-mock-* headers make every request to it slow or failing, so routing is observable.
func routingConfig(providers map[string]string, models string) string {
	var b strings.Builder
	b.WriteString("routing:\n  retry_backoff: 10ms\n  max_retry_backoff: 2s\n  cooldown_failures: 2\n  cooldown_window: 1m\n  cooldown_duration: 1m\nproviders:\n")
	for name, headers := range providers {
		fmt.Fprintf(&b, "  %s:\n    type: openai\n    base_url: {{MOCK}}/v1\n    api_key: %s\n    timeout: {{TIMEOUT}}\n", name, mockKey)
		if headers != "" {
			fmt.Fprintf(&b, "    headers: {%s}\n", headers)
		}
	}
	b.WriteString("models:\n" + models)
	return b.String()
}

// chatVia sends one request and returns the serving provider, attempts and fallback headers.
func chatVia(t *testing.T, client openai.Client, model string, opts ...option.RequestOption) (provider, attempts, fallback string, err error) {
	t.Helper()
	var resp *http.Response
	params := userMsg("route me")
	params.Model = model
	_, err = client.Chat.Completions.New(context.Background(), params, append(opts, option.WithResponseInto(&resp))...)
	if resp == nil {
		return "", "", "", err
	}
	return resp.Header.Get("X-Sluice-Provider"), resp.Header.Get("X-Sluice-Attempts"), resp.Header.Get("X-Sluice-Fallback"), err
}

func TestRoutingWeightsAreRespected(t *testing.T) {
	g := start(t, routingConfig(map[string]string{"a": "", "b": ""}, `
  - name: split
    targets: [{provider: a, model: m, weight: 3}, {provider: b, model: m, weight: 1}]
`), time.Minute)
	client := g.client()
	const n = 800
	counts := map[string]int{}
	for range n {
		p, _, _, err := chatVia(t, client, "split")
		if err != nil {
			t.Fatal(err)
		}
		counts[p]++
	}
	// 3:1 is 75 %; with 800 requests five standard deviations are ±7.7 points.
	if share := float64(counts["a"]) / n; share < 0.673 || share > 0.827 {
		t.Errorf("provider a served %.3f of requests, want 0.75 (counts %v)", share, counts)
	}
}

func TestRoutingFallsBackOnRetryableErrors(t *testing.T) {
	for _, knob := range []string{"x-mock-status: 500", "x-mock-status: 429", "x-mock-status: 503", "x-mock-hang: 'true'"} {
		t.Run(knob, func(t *testing.T) {
			g := start(t, routingConfig(map[string]string{"bad": knob, "good": ""}, `
  - name: chain
    targets: [{provider: bad, model: m, priority: 1}, {provider: good, model: m, priority: 2}]
`), 300*time.Millisecond)
			client := g.client()
			p, attempts, fallback, err := chatVia(t, client, "chain")
			if err != nil || p != "good" || attempts != "2" || fallback != "true" {
				t.Fatalf("served by %q after %s attempts (fallback %q, err %v); want good after 2", p, attempts, fallback, err)
			}
		})
	}
}

func TestRoutingDoesNotFallBackOnClientErrors(t *testing.T) {
	g := start(t, routingConfig(map[string]string{"bad": "x-mock-status: 400", "good": ""}, `
  - name: chain
    targets: [{provider: bad, model: m, priority: 1}, {provider: good, model: m, priority: 2}]
`), time.Minute)
	client := g.client()
	_, attempts, _, err := chatVia(t, client, "chain")
	if e := apiError(t, err); e.StatusCode != 400 || attempts != "1" {
		t.Fatalf("got %d after %s attempts; a 400 is the request's fault and must not be retried", e.StatusCode, attempts)
	}
}

func TestRoutingFallbackRoutes(t *testing.T) {
	g := start(t, routingConfig(map[string]string{"bad": "x-mock-status: 500", "good": ""}, `
  - name: primary
    fallbacks: [backup]
    targets: [{provider: bad, model: m}]
  - name: backup
    targets: [{provider: good, model: m}]
`), time.Minute)
	var resp *http.Response
	client := g.client()
	params := userMsg("x")
	params.Model = "primary"
	if _, err := client.Chat.Completions.New(context.Background(), params, option.WithResponseInto(&resp)); err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("X-Sluice-Route"); got != "backup" {
		t.Errorf("X-Sluice-Route = %q, want backup", got)
	}
}

func TestRoutingStreamFallsBackOnlyBeforeFirstChunk(t *testing.T) {
	g := start(t, routingConfig(map[string]string{"bad": "x-mock-status: 503", "good": ""}, `
  - name: chain
    targets: [{provider: bad, model: m, priority: 1}, {provider: good, model: m, priority: 2}]
  - name: cut
    targets: [{provider: good, model: m, priority: 1}, {provider: bad, model: m, priority: 2}]
`), time.Minute)
	client := g.client()
	params := userMsg("x")
	params.Model = "chain"
	stream := client.Chat.Completions.NewStreaming(context.Background(), params)
	n := 0
	for stream.Next() {
		n++
	}
	if err := stream.Err(); err != nil || n < 2 {
		t.Fatalf("stream with a failing first target: %d chunks, err %v; want a fallback", n, err)
	}
	// Once chunks have reached the client, a failure is reported, never retried elsewhere.
	before := len(g.Mock.Server().Requests())
	params.Model = "cut"
	params.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage("[[mock cut_after=2]]")}
	stream = client.Chat.Completions.NewStreaming(context.Background(), params)
	for stream.Next() {
	}
	if stream.Err() == nil {
		t.Fatalf("a stream cut after its first chunks ended cleanly")
	}
	if got := len(g.Mock.Server().Requests()) - before; got != 1 {
		t.Errorf("upstream requests = %d, want 1: no fallback after the first chunk", got)
	}
}

func TestRoutingCooldownTakesFailingTargetOut(t *testing.T) {
	g := start(t, routingConfig(map[string]string{"bad": "x-mock-status: 500", "good": ""}, `
  - name: split
    targets: [{provider: bad, model: m, weight: 1000}, {provider: good, model: m, weight: 1}]
`), time.Minute)
	client := g.client()
	badHits := func() int {
		n := 0
		for _, r := range g.Mock.Server().Requests() {
			if r.Header.Get("X-Mock-Status") == "500" {
				n++
			}
		}
		return n
	}
	for range 20 {
		if p, _, _, err := chatVia(t, client, "split"); err != nil || p != "good" {
			t.Fatalf("served by %q, err %v", p, err)
		}
	}
	// cooldown_failures is 2: after two failures the heavy-weight target is skipped.
	if got := badHits(); got != 2 {
		t.Errorf("the failing target was tried %d times in 20 requests, want 2 then cooled down", got)
	}
}

func TestRoutingHonoursRetryAfter(t *testing.T) {
	g := start(t, routingConfig(map[string]string{"limited": "x-mock-status: 429, x-mock-retry-after: 1"}, `
  - name: only
    max_attempts: 2
    targets: [{provider: limited, model: m}]
`), time.Minute)
	client := g.client()
	began := time.Now()
	_, attempts, _, err := chatVia(t, client, "only")
	if e := apiError(t, err); e.StatusCode != 429 || attempts != "2" {
		t.Fatalf("got %d after %s attempts, want 429 after 2", e.StatusCode, attempts)
	}
	if waited := time.Since(began); waited < time.Second {
		t.Errorf("retried after %v, before the provider's retry-after of 1s", waited)
	}
}

func TestRoutingTotalDeadline(t *testing.T) {
	g := start(t, routingConfig(map[string]string{"slow": "x-mock-hang: 'true'"}, `
  - name: bounded
    timeout: 400ms
    max_attempts: 5
    targets: [{provider: slow, model: m}]
`), 10*time.Second)
	client := g.client()
	began := time.Now()
	_, _, _, err := chatVia(t, client, "bounded")
	if e := apiError(t, err); e.StatusCode != 504 {
		t.Fatalf("status %d, want 504", e.StatusCode)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("request took %v despite a 400ms route timeout", took)
	}
	// The same via the per-request header on a route without a timeout.
	_, _, _, err = chatVia(t, client, "slow/m", option.WithHeader("X-Sluice-Timeout", "300ms"))
	if e := apiError(t, err); e.StatusCode != 504 {
		t.Fatalf("x-sluice-timeout: status %d, want 504", e.StatusCode)
	}
}

func TestRoutingLeastLatencyPrefersTheFasterTarget(t *testing.T) {
	g := start(t, routingConfig(map[string]string{"slow": "x-mock-latency: 150ms", "fast": ""}, `
  - name: quick
    strategy: least_latency
    targets: [{provider: slow, model: m}, {provider: fast, model: m}]
`), time.Minute)
	client := g.client()
	counts := map[string]int{}
	for range 30 {
		p, _, _, err := chatVia(t, client, "quick")
		if err != nil {
			t.Fatal(err)
		}
		counts[p]++
	}
	// Each target is measured once; from then on the faster one wins every time.
	if counts["slow"] > 2 {
		t.Errorf("least_latency sent %d of 30 requests to the 150ms target (counts %v)", counts["slow"], counts)
	}
}

func TestRoutingRoundRobinAlternates(t *testing.T) {
	g := start(t, routingConfig(map[string]string{"a": "", "b": ""}, `
  - name: rr
    strategy: round_robin
    targets: [{provider: a, model: m}, {provider: b, model: m}]
`), time.Minute)
	client := g.client()
	var seq []string
	for range 6 {
		p, _, _, err := chatVia(t, client, "rr")
		if err != nil {
			t.Fatal(err)
		}
		seq = append(seq, p)
	}
	for i := 1; i < len(seq); i++ {
		if seq[i] == seq[i-1] {
			t.Fatalf("round robin served %v", seq)
		}
	}
}

func TestModelHeaderSwitchesModel(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	client := g.client()
	var resp *http.Response
	params := userMsg("x")
	params.Model = "fast"
	if _, err := client.Chat.Completions.New(context.Background(), params,
		option.WithHeader("X-Sluice-Model", "mock/other-model"), option.WithResponseInto(&resp)); err != nil {
		t.Fatal(err)
	}
	if got := resp.Header.Get("X-Sluice-Model"); got != "other-model" {
		t.Errorf("X-Sluice-Model response header = %q, want other-model", got)
	}
}

func TestRoutingRules(t *testing.T) {
	g := start(t, routingConfig(map[string]string{"cheap": "", "premium": "", "long": ""}, `
  - name: chat
    targets: [{provider: cheap, model: m}]
  - name: best
    targets: [{provider: premium, model: m}]
rules:
  - name: priority-traffic
    match: {models: [chat], headers: {x-priority: high}}
    model: best
  - name: long-prompts
    match: {min_prompt_tokens: 1000}
    model: long/big-context
`), time.Minute)
	client := g.client()
	for _, tc := range []struct {
		name, provider, rule string
		opts                 []option.RequestOption
		prompt               string
	}{
		{"no rule", "cheap", "", nil, "short"},
		{"header rule", "premium", "priority-traffic", []option.RequestOption{option.WithHeader("X-Priority", "high")}, "short"},
		{"other header value", "cheap", "", []option.RequestOption{option.WithHeader("X-Priority", "low")}, "short"},
		{"prompt size rule", "long", "long-prompts", nil, strings.Repeat("lorem ipsum ", 400)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var resp *http.Response
			params := userMsg(tc.prompt)
			params.Model = "chat"
			if _, err := client.Chat.Completions.New(context.Background(), params, append(tc.opts, option.WithResponseInto(&resp))...); err != nil {
				t.Fatal(err)
			}
			if p, r := resp.Header.Get("X-Sluice-Provider"), resp.Header.Get("X-Sluice-Rule"); p != tc.provider || r != tc.rule {
				t.Errorf("served by %q under rule %q, want %q under %q", p, r, tc.provider, tc.rule)
			}
		})
	}
}

func TestRoutingTTFTTimeoutFallsBack(t *testing.T) {
	g := start(t, routingConfig(map[string]string{"sluggish": "x-mock-ttft: 2s", "good": ""}, `
  - name: chain
    ttft_timeout: 300ms
    targets: [{provider: sluggish, model: m, priority: 1}, {provider: good, model: m, priority: 2}]
`), time.Minute)
	client := g.client()
	params := userMsg("x")
	params.Model = "chain"
	var resp *http.Response
	stream := client.Chat.Completions.NewStreaming(context.Background(), params, option.WithResponseInto(&resp))
	n := 0
	for stream.Next() {
		n++
	}
	if err := stream.Err(); err != nil || n == 0 {
		t.Fatalf("stream: %d chunks, %v", n, err)
	}
	if got := resp.Header.Get("X-Sluice-Provider"); got != "good" {
		t.Errorf("served by %q, want good after the first target missed its TTFT", got)
	}
}

func TestRoutingTimeoutCoversTheWholeStream(t *testing.T) {
	g := start(t, routingConfig(map[string]string{"p": ""}, `
  - name: bounded
    timeout: 2s
    targets: [{provider: p, model: m}]
`), time.Minute)
	client := g.client()
	params := userMsg("[[mock tokens=5 token_delay=100ms]]")
	params.Model = "bounded"
	stream := client.Chat.Completions.NewStreaming(context.Background(), params)
	n := 0
	for stream.Next() {
		n++
	}
	// A 2s route deadline must not end a 0.5s stream when the first chunk has been relayed.
	if err := stream.Err(); err != nil || n < 6 {
		t.Fatalf("stream under a route timeout: %d chunks, err %v", n, err)
	}
	params.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage("[[mock tokens=50 token_delay=100ms]]")}
	stream = client.Chat.Completions.NewStreaming(context.Background(), params)
	for stream.Next() {
	}
	if stream.Err() == nil {
		t.Fatalf("a 5s stream outlived its route's 2s deadline")
	}
}

func TestRoutingRulesByTeam(t *testing.T) {
	g := start(t, routingConfig(map[string]string{"cheap": "", "premium": ""}, `
  - name: chat
    targets: [{provider: cheap, model: m}]
rules:
  - name: research-gets-premium
    match: {teams: [research]}
    model: premium/m
  - name: tagged-keys
    match: {key_tags: {tier: gold}}
    model: premium/m
`), time.Minute)
	research := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "research"}, 201)
	sales := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": "sales"}, 201)
	keyFor := func(team map[string]any, tags map[string]string) string {
		out := mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys", map[string]any{"owner_kind": "team", "owner_id": team["id"], "tags": tags}, 201)
		return out["key"].(string)
	}
	for _, tc := range []struct {
		name, key, provider string
	}{
		{"research team", keyFor(research, nil), "premium"},
		{"sales team", keyFor(sales, nil), "cheap"},
		{"gold-tagged sales key", keyFor(sales, map[string]string{"tier": "gold"}), "premium"},
	} {
		p, _, _, err := chatVia(t, keyClient(g, tc.key), "chat")
		if err != nil || p != tc.provider {
			t.Errorf("%s: served by %q (%v), want %q", tc.name, p, err, tc.provider)
		}
	}
}

func TestStalledStreamEndsWithErrorEvent(t *testing.T) {
	g := start(t, routingConfig(map[string]string{"p": ""}, `
  - name: watched
    idle_timeout: 300ms
    targets: [{provider: p, model: m}]
`), time.Minute)
	body := `{"model":"watched","stream":true,"messages":[{"role":"user","content":"[[mock tokens=5 token_delay=2s]]"}]}`
	began := time.Now()
	if _, e := failedStream(t, g, body, 1); e.Code != "upstream_timeout" || !strings.Contains(e.Message, "mid-stream") {
		t.Fatalf("error event %+v, want an upstream_timeout for the stall", e)
	}
	if took := time.Since(began); took > 5*time.Second {
		t.Errorf("a stalled stream took %v to end with a 300ms idle timeout", took)
	}
	waitFor(t, "the stalled upstream request to be cancelled", func() bool { return g.Mock.Server().Stats().Canceled >= 1 })
}
