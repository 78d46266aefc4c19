package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
)

// The Anthropic adapter end to end: an OpenAI SDK client, Sluice, and the mock speaking the
// Messages API.

// anthropicConfig routes alias "claude" to provider "claude" of type anthropic.
const anthropicConfig = `
providers:
  claude:
    type: anthropic
    base_url: {{MOCK}}/v1
    api_key: ` + mockKey + `
    timeout: {{TIMEOUT}}
    models: [claude-sonnet-4-5]
models:
  - name: claude
    targets:
      - provider: claude
        model: claude-sonnet-4-5
`

func claudeMsg(text string) openai.ChatCompletionNewParams {
	p := userMsg(text)
	p.Model = "claude"
	return p
}

func claudeWeatherTool() openai.ChatCompletionToolUnionParam {
	return openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
		Name: "get_weather",
		Parameters: openai.FunctionParameters{
			"type":       "object",
			"properties": map[string]any{"city": map[string]any{"type": "string"}},
			"required":   []string{"city"},
		},
	})
}

// upstreamMessages decodes the last request the mock received as a Messages request.
func upstreamMessages(t *testing.T, g *gateway) (http.Header, map[string]any) {
	t.Helper()
	up := g.lastUpstream(t)
	if up.Path != "/v1/messages" {
		t.Fatalf("upstream path = %q, want /v1/messages", up.Path)
	}
	var body map[string]any
	if err := json.Unmarshal(up.Body, &body); err != nil {
		t.Fatal(err)
	}
	return up.Header, body
}

func TestAnthropicChat(t *testing.T) {
	g := start(t, anthropicConfig, time.Minute)
	client := g.client()
	params := claudeMsg("Say hello")
	params.Messages = append([]openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief.")}, params.Messages...)
	resp, err := client.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if !strings.HasPrefix(resp.ID, "msg_") || resp.Object != "chat.completion" || resp.Model != "claude-sonnet-4-5" {
		t.Errorf("envelope: id %q object %q model %q", resp.ID, resp.Object, resp.Model)
	}
	if len(resp.Choices) != 1 || resp.Choices[0].Message.Content == "" || resp.Choices[0].FinishReason != "stop" {
		t.Fatalf("choices: %+v", resp.Choices)
	}
	if u := resp.Usage; u.PromptTokens <= 0 || u.CompletionTokens != 16 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage = %+v, want 16 completion tokens and a consistent total", u)
	}
	h, body := upstreamMessages(t, g)
	if h.Get("X-Api-Key") != mockKey || h.Get("Anthropic-Version") != "2023-06-01" || h.Get("Authorization") != "" {
		t.Errorf("upstream auth headers: x-api-key %q anthropic-version %q authorization %q",
			h.Get("X-Api-Key"), h.Get("Anthropic-Version"), h.Get("Authorization"))
	}
	if body["system"] != "Be brief." || body["max_tokens"] != float64(4096) || body["model"] != "claude-sonnet-4-5" {
		t.Errorf("upstream body: system %v max_tokens %v model %v", body["system"], body["max_tokens"], body["model"])
	}
}

func TestAnthropicStreamingMatchesNonStreaming(t *testing.T) {
	g := start(t, anthropicConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	whole, err := client.Chat.Completions.New(ctx, claudeMsg("stream me"))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	params := claudeMsg("stream me")
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := client.Chat.Completions.NewStreaming(ctx, params)
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		if c := stream.Current(); !acc.AddChunk(c) {
			t.Fatalf("accumulator rejected %s", c.RawJSON())
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if got, want := acc.Choices[0].Message.Content, whole.Choices[0].Message.Content; got != want {
		t.Errorf("streamed content %q != non-streamed %q", got, want)
	}
	if acc.Choices[0].FinishReason != "stop" {
		t.Errorf("finish_reason = %q", acc.Choices[0].FinishReason)
	}
	if acc.Usage.CompletionTokens != whole.Usage.CompletionTokens || acc.Usage.PromptTokens != whole.Usage.PromptTokens {
		t.Errorf("stream usage %+v != non-stream usage %+v", acc.Usage, whole.Usage)
	}
}

func TestAnthropicToolCallRoundTrip(t *testing.T) {
	g := start(t, anthropicConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	params := claudeMsg("Weather in Paris? [[mock tool_call=get_weather]]")
	params.Tools = []openai.ChatCompletionToolUnionParam{claudeWeatherTool()}
	first, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	choice := first.Choices[0]
	if choice.FinishReason != "tool_calls" || len(choice.Message.ToolCalls) != 1 {
		t.Fatalf("first answer: %s", first.RawJSON())
	}
	call := choice.Message.ToolCalls[0]
	var args struct{ City string }
	if err := json.Unmarshal([]byte(call.Function.Arguments), &args); err != nil || args.City == "" || call.Function.Name != "get_weather" {
		t.Fatalf("tool call %+v: arguments do not follow the schema (%v)", call, err)
	}

	// The streamed call is the same call.
	stream := client.Chat.Completions.NewStreaming(ctx, params)
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if sc := acc.Choices[0].Message.ToolCalls; len(sc) != 1 || sc[0].ID != call.ID || sc[0].Function.Arguments != call.Function.Arguments {
		t.Errorf("streamed tool calls %+v, want %+v", sc, call)
	}

	params.Messages = append(params.Messages, choice.Message.ToParam(), openai.ToolMessage("18 degrees", call.ID))
	second, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatalf("New with tool result: %v", err)
	}
	if second.Choices[0].FinishReason != "stop" || second.Choices[0].Message.Content == "" {
		t.Errorf("second answer: %s", second.RawJSON())
	}
	_, body := upstreamMessages(t, g)
	msgs, _ := body["messages"].([]any)
	if len(msgs) != 3 {
		t.Fatalf("upstream messages = %v, want user, assistant tool_use, user tool_result", body["messages"])
	}
	last, _ := json.Marshal(msgs[2])
	if !strings.Contains(string(last), `"type":"tool_result"`) || !strings.Contains(string(last), call.ID) {
		t.Errorf("tool result message = %s", last)
	}
}

func TestAnthropicImageDataURLBecomesBase64Block(t *testing.T) {
	g := start(t, anthropicConfig, time.Minute)
	client := g.client()
	params := claudeMsg("")
	params.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
		openai.TextContentPart("What is this?"),
		openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "data:image/png;base64,iVBORw0KGgo="}),
	})}
	if _, err := client.Chat.Completions.New(context.Background(), params); err != nil {
		t.Fatalf("New: %v", err)
	}
	_, body := upstreamMessages(t, g)
	var got struct {
		Messages []struct {
			Content []struct {
				Type   string
				Source struct {
					Type      string
					MediaType string `json:"media_type"`
					Data      string
				}
			}
		}
	}
	raw, _ := json.Marshal(body)
	if err := json.Unmarshal(raw, &got); err != nil || len(got.Messages) != 1 || len(got.Messages[0].Content) != 2 {
		t.Fatalf("upstream body %s (%v)", raw, err)
	}
	img := got.Messages[0].Content[1]
	if img.Type != "image" || img.Source.Type != "base64" || img.Source.MediaType != "image/png" || img.Source.Data != "iVBORw0KGgo=" {
		t.Errorf("image block = %+v", img)
	}
}

