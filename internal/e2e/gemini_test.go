package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// The Gemini adapter end to end: an OpenAI SDK client, Sluice, and the mock speaking the Gemini
// API (generateContent, streamGenerateContent, batchEmbedContents).

// geminiConfig routes alias "gem" to gemini-2.5-flash, "gem3" to a Gemini 3 model (which, like
// the real one, insists on thought signatures) and "gem-embed" to an embedding model.
const geminiConfig = `
providers:
  gem:
    type: gemini
    base_url: {{MOCK}}/v1beta
    api_key: ` + mockKey + `
    timeout: {{TIMEOUT}}
    models: [gemini-2.5-flash]
models:
  - name: gem
    targets:
      - provider: gem
        model: gemini-2.5-flash
  - name: gem3
    targets:
      - provider: gem
        model: gemini-3-pro-preview
  - name: gem-embed
    targets:
      - provider: gem
        model: gemini-embedding-001
`

func gemMsg(model, text string) openai.ChatCompletionNewParams {
	p := userMsg(text)
	p.Model = model
	return p
}

// upstreamGemini decodes the last request the mock received and checks its path.
func upstreamGemini(t *testing.T, g *gateway, path string) (http.Header, map[string]any) {
	t.Helper()
	up := g.lastUpstream(t)
	if up.Path != path {
		t.Fatalf("upstream path = %q, want %q", up.Path, path)
	}
	var body map[string]any
	if err := json.Unmarshal(up.Body, &body); err != nil {
		t.Fatal(err)
	}
	return up.Header, body
}

