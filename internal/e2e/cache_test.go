package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// cacheConfig is the default gateway with the in-memory response cache.
const cacheConfig = defaultConfig + `
cache:
  enabled: true
  ttl: 10m
  max_ttl: 1h
`

// upstreamCalls counts the requests the mock received on a path ending in suffix: how a test
// tells whether an answer came from the cache or from the provider.
func upstreamCalls(g *gateway, suffix string) int {
	n := 0
	for _, r := range g.Mock.Server().Requests() {
		if strings.HasSuffix(r.Path, suffix) {
			n++
		}
	}
	return n
}

// cachedChat sends params and returns the answer's content and the x-sluice-cache header.
func cachedChat(t *testing.T, client openai.Client, params openai.ChatCompletionNewParams, opts ...option.RequestOption) (string, http.Header) {
	t.Helper()
	var httpResp *http.Response
	resp, err := client.Chat.Completions.New(context.Background(), params, append(opts, option.WithResponseInto(&httpResp))...)
	if err != nil {
		t.Fatalf("chat %q: %v", params.Messages[0].OfUser.Content.OfString.Value, err)
	}
	return resp.Choices[0].Message.Content, httpResp.Header
}

func TestCacheHitMissAndControlHeaders(t *testing.T) {
	db := filepath.Join(t.TempDir(), "logs.db")
	g := start(t, cacheConfig+"\nstore:\n  path: "+db+"\n", time.Minute)
	client := g.client()
	const chatPath = "/chat/completions"

	first, h := cachedChat(t, client, userMsg("cache me"))
	if got := h.Get("X-Sluice-Cache"); got != "miss" {
		t.Errorf("first request: x-sluice-cache = %q, want miss", got)
	}
	cost := h.Get("X-Sluice-Cost-Usd")
	again, h := cachedChat(t, client, userMsg("cache me"))
	if got := h.Get("X-Sluice-Cache"); got != "hit" {
		t.Errorf("same request again: x-sluice-cache = %q, want hit", got)
	}
	if n := upstreamCalls(g, chatPath); n != 1 {
		t.Errorf("after a miss and a hit the provider got %d chat requests, want 1", n)
	}
	if again != first {
		t.Errorf("cached content %q != original %q", again, first)
	}
	if got := h.Get("X-Sluice-Cost-Usd"); got != "0.000000" {
		t.Errorf("hit: x-sluice-cost-usd = %q, want 0.000000", got)
	}
	if got := h.Get("X-Sluice-Cache-Saved-Usd"); cost != "" && got != cost {
		t.Errorf("hit: x-sluice-cache-saved-usd = %q, want the original cost %q", got, cost)
	}

	other := userMsg("cache me")
	other.Temperature = openai.Float(0.3)
	if _, h := cachedChat(t, client, other); h.Get("X-Sluice-Cache") != "miss" {
		t.Errorf("another temperature: x-sluice-cache = %q, want miss", h.Get("X-Sluice-Cache"))
	}
	calls := upstreamCalls(g, chatPath)
	// no-cache: the provider answers, and the answer replaces the cached one.
	if _, h := cachedChat(t, client, userMsg("cache me"), option.WithHeader("Cache-Control", "no-cache")); h.Get("X-Sluice-Cache") != "miss" {
		t.Errorf("cache-control no-cache: x-sluice-cache = %q, want miss", h.Get("X-Sluice-Cache"))
	}
	// no-store: neither read nor written.
	if _, h := cachedChat(t, client, userMsg("never stored"), option.WithHeader("Cache-Control", "no-store")); h.Get("X-Sluice-Cache") != "bypass" {
		t.Errorf("cache-control no-store: x-sluice-cache = %q, want bypass", h.Get("X-Sluice-Cache"))
	}
	if _, h := cachedChat(t, client, userMsg("never stored")); h.Get("X-Sluice-Cache") != "miss" {
		t.Errorf("after a no-store request, the same request: x-sluice-cache = %q, want miss", h.Get("X-Sluice-Cache"))
	}
	if n := upstreamCalls(g, chatPath); n != calls+3 {
		t.Errorf("no-cache, no-store and the miss after it made %d provider calls, want 3", n-calls)
	}
	if _, h := cachedChat(t, client, userMsg("short-lived"), option.WithHeader("X-Sluice-Cache-Ttl", "30s")); h.Get("X-Sluice-Cache") != "miss" {
		t.Errorf("with x-sluice-cache-ttl: x-sluice-cache = %q, want miss", h.Get("X-Sluice-Cache"))
	}
	for _, bad := range []string{"soon", "0", "2h"} {
		_, err := client.Chat.Completions.New(context.Background(), userMsg("x"), option.WithHeader("X-Sluice-Cache-Ttl", bad))
		if e := apiError(t, err); e.StatusCode != 400 || e.Code != "invalid_request" || !strings.Contains(e.Message, "x-sluice-cache-ttl") {
			t.Errorf("x-sluice-cache-ttl %q: %d %q %q, want 400 invalid_request naming the header", bad, e.StatusCode, e.Code, e.Message)
		}
	}

	metrics := getBody(t, g.URL+"/metrics")
	for _, want := range []string{`sluice_cache_requests_total{result="hit"} 1`, `sluice_cache_requests_total{result="bypass"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}

	g.stop(t)
	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.ListRequestLogs(context.Background(), store.RequestLogFilter{}, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) < 2 {
		t.Fatalf("got %d request logs, want at least 2", len(page.Items))
	}
	miss, hit := page.Items[0], page.Items[1]
	if miss.CacheResult != "miss" || miss.Provider != "mock" {
		t.Errorf("first record = %+v, want cache_result miss from provider mock", miss)
	}
	if hit.CacheResult != "hit" || hit.Provider != "cache" || hit.Route != "fast" || hit.CostMicroUSD != 0 || hit.PromptTokens != 0 || hit.Attempts != 0 || hit.Status != 200 {
		t.Errorf("hit record = %+v, want cache_result hit, provider cache, no tokens, no cost", hit)
	}
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// streamChat streams params and returns the assembled answer, the number of usage-only
// chunks, and the response headers.
func streamChat(t *testing.T, client openai.Client, params openai.ChatCompletionNewParams) (openai.ChatCompletionAccumulator, int, http.Header) {
	t.Helper()
	var httpResp *http.Response
	stream := client.Chat.Completions.NewStreaming(context.Background(), params, option.WithResponseInto(&httpResp))
	var acc openai.ChatCompletionAccumulator
	usageChunks := 0
	for stream.Next() {
		c := stream.Current()
		acc.AddChunk(c)
		if len(c.Choices) == 0 && c.Usage.TotalTokens > 0 {
			usageChunks++
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	return acc, usageChunks, httpResp.Header
}

func TestCacheReplaysStreams(t *testing.T) {
	g := start(t, cacheConfig, time.Minute)
	client := g.client()
	const chatPath = "/chat/completions"

	params := userMsg("stream then replay")
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	live, _, h := streamChat(t, client, params)
	if got := h.Get("X-Sluice-Cache"); got != "miss" {
		t.Errorf("first stream: x-sluice-cache = %q, want miss", got)
	}
	replayed, usageChunks, h := streamChat(t, client, params)
	if got := h.Get("X-Sluice-Cache"); got != "hit" {
		t.Errorf("same stream again: x-sluice-cache = %q, want hit", got)
	}
	if n := upstreamCalls(g, chatPath); n != 1 {
		t.Errorf("provider got %d chat requests for a stream and its replay, want 1", n)
	}
	if got, want := replayed.Choices[0].Message.Content, live.Choices[0].Message.Content; got != want || got == "" {
		t.Errorf("replayed content %q, want the streamed %q", got, want)
	}
	if replayed.Choices[0].FinishReason != "stop" || usageChunks != 1 || replayed.Usage.CompletionTokens != live.Usage.CompletionTokens {
		t.Errorf("replay: finish %q, %d usage chunks, usage %+v; want stop, 1, %+v", replayed.Choices[0].FinishReason, usageChunks, replayed.Usage, live.Usage)
	}

	// The stream filled the cache for a non-streaming request too, and the other way round.
	if content, h := cachedChat(t, client, userMsg("stream then replay")); h.Get("X-Sluice-Cache") != "hit" || content != live.Choices[0].Message.Content {
		t.Errorf("non-streaming after a stream: x-sluice-cache %q, content %q; want hit, %q", h.Get("X-Sluice-Cache"), content, live.Choices[0].Message.Content)
	}
	whole, _ := cachedChat(t, client, userMsg("whole first"))
	fromJSON, usageChunks, h := streamChat(t, client, userMsg("whole first"))
	if h.Get("X-Sluice-Cache") != "hit" || fromJSON.Choices[0].Message.Content != whole {
		t.Errorf("stream after a non-streaming answer: x-sluice-cache %q, content %q; want hit, %q", h.Get("X-Sluice-Cache"), fromJSON.Choices[0].Message.Content, whole)
	}
	if usageChunks != 0 {
		t.Errorf("replay without stream_options.include_usage sent %d usage chunks, want 0", usageChunks)
	}
	if n := upstreamCalls(g, chatPath); n != 2 {
		t.Errorf("provider got %d chat requests, want 2", n)
	}

	// A stream cut by the provider is not stored: the same request misses again.
	cut := userMsg("[[mock cut_after=3]] cut")
	for i := range 2 {
		var httpResp *http.Response
		stream := client.Chat.Completions.NewStreaming(context.Background(), cut, option.WithResponseInto(&httpResp))
		for stream.Next() {
		}
		if stream.Err() == nil {
			t.Fatalf("cut stream %d ended without error", i)
		}
		if got := httpResp.Header.Get("X-Sluice-Cache"); got != "miss" {
			t.Errorf("cut stream %d: x-sluice-cache = %q, want miss", i, got)
		}
	}
}

func TestCacheKeepsTenantsApart(t *testing.T) {
	g := start(t, cacheConfig, time.Minute)
	teamKey := func(name string) (string, string) {
		team := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": name}, 201)
		id := team["id"].(string)
		key := mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys", map[string]any{"owner_kind": "team", "owner_id": id}, 201)
		return id, key["key"].(string)
	}
	teamA, keyA := teamKey("alpha")
	_, keyB := teamKey("beta")
	keyA2 := mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys", map[string]any{"owner_kind": "team", "owner_id": teamA}, 201)["key"].(string)

	steps := []struct {
		who, key, want string
	}{
		{"team alpha", keyA, "miss"},
		{"team beta, same request", keyB, "miss"},
		{"team alpha again", keyA, "hit"},
		{"another key of team alpha", keyA2, "hit"},
		{"team beta again", keyB, "hit"},
	}
	for _, s := range steps {
		if _, h := cachedChat(t, keyClient(g, s.key), userMsg("tenant secret")); h.Get("X-Sluice-Cache") != s.want {
			t.Errorf("%s: x-sluice-cache = %q, want %s", s.who, h.Get("X-Sluice-Cache"), s.want)
		}
	}
	if n := upstreamCalls(g, "/chat/completions"); n != 2 {
		t.Errorf("provider got %d chat requests, want 2 (one per team)", n)
	}
}

func TestCacheSemanticHit(t *testing.T) {
	cfg := defaultConfig + `
  - name: embed
    targets:
      - provider: mock
        model: text-embedding-3-small
cache:
  enabled: true
  semantic:
    model: embed
    threshold: 0.95
`
	g := start(t, cfg, time.Minute)
	client := g.client()
	question := "What is the capital of France?"
	first, h := cachedChat(t, client, userMsg(question))
	if h.Get("X-Sluice-Cache") != "miss" {
		t.Fatalf("first question: x-sluice-cache = %q, want miss", h.Get("X-Sluice-Cache"))
	}
	// The same text as content parts: another exact key, the same embedding (the mock's
	// vectors depend on the text only).
	parts := openai.ChatCompletionNewParams{Model: "fast", Messages: []openai.ChatCompletionMessageParamUnion{
		openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{openai.TextContentPart(question)})}}
	var httpResp *http.Response
	resp, err := client.Chat.Completions.New(context.Background(), parts, option.WithResponseInto(&httpResp))
	if err != nil {
		t.Fatal(err)
	}
	if got := httpResp.Header.Get("X-Sluice-Cache"); got != "semantic-hit" || resp.Choices[0].Message.Content != first {
		t.Errorf("same question as parts: x-sluice-cache %q, content %q; want semantic-hit, %q", got, resp.Choices[0].Message.Content, first)
	}
	if _, h := cachedChat(t, client, userMsg("What is the capital of Japan?")); h.Get("X-Sluice-Cache") != "miss" {
		t.Errorf("a different question: x-sluice-cache = %q, want miss", h.Get("X-Sluice-Cache"))
	}
	if n := upstreamCalls(g, "/chat/completions"); n != 2 {
		t.Errorf("provider got %d chat requests, want 2", n)
	}
	if n := upstreamCalls(g, "/embeddings"); n != 3 {
		t.Errorf("provider got %d embeddings requests, want 3 (one per exact miss)", n)
	}
}

// requireRedis returns the test Redis URL. It skips when Redis is unreachable, except in CI
// (CI=true), where that fails.
func requireRedis(t *testing.T) string {
	t.Helper()
	url := os.Getenv("SLUICE_TEST_REDIS_URL")
	addr := "127.0.0.1:6379"
	if url == "" {
		url = "redis://" + addr + "/0"
	} else if i := strings.Index(url, "://"); i >= 0 {
		addr = strings.SplitN(url[i+3:], "/", 2)[0]
		if j := strings.LastIndex(addr, "@"); j >= 0 {
			addr = addr[j+1:]
		}
	}
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			t.Fatalf("Redis unreachable at %s: %v", addr, err)
		}
		t.Skipf("Redis unreachable at %s (set SLUICE_TEST_REDIS_URL): %v", addr, err)
	}
	conn.Close()
	return url
}

func TestCacheInRedisIsSharedAcrossGateways(t *testing.T) {
	url := requireRedis(t)
	cfg := defaultConfig + `
cache:
  enabled: true
  backend: redis
  redis_url: ` + url + `
  ttl: 1m
`
	a := start(t, cfg, time.Minute)
	b := start(t, cfg, time.Minute)
	// Redis outlives the test: a fresh question keeps earlier runs' answers out of it.
	nonce := make([]byte, 8)
	_, _ = rand.Read(nonce)
	question := userMsg("shared across nodes " + hex.EncodeToString(nonce))

	first, h := cachedChat(t, a.client(), question)
	if h.Get("X-Sluice-Cache") != "miss" {
		t.Fatalf("node a: x-sluice-cache = %q, want miss", h.Get("X-Sluice-Cache"))
	}
	second, h := cachedChat(t, b.client(), question)
	if h.Get("X-Sluice-Cache") != "hit" || second != first {
		t.Errorf("node b: x-sluice-cache %q, content %q; want hit, %q", h.Get("X-Sluice-Cache"), second, first)
	}
	if n := upstreamCalls(b, "/chat/completions"); n != 0 {
		t.Errorf("node b's provider got %d chat requests, want 0", n)
	}
	params := question
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	replayed, usageChunks, h := streamChat(t, b.client(), params)
	if h.Get("X-Sluice-Cache") != "hit" || replayed.Choices[0].Message.Content != first || usageChunks != 1 {
		t.Errorf("node b streaming: x-sluice-cache %q, content %q, %d usage chunks; want hit, %q, 1", h.Get("X-Sluice-Cache"), replayed.Choices[0].Message.Content, usageChunks, first)
	}
}