func TestAnthropicErrorsAreMapped(t *testing.T) {
	g := start(t, anthropicConfig, time.Minute)
	client := g.client()
	for _, tc := range []struct {
		knob, typ, retryAfter string
		status                int
	}{
		{"status=429 retry_after=7", "rate_limit_error", "7", 429},
		{"status=500", "api_error", "", 502},
		{"status=529", "overloaded_error", "", 503},
		{"status=400", "invalid_request_error", "", 400},
	} {
		t.Run(tc.knob, func(t *testing.T) {
			var httpResp *http.Response
			_, err := client.Chat.Completions.New(context.Background(), claudeMsg("[[mock "+tc.knob+"]]"), withResponse(&httpResp))
			e := apiError(t, err)
			if e.StatusCode != tc.status || e.Type != tc.typ || e.Message == "" {
				t.Errorf("got %d %q %q, want %d %s and Anthropic's message", e.StatusCode, e.Type, e.Message, tc.status, tc.typ)
			}
			if got := httpResp.Header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tc.retryAfter)
			}
		})
	}
	t.Run("401", func(t *testing.T) {
		_, err := client.Chat.Completions.New(context.Background(), claudeMsg("[[mock status=401]]"))
		if e := apiError(t, err); e.StatusCode != 502 || e.Code != "upstream_auth_error" {
			t.Errorf("got %d %q, want 502 upstream_auth_error", e.StatusCode, e.Code)
		}
	})
}

func TestAnthropicWrongGatewayKeyIs502(t *testing.T) {
	cfg := strings.Replace(anthropicConfig, "api_key: "+mockKey, "api_key: wrong-key", 1)
	g := start(t, cfg, time.Minute)
	client := g.client()
	_, err := client.Chat.Completions.New(context.Background(), claudeMsg("x"))
	e := apiError(t, err)
	if e.StatusCode != 502 || e.Code != "upstream_auth_error" || strings.Contains(e.Message, "wrong-key") {
		t.Fatalf("got %d %q %q, want 502 upstream_auth_error without the key", e.StatusCode, e.Code, e.Message)
	}
}

func TestAnthropicUnsupportedParameterIs400(t *testing.T) {
	g := start(t, anthropicConfig, time.Minute)
	client := g.client()
	params := claudeMsg("x")
	params.N = openai.Int(2)
	_, err := client.Chat.Completions.New(context.Background(), params)
	e := apiError(t, err)
	if e.StatusCode != 400 || e.Param != "n" || !strings.Contains(e.Message, "claude") {
		t.Fatalf("got %d param %q %q, want a 400 naming n and the provider", e.StatusCode, e.Param, e.Message)
	}
	if n := len(g.Mock.Server().Requests()); n != 0 {
		t.Errorf("a refused request reached the provider %d times", n)
	}
}

func TestAnthropicStreamErrorEventEndsWithoutDone(t *testing.T) {
	g := start(t, anthropicConfig, time.Minute)
	body := `{"model":"claude","stream":true,"messages":[{"role":"user","content":"[[mock error_after=2]]"}]}`
	// The role chunk, 2 content chunks, then Anthropic's own error, type and message kept.
	if _, e := failedStream(t, g, body, 3); e.Type != "overloaded_error" || e.Message != "Overloaded" {
		t.Fatalf("error event %+v is not Anthropic's overloaded error", e)
	}
}
