package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
)

// Chat-shaped requests to models only the Responses API serves (o3-pro as "deep" in
// nativeConfig): the openai_responses adapter translates them to /v1/responses.

func TestChatCompletionsReachResponsesOnlyModel(t *testing.T) {
	g := start(t, nativeConfig, time.Minute)
	c := g.client()
	ctx := context.Background()

	// Without the translation the mock refuses, as OpenAI does.
	_, err := c.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{Model: "deep-as-chat",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	if e := apiError(t, err); e.StatusCode != 404 || !strings.Contains(e.Message, "v1/responses") {
		t.Fatalf("o3-pro over chat completions: got %v, want OpenAI's 404", err)
	}

	p := openai.ChatCompletionNewParams{Model: "deep", ReasoningEffort: shared.ReasoningEffortMedium,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief."), openai.UserMessage("Say hi [[mock tokens=3]]")}}
	got, err := c.Chat.Completions.New(ctx, p)
	if err != nil {
		t.Fatalf("chat to o3-pro: %v", err)
	}
	if up := g.lastUpstream(t); up.Path != "/v1/responses" {
		t.Errorf("upstream path %s, want /v1/responses", up.Path)
	}
	if body := upstreamBody(t, g.lastUpstream(t)); string(body["reasoning"]) != `{"effort":"medium"}` {
		t.Errorf("upstream reasoning %s, want effort medium", body["reasoning"])
	}
	if len(strings.Fields(got.Choices[0].Message.Content)) != 3 || got.Choices[0].FinishReason != "stop" ||
		got.Usage.CompletionTokensDetails.ReasoningTokens != 16 || got.Usage.CompletionTokens != 3+16 {
		t.Errorf("completion %s: want 3 words, stop, 16 reasoning tokens within 19", got.RawJSON())
	}

	// A tool call, non-streaming and streaming.
	tp := openai.ChatCompletionNewParams{Model: "deep", Tools: []openai.ChatCompletionToolUnionParam{weatherChatTool()},
		ToolChoice: openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")},
		Messages:   []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Weather in Paris?")}}
	called, err := c.Chat.Completions.New(ctx, tp)
	if err != nil {
		t.Fatalf("tool call: %v", err)
	}
	calls := called.Choices[0].Message.ToolCalls
	if called.Choices[0].FinishReason != "tool_calls" || len(calls) != 1 || calls[0].Function.Name != "get_weather" ||
		!strings.HasPrefix(calls[0].ID, "call_") || !json.Valid([]byte(calls[0].Function.Arguments)) {
		t.Errorf("tool call completion %s: want one get_weather call", called.RawJSON())
	}
	tp.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := c.Chat.Completions.NewStreaming(ctx, tp)
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("tool call stream: %v", err)
	}
	sc := acc.Choices[0].Message.ToolCalls
	if len(sc) != 1 || sc[0].ID != calls[0].ID || sc[0].Function.Arguments != calls[0].Function.Arguments ||
		acc.Choices[0].FinishReason != "tool_calls" || acc.Usage.TotalTokens == 0 {
		t.Errorf("streamed tool call %+v (finish %q, usage %+v): want the same call as unstreamed, and usage",
			sc, acc.Choices[0].FinishReason, acc.Usage)
	}

	// Streamed text.
	sp := p
	sp.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Stream [[mock tokens=5]]")}
	stream = c.Chat.Completions.NewStreaming(ctx, sp)
	var text strings.Builder
	for stream.Next() {
		if ch := stream.Current(); len(ch.Choices) > 0 {
			text.WriteString(ch.Choices[0].Delta.Content)
		}
	}
	if err := stream.Err(); err != nil || len(strings.Fields(text.String())) != 5 {
		t.Errorf("streamed text %q, %v: want 5 words", text.String(), err)
	}
}

func weatherChatTool() openai.ChatCompletionToolUnionParam {
	return openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
		Name:       "get_weather",
		Parameters: openai.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
	})
}

// TestOtherSurfacesReachResponsesOnlyModel: /v1/messages and the Gemini API go through the
// same chat path, so they reach a Responses-only model too.
func TestOtherSurfacesReachResponsesOnlyModel(t *testing.T) {
	g := start(t, nativeConfig, time.Minute)
	for path, body := range map[string]string{
		"/v1/messages":                        `{"model":"deep","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}`,
		"/v1beta/models/deep:generateContent": `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`,
	} {
		status, _, b := postStatus(t, g.URL+path, body)
		if up := g.lastUpstream(t); status != http.StatusOK || up.Path != "/v1/responses" {
			t.Errorf("%s: status %d %s, upstream %s; want 200 through /v1/responses", path, status, b, up.Path)
		}
	}
}