// jsonAt renders part of a decoded body, for compact comparisons.
func jsonAt(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestGeminiChat(t *testing.T) {
	g := start(t, geminiConfig, time.Minute)
	params := gemMsg("gem", "Say hello")
	params.Messages = append([]openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief.")}, params.Messages...)
	params.Temperature = openai.Float(0.5)
	var httpResp *http.Response
	client := g.client()
	resp, err := client.Chat.Completions.New(context.Background(), params, withResponse(&httpResp))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if resp.ID == "" || resp.Object != "chat.completion" || resp.Model != "gemini-2.5-flash" || resp.Created == 0 {
		t.Errorf("envelope: id %q object %q model %q created %d", resp.ID, resp.Object, resp.Model, resp.Created)
	}
	if len(resp.Choices) != 1 || len(strings.Fields(resp.Choices[0].Message.Content)) != 16 || resp.Choices[0].FinishReason != "stop" {
		t.Fatalf("choices: %+v", resp.Choices)
	}
	if u := resp.Usage; u.PromptTokens <= 0 || u.CompletionTokens != 16 || u.TotalTokens != u.PromptTokens+16 {
		t.Errorf("usage = %+v, want 16 completion tokens and a consistent total", u)
	}
	if got := httpResp.Header.Get("X-Sluice-Provider"); got != "gem" {
		t.Errorf("X-Sluice-Provider = %q", got)
	}
	h, body := upstreamGemini(t, g, "/v1beta/models/gemini-2.5-flash:generateContent")
	if h.Get("X-Goog-Api-Key") != mockKey || h.Get("Authorization") != "" {
		t.Errorf("upstream auth: x-goog-api-key %q, Authorization %q; want the provider key in x-goog-api-key only",
			h.Get("X-Goog-Api-Key"), h.Get("Authorization"))
	}
	if got := jsonAt(body["systemInstruction"]); got != `{"parts":[{"text":"Be brief."}]}` {
		t.Errorf("systemInstruction = %s", got)
	}
	if got := jsonAt(body["generationConfig"]); got != `{"temperature":0.5}` {
		t.Errorf("generationConfig = %s", got)
	}
}

func TestGeminiStreamMatchesChat(t *testing.T) {
	g := start(t, geminiConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	whole, err := client.Chat.Completions.New(ctx, gemMsg("gem", "stream me"))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	params := gemMsg("gem", "stream me")
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := client.Chat.Completions.NewStreaming(ctx, params)
	var acc openai.ChatCompletionAccumulator
	var first openai.ChatCompletionChunk
	chunks := 0
	for stream.Next() {
		c := stream.Current()
		if chunks == 0 {
			first = c
		}
		acc.AddChunk(c)
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if got, want := acc.Choices[0].Message.Content, whole.Choices[0].Message.Content; got != want {
		t.Errorf("streamed content %q != non-streamed %q", got, want)
	}
	if first.Choices[0].Delta.Role != "assistant" || acc.Choices[0].FinishReason != "stop" {
		t.Errorf("first delta role %q, finish %q", first.Choices[0].Delta.Role, acc.Choices[0].FinishReason)
	}
	if acc.Usage.TotalTokens != whole.Usage.TotalTokens || acc.Usage.CompletionTokens != 16 {
		t.Errorf("stream usage %+v, non-stream %+v", acc.Usage, whole.Usage)
	}
	upstreamGemini(t, g, "/v1beta/models/gemini-2.5-flash:streamGenerateContent")
}

func gemWeatherTool() openai.ChatCompletionToolUnionParam {
	return openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
		Name:   "get_weather",
		Strict: openai.Bool(true),
		Parameters: openai.FunctionParameters{
			"type":                 "object",
			"properties":           map[string]any{"city": map[string]any{"type": "string"}, "unit": map[string]any{"type": []string{"string", "null"}}},
			"required":             []string{"city", "unit"},
			"additionalProperties": false,
		},
	})
}

// TestGeminiToolCallRoundTrip calls a Gemini 3 model, which rejects function call turns without
// thought signatures: the follow-up passes because Sluice carries the signature (or, when the
// client drops it, as openai-go's ToParam does, Google's documented placeholder).
func TestGeminiToolCallRoundTrip(t *testing.T) {
	g := start(t, geminiConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	params := gemMsg("gem3", "Weather in Paris?")
	params.Tools = []openai.ChatCompletionToolUnionParam{gemWeatherTool()}
	params.ToolChoice = openai.ChatCompletionToolChoiceOptionUnionParam{OfAuto: openai.String("required")}
	resp, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	calls := resp.Choices[0].Message.ToolCalls
	if resp.Choices[0].FinishReason != "tool_calls" || len(calls) != 1 || calls[0].ID != "call_0" || calls[0].Function.Name != "get_weather" {
		t.Fatalf("tool calls = %+v (finish %q)", calls, resp.Choices[0].FinishReason)
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(calls[0].Function.Arguments), &args); err != nil || args["city"] == nil {
		t.Errorf("arguments %q lack city (%v)", calls[0].Function.Arguments, err)
	}
	if !strings.Contains(calls[0].RawJSON(), `"thought_signature"`) {
		t.Errorf("tool call %s lacks the thought signature in extra_content", calls[0].RawJSON())
	}
	_, body := upstreamGemini(t, g, "/v1beta/models/gemini-3-pro-preview:generateContent")
	if got := jsonAt(body["toolConfig"]); got != `{"functionCallingConfig":{"mode":"ANY"}}` {
		t.Errorf("toolConfig = %s", got)
	}
	if s := jsonAt(body["tools"]); strings.Contains(s, "additionalProperties") || !strings.Contains(s, `"nullable":true`) {
		t.Errorf("tools = %s, want a Gemini Schema", s)
	}

	for _, tc := range []struct {
		name string
		call openai.ChatCompletionMessageParamUnion
	}{
		{"signature kept", openai.ChatCompletionMessageParamUnion{OfAssistant: &openai.ChatCompletionAssistantMessageParam{
			ToolCalls: []openai.ChatCompletionMessageToolCallUnionParam{calls[0].ToParam()}}}},
		{"signature dropped by ToParam", resp.Choices[0].Message.ToParam()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := gemMsg("gem3", "Weather in Paris?")
			next.Tools = params.Tools
			next.Messages = append(next.Messages, tc.call, openai.ToolMessage("18C and cloudy", calls[0].ID))
			answer, err := client.Chat.Completions.New(ctx, next)
			if err != nil {
				t.Fatalf("follow-up: %v", err)
			}
			if answer.Choices[0].Message.Content == "" || answer.Choices[0].FinishReason != "stop" {
				t.Errorf("follow-up answer: %+v", answer.Choices[0])
			}
			_, body := upstreamGemini(t, g, "/v1beta/models/gemini-3-pro-preview:generateContent")
			contents := jsonAt(body["contents"])
			if !strings.Contains(contents, `"functionResponse":{"name":"get_weather","response":{"content":"18C and cloudy"}}`) ||
				!strings.Contains(contents, `"thoughtSignature"`) {
				t.Errorf("contents = %s, want the call (signed) and its named response", contents)
			}
		})
	}
}

func TestGeminiStreamedToolCall(t *testing.T) {
	g := start(t, geminiConfig, time.Minute)
	client := g.client()
	params := gemMsg("gem", "Weather? [[mock tool_call=get_weather]]")
	params.Tools = []openai.ChatCompletionToolUnionParam{gemWeatherTool()}
	whole, err := client.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	stream := client.Chat.Completions.NewStreaming(context.Background(), params)
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	got, want := acc.Choices[0].Message.ToolCalls, whole.Choices[0].Message.ToolCalls
	if len(got) != 1 || got[0].ID != want[0].ID || got[0].Function.Name != want[0].Function.Name ||
		got[0].Function.Arguments != want[0].Function.Arguments || acc.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("streamed tool calls %+v (finish %q), non-streamed %+v", got, acc.Choices[0].FinishReason, want)
	}
}

func TestGeminiJSONModeAndImages(t *testing.T) {
	g := start(t, geminiConfig, time.Minute)
	params := gemMsg("gem", "")
	params.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
		openai.TextContentPart("Describe this as JSON."),
		openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "data:image/png;base64,iVBORw0KGgo="}),
		openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: "https://example.com/cat.webp"}),
	})}
	params.ResponseFormat = openai.ChatCompletionNewParamsResponseFormatUnion{OfJSONObject: &openai.ResponseFormatJSONObjectParam{}}
	client := g.client()
	resp, err := client.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	var obj map[string]any
	if err := json.Unmarshal([]byte(resp.Choices[0].Message.Content), &obj); err != nil {
		t.Errorf("JSON mode answer %q is not JSON: %v", resp.Choices[0].Message.Content, err)
	}
	_, body := upstreamGemini(t, g, "/v1beta/models/gemini-2.5-flash:generateContent")
	if got := jsonAt(body["generationConfig"]); got != `{"responseMimeType":"application/json"}` {
		t.Errorf("generationConfig = %s", got)
	}
	want := `[{"parts":[{"text":"Describe this as JSON."},{"inlineData":{"data":"iVBORw0KGgo=","mimeType":"image/png"}},` +
		`{"fileData":{"fileUri":"https://example.com/cat.webp","mimeType":"image/webp"}}],"role":"user"}]`
	if got := jsonAt(body["contents"]); got != want {
		t.Errorf("contents:\n got  %s\n want %s", got, want)
	}
}

