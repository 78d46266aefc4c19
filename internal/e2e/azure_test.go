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

// azureConfig points provider az at the mock's Azure API (deployment-based paths under the
// mock's root) and declares alias gpt4o for deployment gpt4o-prod.
const azureConfig = `
server:
  max_body_bytes: 64KiB
  shutdown_timeout: 10s
providers:
  az:
    type: azure
    base_url: {{MOCK}}
    api_key: ` + mockKey + `
    api_version: "2024-10-21"
    timeout: {{TIMEOUT}}
  az-wrong-key:
    type: azure
    base_url: {{MOCK}}
    api_key: not-the-key
  az-old-version:
    type: azure
    base_url: {{MOCK}}
    api_key: ` + mockKey + `
    api_version: "2021-01-01"
  az-entra:
    type: azure
    base_url: {{MOCK}}
    azure_ad_token: ` + mockKey + `
models:
  - name: gpt4o
    targets:
      - provider: az
        model: gpt4o-prod
`

func TestAzureChatReachesTheDeployment(t *testing.T) {
	g := start(t, azureConfig, time.Minute)
	client := g.client()
	params := userMsg("Say hello")
	params.Model = "gpt4o"
	resp, err := client.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatalf("Chat.Completions.New: %v", err)
	}
	if resp.Choices[0].Message.Content == "" || resp.Choices[0].FinishReason != "stop" || resp.Usage.TotalTokens == 0 {
		t.Fatalf("completion: %s", resp.RawJSON())
	}
	if !strings.Contains(resp.RawJSON(), `"prompt_filter_results"`) || !strings.Contains(resp.RawJSON(), `"content_filter_results"`) {
		t.Errorf("Azure's content filter annotations did not reach the client: %s", resp.RawJSON())
	}
	up := g.lastUpstream(t)
	if up.Path != "/openai/deployments/gpt4o-prod/chat/completions" {
		t.Errorf("upstream path = %q, want the deployment's", up.Path)
	}
	if got := up.Header.Get("Api-Key"); got != mockKey {
		t.Errorf("upstream api-key = %q, want the configured key", got)
	}
	if got := up.Header.Get("Authorization"); got != "" {
		t.Errorf("upstream Authorization = %q: the client's key must not reach Azure", got)
	}
	var body map[string]any
	if err := json.Unmarshal(up.Body, &body); err != nil || body["model"] != "gpt4o-prod" {
		t.Errorf("upstream body model = %v (%v)", body["model"], err)
	}
}

func TestAzureStreamStartsWithTheAssistantRole(t *testing.T) {
	g := start(t, azureConfig, time.Minute)
	client := g.client()
	params := userMsg("Stream please")
	params.Model = "gpt4o"
	params.StreamOptions.IncludeUsage = openai.Bool(true)
	stream := client.Chat.Completions.NewStreaming(context.Background(), params)
	var chunks []openai.ChatCompletionChunk
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		chunks = append(chunks, stream.Current())
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	first := chunks[0]
	if len(first.Choices) != 1 || first.Choices[0].Delta.Role != "assistant" || first.ID == "" {
		t.Fatalf("first chunk = %s, want the assistant role (Azure's prompt filter chunk folded in)", first.RawJSON())
	}
	if !strings.Contains(first.RawJSON(), `"prompt_filter_results"`) {
		t.Errorf("the prompt filter results were lost: %s", first.RawJSON())
	}
	if acc.Choices[0].Message.Content == "" || acc.Usage.CompletionTokens != 16 {
		t.Errorf("accumulated: content %q, usage %+v", acc.Choices[0].Message.Content, acc.Usage)
	}
	if up := g.lastUpstream(t); !strings.Contains(string(up.Body), `"include_usage":true`) {
		t.Errorf("upstream body: %s", up.Body)
	}
}

func TestAzureEmbeddings(t *testing.T) {
	g := start(t, azureConfig, time.Minute)
	client := g.client()
	resp, err := client.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model: "az/text-embedding-3-small", Dimensions: openai.Int(8),
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"alpha", "beta"}},
	})
	if err != nil {
		t.Fatalf("Embeddings.New: %v", err)
	}
	if len(resp.Data) != 2 || len(resp.Data[1].Embedding) != 8 || resp.Model != "text-embedding-3-small" {
		t.Errorf("embeddings: %s", resp.RawJSON())
	}
	if up := g.lastUpstream(t); up.Path != "/openai/deployments/text-embedding-3-small/embeddings" {
		t.Errorf("upstream path = %q", up.Path)
	}
}

func TestAzureCredentialsAndVersion(t *testing.T) {
	g := start(t, azureConfig, time.Minute)
	client := g.client()
	for _, tc := range []struct {
		model  string
		status int
		code   string
	}{
		// Azure refusing the gateway's key is the operator's problem: 502, not the client's 401.
		{"az-wrong-key/gpt4o-prod", http.StatusBadGateway, "upstream_auth_error"},
		// The mock, like Azure, answers 404 to an api-version it does not know: the configured
		// value is what reaches it.
		{"az-old-version/gpt4o-prod", http.StatusNotFound, "404"},
	} {
		params := userMsg("hi")
		params.Model = tc.model
		_, err := client.Chat.Completions.New(context.Background(), params)
		if e := apiError(t, err); e.StatusCode != tc.status || e.Code != tc.code {
			t.Errorf("%s: %d %q, want %d %q (%s)", tc.model, e.StatusCode, e.Code, tc.status, tc.code, e.Message)
		}
	}

	params := userMsg("hi")
	params.Model = "az-entra/gpt4o-prod"
	if _, err := client.Chat.Completions.New(context.Background(), params); err != nil {
		t.Fatalf("Entra ID token: %v", err)
	}
	up := g.lastUpstream(t)
	if up.Header.Get("Authorization") != "Bearer "+mockKey || up.Header.Get("Api-Key") != "" {
		t.Errorf("Entra ID: Authorization %q, api-key %q; want the token as bearer and no key",
			up.Header.Get("Authorization"), up.Header.Get("Api-Key"))
	}
}
