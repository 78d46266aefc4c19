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

// bedrockConfig points provider "aws" (type bedrock) at the mock, which verifies SigV4 with the
// harness's AWS key pair; "claude" and "titan" are aliases of its models.
const bedrockConfig = `
server:
  shutdown_timeout: 10s
providers:
  aws:
    type: bedrock
    base_url: {{MOCK}}
    region: us-east-1
    aws_access_key_id: ` + mockAWSKeyID + `
    aws_secret_access_key: ` + mockAWSSecret + `
    timeout: {{TIMEOUT}}
models:
  - name: claude
    targets:
      - provider: aws
        model: ` + bedrockModel + `
  - name: titan
    targets:
      - provider: aws
        model: amazon.titan-embed-text-v2:0
`

const bedrockModel = "anthropic.claude-3-5-sonnet-20240620-v1:0"

func bedrockMsg(text string) openai.ChatCompletionNewParams {
	p := userMsg(text)
	p.Model = "claude"
	return p
}

func TestBedrockChatCompletion(t *testing.T) {
	g := start(t, bedrockConfig, time.Minute)
	var httpResp *http.Response
	params := bedrockMsg("Say hello")
	params.Messages = append([]openai.ChatCompletionMessageParamUnion{openai.SystemMessage("Be brief.")}, params.Messages...)
	params.Temperature = openai.Float(0.2)
	client := g.client()
	resp, err := client.Chat.Completions.New(context.Background(), params, option.WithResponseInto(&httpResp))
	if err != nil {
		t.Fatalf("Chat.Completions.New: %v", err)
	}
	if len(resp.Choices) != 1 || resp.Choices[0].Message.Content == "" || resp.Choices[0].FinishReason != "stop" {
		t.Fatalf("unexpected completion: %+v", resp)
	}
	if resp.Model != bedrockModel || !strings.HasPrefix(resp.ID, "chatcmpl-") {
		t.Errorf("model %q id %q, want the Bedrock model and a chatcmpl- id", resp.Model, resp.ID)
	}
	if u := resp.Usage; u.CompletionTokens != 16 || u.PromptTokens <= 0 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage = %+v", u)
	}
	if p := httpResp.Header.Get("X-Sluice-Provider"); p != "aws" {
		t.Errorf("X-Sluice-Provider = %q", p)
	}
	up := g.lastUpstream(t)
	if up.Path != "/model/"+bedrockModel+"/converse" || !strings.Contains(up.Header.Get("Authorization"), mockAWSKeyID+"/") {
		t.Errorf("upstream %s with Authorization %q, want a SigV4-signed Converse call", up.Path, up.Header.Get("Authorization"))
	}
	var body struct {
		System          []map[string]string `json:"system"`
		InferenceConfig map[string]float64  `json:"inferenceConfig"`
	}
	if err := json.Unmarshal(up.Body, &body); err != nil || len(body.System) != 1 || body.InferenceConfig["temperature"] != 0.2 {
		t.Errorf("upstream body %s: want the system block and temperature in inferenceConfig", up.Body)
	}
}

func TestBedrockStreamMatchesNonStream(t *testing.T) {
	g := start(t, bedrockConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	whole, err := client.Chat.Completions.New(ctx, bedrockMsg("stream me"))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	params := bedrockMsg("stream me")
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := client.Chat.Completions.NewStreaming(ctx, params)
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if got, want := acc.Choices[0].Message.Content, whole.Choices[0].Message.Content; got != want {
		t.Errorf("streamed content %q != non-streamed %q", got, want)
	}
	if acc.Choices[0].FinishReason != "stop" || chunks != 16+3 {
		t.Errorf("finish %q after %d chunks, want stop after role + 16 deltas + finish + usage", acc.Choices[0].FinishReason, chunks)
	}
	if acc.Usage.CompletionTokens != whole.Usage.CompletionTokens || acc.Usage.PromptTokens != whole.Usage.PromptTokens {
		t.Errorf("stream usage %+v != non-stream usage %+v", acc.Usage, whole.Usage)
	}
	if up := g.lastUpstream(t); !strings.HasSuffix(up.Path, "/converse-stream") {
		t.Errorf("upstream path = %s", up.Path)
	}
}

func bedrockWeatherTool() openai.ChatCompletionToolUnionParam {
	return openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
		Name: "get_weather",
		Parameters: openai.FunctionParameters{"type": "object",
			"properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}},
	})
}