func TestGeminiEmbeddingsFloatAndBase64(t *testing.T) {
	g := start(t, geminiConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	params := openai.EmbeddingNewParams{
		Model:      "gem-embed",
		Input:      openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"alpha", "beta"}},
		Dimensions: openai.Int(8),
	}
	floats, err := client.Embeddings.New(ctx, params)
	if err != nil {
		t.Fatalf("Embeddings.New: %v", err)
	}
	if len(floats.Data) != 2 || len(floats.Data[1].Embedding) != 8 || floats.Data[1].Index != 1 ||
		floats.Usage.PromptTokens <= 0 || floats.Model != "gemini-embedding-001" {
		t.Fatalf("embeddings: %d vectors, usage %+v, model %q", len(floats.Data), floats.Usage, floats.Model)
	}
	_, body := upstreamGemini(t, g, "/v1beta/models/gemini-embedding-001:batchEmbedContents")
	if got := jsonAt(body["requests"]); !strings.Contains(got, `"outputDimensionality":8`) || !strings.Contains(got, `"model":"models/gemini-embedding-001"`) {
		t.Errorf("requests = %s", got)
	}
	params.EncodingFormat = openai.EmbeddingNewParamsEncodingFormatBase64
	var raw struct {
		Data []struct {
			Embedding string `json:"embedding"`
		} `json:"data"`
	}
	if _, err := client.Embeddings.New(ctx, params, option.WithResponseBodyInto(&raw)); err != nil {
		t.Fatalf("Embeddings.New base64: %v", err)
	}
	assertSameVector(t, raw.Data[1].Embedding, floats.Data[1].Embedding)
}

