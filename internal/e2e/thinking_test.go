package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
)

// Extended thinking end to end: the Anthropic SDK (and openai-go, reading the reasoning_content
// and thinking_blocks extension) through Sluice to the mock's Messages API, which signs its
// thinking and refuses a later turn whose thinking does not verify — so a passing round trip
// proves the blocks came back byte for byte, in order.

// thinkingParams asks for thinking and offers a tool the mock is told to call.
func thinkingParams() anthropic.MessageNewParams {
	p := messagesParams("claude", "Weather in Paris? [[mock tool_call=get_weather]]")
	p.MaxTokens = 2048
	p.Thinking = anthropic.ThinkingConfigParamOfEnabled(1024)
	p.Tools = []anthropic.ToolUnionParam{anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
		Properties: map[string]any{"city": map[string]any{"type": "string"}},
		Required:   []string{"city"},
	}, "get_weather")}
	return p
}

// withToolResult is p continued by the assistant turn and a result for its tool call.
func withToolResult(p anthropic.MessageNewParams, assistant anthropic.MessageParam, toolUseID string) anthropic.MessageNewParams {
	p.Messages = append(append([]anthropic.MessageParam(nil), p.Messages...), assistant,
		anthropic.NewUserMessage(anthropic.NewToolResultBlock(toolUseID, "18 degrees", false)))
	return p
}

// thinkingUpstreams are the providers with Claude's thinking, each behind the model "claude".
var thinkingUpstreams = []struct{ name, cfg string }{
	{"anthropic", anthropicConfig},
	{"bedrock", bedrockConfig},
}

func TestMessagesThinkingToolUseRoundTrip(t *testing.T) {
	for _, up := range thinkingUpstreams {
		t.Run(up.name, func(t *testing.T) { thinkingToolUseRoundTrip(t, up.name, start(t, up.cfg, time.Minute)) })
	}
}