func TestBedrockToolCallRoundTrip(t *testing.T) {
	g := start(t, bedrockConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	params := bedrockMsg("Weather in Paris? [[mock tool_call=get_weather]]")
	params.Tools = []openai.ChatCompletionToolUnionParam{bedrockWeatherTool()}
	first, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	msg := first.Choices[0].Message
	if first.Choices[0].FinishReason != "tool_calls" || len(msg.ToolCalls) != 1 || msg.ToolCalls[0].Function.Name != "get_weather" {
		t.Fatalf("first answer = %+v, want one get_weather call", first.Choices[0])
	}
	var args map[string]any
	if err := json.Unmarshal([]byte(msg.ToolCalls[0].Function.Arguments), &args); err != nil || args["city"] == nil {
		t.Fatalf("arguments %q: %v", msg.ToolCalls[0].Function.Arguments, err)
	}

	params.Messages = append(params.Messages, msg.ToParam(), openai.ToolMessage(`{"temp_c":21}`, msg.ToolCalls[0].ID))
	second, err := client.Chat.Completions.New(ctx, params)
	if err != nil {
		t.Fatalf("New with the tool result: %v", err)
	}
	if second.Choices[0].FinishReason != "stop" || second.Choices[0].Message.Content == "" {
		t.Errorf("second answer = %+v, want text", second.Choices[0])
	}
	var body struct {
		Messages []struct {
			Role    string           `json:"role"`
			Content []map[string]any `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(g.lastUpstream(t).Body, &body); err != nil || len(body.Messages) != 3 {
		t.Fatalf("upstream body %s", g.lastUpstream(t).Body)
	}
	use, _ := body.Messages[1].Content[0]["toolUse"].(map[string]any)
	result, _ := body.Messages[2].Content[0]["toolResult"].(map[string]any)
	if use == nil || result == nil || use["toolUseId"] != msg.ToolCalls[0].ID || result["toolUseId"] != msg.ToolCalls[0].ID {
		t.Errorf("upstream messages %+v: want the toolUse and its toolResult with the call's id", body.Messages)
	}
}

func TestBedrockImageInput(t *testing.T) {
	g := start(t, bedrockConfig, time.Minute)
	client := g.client()
	const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
	image := func(url string) openai.ChatCompletionNewParams {
		p := bedrockMsg("")
		p.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage([]openai.ChatCompletionContentPartUnionParam{
			openai.TextContentPart("What is in this image?"),
			openai.ImageContentPart(openai.ChatCompletionContentPartImageImageURLParam{URL: url}),
		})}
		return p
	}
	if _, err := client.Chat.Completions.New(context.Background(), image("data:image/png;base64,"+png)); err != nil {
		t.Fatalf("New with a data: URL image: %v", err)
	}
	if body := string(g.lastUpstream(t).Body); !strings.Contains(body, `"image":{"format":"png","source":{"bytes":"`+png+`"}}`) {
		t.Errorf("upstream body %s lacks the image block", body)
	}
	sent := len(g.Mock.Server().Requests())
	_, err := client.Chat.Completions.New(context.Background(), image("https://example.com/cat.png"))
	if e := apiError(t, err); e.StatusCode != 400 || e.Code != "invalid_request" || e.Param != "messages[0].content[1].image_url.url" {
		t.Errorf("web image URL = %d %q param %q, want 400 invalid_request naming the part", e.StatusCode, e.Code, e.Param)
	}
	if len(g.Mock.Server().Requests()) != sent {
		t.Errorf("a refused request reached the provider")
	}
}

func TestBedrockEmbeddings(t *testing.T) {
	g := start(t, bedrockConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	titan, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "titan",
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("Hello world")}, Dimensions: openai.Int(256)})
	if err != nil {
		t.Fatalf("Embeddings.New titan: %v", err)
	}
	if len(titan.Data) != 1 || len(titan.Data[0].Embedding) != 256 || titan.Usage.PromptTokens <= 0 || titan.Model != "amazon.titan-embed-text-v2:0" {
		t.Errorf("titan embeddings: %d vectors, %d tokens, model %q", len(titan.Data), titan.Usage.PromptTokens, titan.Model)
	}
	cohere, err := client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "aws/cohere.embed-english-v3",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"alpha", "beta"}}})
	if err != nil {
		t.Fatalf("Embeddings.New cohere: %v", err)
	}
	if len(cohere.Data) != 2 || len(cohere.Data[1].Embedding) != 1024 || cohere.Data[1].Index != 1 || cohere.Usage.PromptTokens <= 0 {
		t.Errorf("cohere embeddings: %+v", cohere.Usage)
	}
	_, err = client.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "titan",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}})
	if e := apiError(t, err); e.StatusCode != 400 || e.Param != "input" {
		t.Errorf("titan with two inputs = %d param %q, want a 400 about input", e.StatusCode, e.Param)
	}
}

func TestBedrockWrongSecretIs502(t *testing.T) {
	cfg := strings.Replace(bedrockConfig, "aws_secret_access_key: "+mockAWSSecret, "aws_secret_access_key: not-the-secret", 1)
	g := start(t, cfg, time.Minute)
	client := g.client()
	_, err := client.Chat.Completions.New(context.Background(), bedrockMsg("x"))
	e := apiError(t, err)
	if e.StatusCode != 502 || e.Code != "upstream_auth_error" || !strings.Contains(e.Message, "InvalidSignatureException") {
		t.Fatalf("got %d %q %q, want 502 upstream_auth_error from Bedrock's InvalidSignatureException", e.StatusCode, e.Code, e.Message)
	}
	if strings.Contains(e.Message, "not-the-secret") || strings.Contains(e.Message, mockAWSSecret) {
		t.Errorf("error message leaks a secret: %q", e.Message)
	}
}

func TestBedrockThrottlingIs429(t *testing.T) {
	g := start(t, bedrockConfig, time.Minute)
	client := g.client()
	_, err := client.Chat.Completions.New(context.Background(), bedrockMsg("[[mock status=429]]"))
	if e := apiError(t, err); e.StatusCode != 429 || e.Type != "ThrottlingException" || e.Message == "" {
		t.Fatalf("got %d %q %q, want 429 ThrottlingException", e.StatusCode, e.Type, e.Message)
	}
}

func TestBedrockStreamFaultsEndWithErrorEventAndNoDone(t *testing.T) {
	g := start(t, bedrockConfig, time.Minute)
	for _, tc := range []struct{ knob, typ, code string }{
		{"error_after=2", "ModelStreamErrorException", ""},
		{"cut_after=3", "server_error", "stream_interrupted"},
	} {
		t.Run(tc.knob, func(t *testing.T) {
			body := `{"model":"claude","stream":true,"messages":[{"role":"user","content":"[[mock ` + tc.knob + `]]"}]}`
			if _, e := failedStream(t, g, body, 2); e.Type != tc.typ || e.Code != tc.code {
				t.Errorf("error type %q code %q, want %q %q", e.Type, e.Code, tc.typ, tc.code)
			}
		})
	}
}