func TestGeminiErrorsAreMapped(t *testing.T) {
	g := start(t, geminiConfig, time.Minute)
	client := g.client()
	for _, tc := range []struct {
		knob, typ, retryAfter string
		status                int
	}{
		{"status=429 retry_after=7", "RESOURCE_EXHAUSTED", "7", 429},
		{"status=500", "INTERNAL", "", 502},
		{"status=503", "UNAVAILABLE", "", 503},
		{"status=504", "DEADLINE_EXCEEDED", "", 504},
		{"status=400", "INVALID_ARGUMENT", "", 400},
		{"status=404", "NOT_FOUND", "", 404},
	} {
		t.Run(tc.knob, func(t *testing.T) {
			var httpResp *http.Response
			_, err := client.Chat.Completions.New(context.Background(), gemMsg("gem", "[[mock "+tc.knob+"]]"), withResponse(&httpResp))
			e := apiError(t, err)
			if e.StatusCode != tc.status || e.Type != tc.typ || e.Message == "" {
				t.Errorf("got %d %q %q, want %d %s and Gemini's message", e.StatusCode, e.Type, e.Message, tc.status, tc.typ)
			}
			if got := httpResp.Header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tc.retryAfter)
			}
		})
	}
	t.Run("403", func(t *testing.T) {
		_, err := client.Chat.Completions.New(context.Background(), gemMsg("gem", "[[mock status=403]]"))
		if e := apiError(t, err); e.StatusCode != 502 || e.Code != "upstream_auth_error" {
			t.Errorf("got %d %q, want 502 upstream_auth_error", e.StatusCode, e.Code)
		}
	})
	t.Run("error mid-stream", func(t *testing.T) {
		stream := client.Chat.Completions.NewStreaming(context.Background(), gemMsg("gem", "go [[mock error_after=2]]"))
		n := 0
		for stream.Next() {
			n++
		}
		if err := stream.Err(); err == nil || !strings.Contains(err.Error(), "internal error") || n != 3 {
			t.Errorf("after %d chunks: %v; want role + 2 content chunks, then Gemini's INTERNAL error", n, err)
		}
	})
	t.Run("unsupported parameter", func(t *testing.T) {
		p := gemMsg("gem", "x")
		p.Logprobs = openai.Bool(true)
		e := apiError(t, func() error { _, err := client.Chat.Completions.New(context.Background(), p); return err }())
		if e.StatusCode != 400 || e.Param != "logprobs" {
			t.Errorf("got %d param %q (%s), want 400 for logprobs", e.StatusCode, e.Param, e.Message)
		}
	})
}

func TestGeminiWrongGatewayKeyIs502(t *testing.T) {
	cfg := strings.Replace(geminiConfig, "api_key: "+mockKey, "api_key: wrong-key", 1)
	g := start(t, cfg, time.Minute)
	client := g.client()
	_, err := client.Chat.Completions.New(context.Background(), gemMsg("gem", "x"))
	e := apiError(t, err)
	if e.StatusCode != 502 || e.Code != "upstream_auth_error" || strings.Contains(e.Message, "wrong-key") {
		t.Fatalf("got %d %q %q, want 502 upstream_auth_error without the key (Gemini answers a bad key with 400)", e.StatusCode, e.Code, e.Message)
	}
}

// TestGeminiSafetyIsContentFilter uses a stand-in upstream with Gemini's documented answers to
// unsafe input, which mockllm's knobs cannot produce: a candidate stopped by SAFETY, and a
// prompt blocked outright.
func TestGeminiSafetyIsContentFilter(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.Contains(r.URL.Path, "blocked") {
			_, _ = w.Write([]byte(`{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":5,"totalTokenCount":5},"modelVersion":"blocked","responseId":"b"}`))
			return
		}
		_, _ = w.Write([]byte(`{"candidates":[{"finishReason":"SAFETY","index":0,"safetyRatings":[{"category":"HARM_CATEGORY_DANGEROUS_CONTENT","probability":"HIGH"}]}],` +
			`"usageMetadata":{"promptTokenCount":5,"totalTokenCount":5},"modelVersion":"gemini-2.5-flash","responseId":"s"}`))
	}))
	t.Cleanup(upstream.Close)
	cfg := strings.Replace(geminiConfig, "{{MOCK}}/v1beta", upstream.URL+"/v1beta", 1)
	g := start(t, cfg, time.Minute)
	client := g.client()
	resp, err := client.Chat.Completions.New(context.Background(), gemMsg("gem", "something unsafe"))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c := resp.Choices[0]; c.FinishReason != "content_filter" || c.Message.Content != "" {
		t.Errorf("choice = %+v, want finish_reason content_filter and no content", c)
	}
	_, err = client.Chat.Completions.New(context.Background(), gemMsg("gem/blocked", "something unsafe"))
	if e := apiError(t, err); e.StatusCode != 400 || e.Code != "content_filter" {
		t.Errorf("blocked prompt: got %d %q, want 400 content_filter", e.StatusCode, e.Code)
	}
}
