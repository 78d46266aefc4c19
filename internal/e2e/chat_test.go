package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

func TestChatCompletionThroughAlias(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	client := g.client()
	var httpResp *http.Response
	resp, err := client.Chat.Completions.New(context.Background(), userMsg("Say hello"), option.WithResponseInto(&httpResp))
	if err != nil {
		t.Fatalf("Chat.Completions.New: %v", err)
	}
	if resp.Object != "chat.completion" || len(resp.Choices) != 1 || resp.Choices[0].Message.Content == "" {
		t.Fatalf("unexpected completion: %+v", resp)
	}
	if resp.Choices[0].FinishReason != "stop" {
		t.Errorf("finish_reason = %q, want stop", resp.Choices[0].FinishReason)
	}
	u := resp.Usage
	if u.PromptTokens <= 0 || u.CompletionTokens != 16 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage = %+v, want 16 completion tokens and a consistent total", u)
	}
	for header, want := range map[string]string{"X-Sluice-Provider": "mock", "X-Sluice-Model": "gpt-4o-mini", "X-Sluice-Attempts": "1"} {
		if got := httpResp.Header.Get(header); got != want {
			t.Errorf("%s = %q, want %q", header, got, want)
		}
	}
	if id := httpResp.Header.Get("X-Request-Id"); !strings.HasPrefix(id, "req_") {
		t.Errorf("X-Request-Id = %q", id)
	}

	up := g.lastUpstream(t)
	if up.Path != "/v1/chat/completions" {
		t.Errorf("upstream path = %q", up.Path)
	}
	if got := up.Header.Get("Authorization"); got != "Bearer "+mockKey {
		t.Errorf("upstream Authorization = %q: the provider key from config must replace the client's", got)
	}
	var body map[string]any
	if err := json.Unmarshal(up.Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["model"] != "gpt-4o-mini" {
		t.Errorf("upstream model = %v, want the alias resolved to gpt-4o-mini", body["model"])
	}
}

func TestProviderSlashModelAddressing(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	client := g.client()
	params := userMsg("hi")
	params.Model = "mock/some-other-model"
	resp, err := client.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if resp.Model != "some-other-model" {
		t.Errorf("model = %q, want the upstream's model name", resp.Model)
	}
}

func TestUnknownParametersReachTheProvider(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	client := g.client()
	params := userMsg("hi")
	params.Seed = openai.Int(7)
	params.ReasoningEffort = openai.ReasoningEffortLow
	_, err := client.Chat.Completions.New(context.Background(), params,
		option.WithJSONSet("some_future_param", map[string]any{"x": 1}))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var body map[string]any
	if err := json.Unmarshal(g.lastUpstream(t).Body, &body); err != nil {
		t.Fatal(err)
	}
	if body["seed"] != float64(7) || body["reasoning_effort"] != "low" {
		t.Errorf("typed and known-untyped params lost: seed=%v reasoning_effort=%v", body["seed"], body["reasoning_effort"])
	}
	if fp, ok := body["some_future_param"].(map[string]any); !ok || fp["x"] != float64(1) {
		t.Errorf("unknown param not forwarded: %v", body["some_future_param"])
	}
}

func TestStreamingMatchesNonStreaming(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	client := g.client()
	ctx := context.Background()

	whole, err := client.Chat.Completions.New(ctx, userMsg("stream me"))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	params := userMsg("stream me")
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := client.Chat.Completions.NewStreaming(ctx, params)
	var acc openai.ChatCompletionAccumulator
	chunks, usageChunks := 0, 0
	for stream.Next() {
		c := stream.Current()
		acc.AddChunk(c)
		chunks++
		if len(c.Choices) == 0 && c.Usage.TotalTokens > 0 {
			usageChunks++
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if got, want := acc.Choices[0].Message.Content, whole.Choices[0].Message.Content; got != want {
		t.Errorf("streamed content %q != non-streamed %q", got, want)
	}
	if chunks < 17 || usageChunks != 1 {
		t.Errorf("chunks = %d, usage chunks = %d; want one chunk per token plus one usage chunk", chunks, usageChunks)
	}
	if acc.Usage.CompletionTokens != whole.Usage.CompletionTokens || acc.Usage.PromptTokens != whole.Usage.PromptTokens {
		t.Errorf("stream usage %+v != non-stream usage %+v", acc.Usage, whole.Usage)
	}
}

func TestStreamWithoutIncludeUsageHidesTheUsageSluiceAskedFor(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	client := g.client()
	stream := client.Chat.Completions.NewStreaming(context.Background(), userMsg("x"))
	for stream.Next() {
		if c := stream.Current(); c.JSON.Usage.Valid() && c.Usage.TotalTokens > 0 {
			t.Errorf("client that did not ask for usage received it: %s", c.RawJSON())
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	var body struct {
		StreamOptions struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	if err := json.Unmarshal(g.lastUpstream(t).Body, &body); err != nil {
		t.Fatal(err)
	}
	if !body.StreamOptions.IncludeUsage {
		t.Errorf("upstream stream_options.include_usage = false: Sluice must always ask for usage")
	}
}

func TestStreamIsFlushedChunkByChunk(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	// With 150 ms between tokens, a buffering proxy would deliver the first token only with
	// the last; a flushing one delivers it well before the stream ends.
	client := g.client()
	stream := client.Chat.Completions.NewStreaming(context.Background(), userMsg("[[mock tokens=4 token_delay=150ms]]"))
	var arrivals []time.Time
	for stream.Next() {
		arrivals = append(arrivals, time.Now())
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if len(arrivals) < 4 {
		t.Fatalf("got %d chunks", len(arrivals))
	}
	if spread := arrivals[len(arrivals)-1].Sub(arrivals[0]); spread < 300*time.Millisecond {
		t.Errorf("chunks arrived within %v of each other: the stream was buffered", spread)
	}
}