// upstreamThinking returns the thinking object the last upstream request carried, in the
// Messages API or in Converse's additionalModelRequestFields.
func upstreamThinking(t *testing.T, g *gateway) map[string]any {
	t.Helper()
	var body struct {
		Thinking                     map[string]any
		AdditionalModelRequestFields struct{ Thinking map[string]any }
	}
	if err := json.Unmarshal(g.lastUpstream(t).Body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Thinking != nil {
		return body.Thinking
	}
	return body.AdditionalModelRequestFields.Thinking
}

func thinkingToolUseRoundTrip(t *testing.T, upstream string, g *gateway) {
	c := g.anthropicClient()
	for _, mode := range []string{"non-stream", "stream"} {
		t.Run(mode, func(t *testing.T) {
			p := thinkingParams()
			var first anthropic.Message
			var err error
			if mode == "stream" {
				var types []string
				first, types, err = accumulate(t, c, p)
				if err == nil && !strings.Contains(strings.Join(types, " "), "content_block_start content_block_delta content_block_delta content_block_delta content_block_stop") {
					t.Errorf("events %v: want the thinking block's start, thinking and signature deltas and stop", types)
				}
			} else {
				var m *anthropic.Message
				if m, err = c.Messages.New(context.Background(), p); err == nil {
					first = *m
				}
			}
			if err != nil {
				t.Fatalf("first turn: %v", err)
			}
			if len(first.Content) != 2 || first.Content[0].Type != "thinking" || first.Content[1].Type != "tool_use" ||
				first.StopReason != anthropic.StopReasonToolUse {
				t.Fatalf("first answer %s, want thinking then tool_use", first.RawJSON())
			}
			th := first.Content[0]
			if !strings.Contains(th.Thinking, "get_weather") || th.Signature == "" {
				t.Errorf("thinking block %s: want the mock's text and a signature", th.RawJSON())
			}
			if got := upstreamThinking(t, g); got["type"] != "enabled" || got["budget_tokens"] != float64(1024) {
				t.Errorf("upstream thinking = %v, want enabled with budget 1024", got)
			}

			use := first.Content[1].AsToolUse()
			second, err := c.Messages.New(context.Background(), withToolResult(p, first.ToParam(), use.ID))
			if err != nil {
				t.Fatalf("second turn with the thinking sent back (the mock verifies its signature): %v", err)
			}
			if len(second.Content) != 2 || second.Content[0].Type != "thinking" || second.Content[1].Type != "text" ||
				second.StopReason != anthropic.StopReasonEndTurn {
				t.Errorf("second answer %s, want thinking then text", second.RawJSON())
			}
			if upstream == "anthropic" {
				_, up := upstreamMessages(t, g)
				sent := up["messages"].([]any)[1].(map[string]any)["content"].([]any)
				if b := sent[0].(map[string]any); b["type"] != "thinking" || b["thinking"] != th.Thinking || b["signature"] != th.Signature {
					t.Errorf("upstream assistant turn %v: want the thinking block first, unchanged", sent)
				}
			}

			tampered := first.ToParam()
			tampered.Content[0].OfThinking.Signature = strings.ToUpper(th.Signature[:8]) + th.Signature[8:] + "A"
			_, err = c.Messages.New(context.Background(), withToolResult(p, tampered, use.ID))
			anthropicError(t, err, 400, "invalid_request_error")
		})
	}
}

func TestMessagesRedactedThinkingPassesThrough(t *testing.T) {
	for _, up := range thinkingUpstreams {
		t.Run(up.name, func(t *testing.T) { redactedThinkingPassesThrough(t, up.name, start(t, up.cfg, time.Minute)) })
	}
}

func redactedThinkingPassesThrough(t *testing.T, upstream string, g *gateway) {
	c := g.anthropicClient()
	p := messagesParams("claude", "ANTHROPIC_MAGIC_STRING_TRIGGER_REDACTED_THINKING_46C9A13E193C177646C7398A98432ECCCE4C1253")
	p.MaxTokens = 2048
	p.Thinking = anthropic.ThinkingConfigParamOfEnabled(1024)
	for _, mode := range []string{"non-stream", "stream"} {
		t.Run(mode, func(t *testing.T) {
			var first anthropic.Message
			var err error
			if mode == "stream" {
				first, _, err = accumulate(t, c, p)
			} else {
				var m *anthropic.Message
				if m, err = c.Messages.New(context.Background(), p); err == nil {
					first = *m
				}
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(first.Content) != 3 || first.Content[1].Type != "redacted_thinking" || first.Content[1].Data == "" {
				t.Fatalf("answer %s, want thinking, redacted_thinking, text", first.RawJSON())
			}
			q := p
			q.Messages = append([]anthropic.MessageParam{}, p.Messages...)
			q.Messages = append(q.Messages, first.ToParam(), anthropic.NewUserMessage(anthropic.NewTextBlock("Go on.")))
			if _, err := c.Messages.New(context.Background(), q); err != nil {
				t.Fatalf("next turn with the redacted block (the mock verifies it): %v", err)
			}
			if upstream == "anthropic" {
				_, up := upstreamMessages(t, g)
				sent := up["messages"].([]any)[1].(map[string]any)["content"].([]any)
				if b := sent[1].(map[string]any); b["type"] != "redacted_thinking" || b["data"] != first.Content[1].Data {
					t.Errorf("upstream assistant turn %v: want the redacted block second, unchanged", sent)
				}
			}
		})
	}
}

// TestMessagesThinkingToProviderWithout: a client with thinking on works against a provider
// that has none; the thinking config and earlier thinking blocks are not sent there.
func TestMessagesThinkingToProviderWithout(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	c := g.anthropicClient()
	p := messagesParams("fast", "Hello")
	p.MaxTokens = 2048
	p.Thinking = anthropic.ThinkingConfigParamOfEnabled(1024)
	p.Messages = append(p.Messages,
		anthropic.NewAssistantMessage(anthropic.NewThinkingBlock("sig", "I thought."), anthropic.NewTextBlock("Hi.")),
		anthropic.NewUserMessage(anthropic.NewTextBlock("Again")))
	msg, err := c.Messages.New(context.Background(), p)
	if err != nil {
		t.Fatalf("Messages.New: %v", err)
	}
	if len(msg.Content) != 1 || msg.Content[0].Type != "text" {
		t.Errorf("answer %s, want one text block", msg.RawJSON())
	}
	raw := string(g.lastUpstream(t).Body)
	if strings.Contains(raw, "thinking") || strings.Contains(raw, "I thought") {
		t.Errorf("upstream body %s carries thinking", raw)
	}
}

func TestChatCompletionsExposeThinking(t *testing.T) {
	g := start(t, anthropicConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	params := claudeMsg("Weather in Paris? [[mock tool_call=get_weather]]")
	params.Tools = []openai.ChatCompletionToolUnionParam{claudeWeatherTool()}
	params.ReasoningEffort = shared.ReasoningEffortLow
	first, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	msg := first.Choices[0].Message
	var reasoning string
	var blocks []struct{ Type, Thinking, Signature string }
	if err := json.Unmarshal([]byte(msg.JSON.ExtraFields["reasoning_content"].Raw()), &reasoning); err != nil || !strings.Contains(reasoning, "get_weather") {
		t.Fatalf("reasoning_content in %s: %q (%v)", first.RawJSON(), reasoning, err)
	}
	rawBlocks := msg.JSON.ExtraFields["thinking_blocks"].Raw()
	if err := json.Unmarshal([]byte(rawBlocks), &blocks); err != nil || len(blocks) != 1 || blocks[0].Type != "thinking" ||
		blocks[0].Thinking != reasoning || blocks[0].Signature == "" {
		t.Fatalf("thinking_blocks in %s: %+v (%v)", first.RawJSON(), blocks, err)
	}
	_, up := upstreamMessages(t, g)
	if got, _ := up["thinking"].(map[string]any); got["type"] != "enabled" || got["budget_tokens"] != float64(1024) || up["max_tokens"] != float64(1024+4096) {
		t.Errorf("upstream thinking %v max_tokens %v: want reasoning_effort low as a 1024 budget with room for the answer", up["thinking"], up["max_tokens"])
	}

	// The stream carries the same thinking, in fragments.
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := client.Chat.Completions.NewStreaming(ctx, params)
	var streamed, signature string
	for stream.Next() {
		ch := stream.Current()
		if len(ch.Choices) == 0 {
			continue
		}
		d := ch.Choices[0].Delta.JSON.ExtraFields
		if f, ok := d["reasoning_content"]; ok {
			var s string
			_ = json.Unmarshal([]byte(f.Raw()), &s)
			streamed += s
		}
		if f, ok := d["thinking_blocks"]; ok {
			var bs []struct{ Signature string }
			_ = json.Unmarshal([]byte(f.Raw()), &bs)
			for _, b := range bs {
				signature += b.Signature
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if streamed != reasoning || signature != blocks[0].Signature {
		t.Errorf("streamed reasoning %q signature %q, want %q and %q", streamed, signature, reasoning, blocks[0].Signature)
	}

	// Sending thinking_blocks back with the assistant turn continues the tool loop; the mock
	// verifies the signature.
	asst := msg.ToAssistantMessageParam()
	asst.SetExtraFields(map[string]any{"thinking_blocks": json.RawMessage(rawBlocks)})
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{}
	params.Messages = append(params.Messages, openai.ChatCompletionMessageParamUnion{OfAssistant: &asst},
		openai.ToolMessage("18 degrees", msg.ToolCalls[0].ID))
	second, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatalf("second turn with thinking_blocks sent back: %v", err)
	}
	if second.Choices[0].FinishReason != "stop" || second.Choices[0].Message.Content == "" {
		t.Errorf("second answer %s, want text", second.RawJSON())
	}
}

// TestMessagesThinkingThroughStreamGuardrails: with output guardrails filtering the stream,
// thinking still arrives whole and signed (it is not scanned; see gateway.streamGuard), so the
// next turn verifies.
func TestMessagesThinkingThroughStreamGuardrails(t *testing.T) {
	g := start(t, anthropicConfig+guardrailsConfig[len(defaultConfig):], time.Minute)
	c := g.anthropicClient()
	p := thinkingParams()
	first, _, err := accumulate(t, c, p)
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	if len(first.Content) != 2 || first.Content[0].Type != "thinking" || first.Content[0].Signature == "" {
		t.Fatalf("streamed %s, want a signed thinking block then tool_use", first.RawJSON())
	}
	if _, err := c.Messages.New(context.Background(), withToolResult(p, first.ToParam(), first.Content[1].ID)); err != nil {
		t.Fatalf("second turn: %v", err)
	}
}

// TestCachedAnswersKeepThinking: a streamed chat completion that the cache collected replays,
// streamed or not, with its thinking blocks intact, so the cached signature still verifies on
// the next turn.
func TestCachedAnswersKeepThinking(t *testing.T) {
	g := start(t, anthropicConfig+"cache:\n  enabled: true\n  ttl: 10m\n", time.Minute)
	client := g.client()
	ctx := context.Background()
	params := claudeMsg("Weather in Paris? [[mock tool_call=get_weather]]")
	params.Tools = []openai.ChatCompletionToolUnionParam{claudeWeatherTool()}
	params.ReasoningEffort = shared.ReasoningEffortLow
	// Streams are read with net/http to the end of the body, which comes after the gateway
	// stored the answer (the SDK stops at [DONE]).
	streamBlocks := func() string {
		t.Helper()
		body := `{"model":"claude","stream":true,"reasoning_effort":"low","messages":[{"role":"user","content":"Weather in Paris? [[mock tool_call=get_weather]]"}],` +
			`"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]}`
		req, _ := http.NewRequest(http.MethodPost, g.URL+"/v1/chat/completions", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+clientKey)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, err := io.ReadAll(resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("stream: %d %s (%v)", resp.StatusCode, raw, err)
		}
		var blocks []string
		for _, line := range strings.Split(string(raw), "\n") {
			var ch struct {
				Choices []struct {
					Delta struct {
						ThinkingBlocks json.RawMessage `json:"thinking_blocks"`
					}
				}
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok && json.Unmarshal([]byte(data), &ch) == nil &&
				len(ch.Choices) > 0 && ch.Choices[0].Delta.ThinkingBlocks != nil {
				blocks = append(blocks, string(ch.Choices[0].Delta.ThinkingBlocks))
			}
		}
		return strings.Join(blocks, "\n")
	}
	live := streamBlocks()
	replayed := streamBlocks()
	whole, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatalf("non-stream: %v", err)
	}
	if n := upstreamCalls(g, "/messages"); n != 1 {
		t.Fatalf("the provider answered %d times, want once (then the cache)", n)
	}
	var fragments []struct{ Thinking, Signature string }
	for _, f := range strings.Split(live, "\n") {
		var bs []struct{ Thinking, Signature string }
		_ = json.Unmarshal([]byte(f), &bs)
		fragments = append(fragments, bs...)
	}
	var cached []struct{ Thinking, Signature string }
	msg := whole.Choices[0].Message
	rawBlocks := msg.JSON.ExtraFields["thinking_blocks"].Raw()
	if err := json.Unmarshal([]byte(rawBlocks), &cached); err != nil || len(cached) != 1 || len(fragments) < 2 ||
		cached[0].Signature == "" || cached[0].Signature != fragments[len(fragments)-1].Signature {
		t.Fatalf("cached thinking_blocks %s (%v), want the live stream's block %s", rawBlocks, err, live)
	}
	if replayed == "" || !strings.Contains(replayed, cached[0].Signature) {
		t.Errorf("replayed stream thinking %s, want the block signed %q", replayed, cached[0].Signature)
	}
	asst := msg.ToAssistantMessageParam()
	asst.SetExtraFields(map[string]any{"thinking_blocks": json.RawMessage(rawBlocks)})
	params.Messages = append(params.Messages, openai.ChatCompletionMessageParamUnion{OfAssistant: &asst},
		openai.ToolMessage("18 degrees", msg.ToolCalls[0].ID))
	if _, err := client.Chat.Completions.New(ctx, params); err != nil {
		t.Fatalf("next turn with the cached thinking: %v", err)
	}
}
