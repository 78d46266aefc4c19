package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/genai"
)

// The inbound Gemini API end to end: the official Go SDK (google.golang.org/genai), Sluice's
// /v1beta/models/{model}:{method}, and the mock speaking each upstream's own API behind it.

func (g *gateway) genaiClient(t *testing.T, key string) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      key,
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: g.URL, APIVersion: "v1beta"},
		HTTPClient:  &http.Client{},
	})
	if err != nil {
		t.Fatalf("genai.NewClient: %v", err)
	}
	return c
}

func genaiAPIError(t *testing.T, err error, code int, status string) {
	t.Helper()
	var e genai.APIError
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want a genai.APIError", err, err)
	}
	if e.Code != code || e.Status != status || e.Message == "" {
		t.Fatalf("error = %d %s %q, want %d %s with a message", e.Code, e.Status, e.Message, code, status)
	}
}

func TestGeminiAPIThroughEveryProvider(t *testing.T) {
	for _, up := range messagesUpstreams {
		t.Run(up.name, func(t *testing.T) {
			g := start(t, up.cfg, time.Minute)
			c := g.genaiClient(t, clientKey)
			cfg := &genai.GenerateContentConfig{SystemInstruction: genai.NewContentFromText("Be brief.", ""),
				MaxOutputTokens: 256, Temperature: genai.Ptr[float32](0.5)}
			whole, err := c.Models.GenerateContent(t.Context(), up.model, genai.Text("Say hello"), cfg)
			if err != nil {
				t.Fatalf("GenerateContent: %v", err)
			}
			if len(whole.Candidates) != 1 || whole.Text() == "" || whole.Candidates[0].FinishReason != genai.FinishReasonStop {
				t.Fatalf("answer: %d candidates, text %q; want one candidate with text and STOP", len(whole.Candidates), whole.Text())
			}
			if role := whole.Candidates[0].Content.Role; role != "model" {
				t.Errorf("role = %q, want model", role)
			}
			u := whole.UsageMetadata
			if u == nil || u.PromptTokenCount <= 0 || u.CandidatesTokenCount <= 0 || u.TotalTokenCount < u.PromptTokenCount+u.CandidatesTokenCount {
				t.Errorf("usage = %+v, want prompt, candidates and a consistent total", u)
			}
			if whole.ModelVersion == "" {
				t.Errorf("modelVersion is empty")
			}

			var text strings.Builder
			var last *genai.GenerateContentResponse
			events := 0
			for resp, err := range c.Models.GenerateContentStream(t.Context(), up.model, genai.Text("Say hello"), cfg) {
				if err != nil {
					t.Fatalf("stream: %v", err)
				}
				events++
				text.WriteString(resp.Text())
				last = resp
			}
			if events < 2 || text.Len() == 0 {
				t.Fatalf("%d events with text %q, want the text in pieces", events, text.String())
			}
			if last.Candidates[0].FinishReason != genai.FinishReasonStop || last.UsageMetadata == nil || last.UsageMetadata.CandidatesTokenCount <= 0 {
				t.Errorf("last event: finish %q usage %+v, want STOP and usage", last.Candidates[0].FinishReason, last.UsageMetadata)
			}
		})
	}
}

func weatherTools() []*genai.Tool {
	return []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{{
		Name: "get_weather", Description: "Weather in a city",
		Parameters: &genai.Schema{Type: genai.TypeObject, Properties: map[string]*genai.Schema{
			"city": {Type: genai.TypeString}}, Required: []string{"city"}},
	}}}}
}

func TestGeminiAPIFunctionCallingRoundTrip(t *testing.T) {
	for _, up := range messagesUpstreams {
		t.Run(up.name, func(t *testing.T) {
			g := start(t, up.cfg, time.Minute)
			c := g.genaiClient(t, clientKey)
			cfg := &genai.GenerateContentConfig{Tools: weatherTools(), ToolConfig: &genai.ToolConfig{
				FunctionCallingConfig: &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeAny}}}
			prompt := genai.Text("Weather in Paris? [[mock tool_call=get_weather]]")
			first, err := c.Models.GenerateContent(t.Context(), up.model, prompt, cfg)
			if err != nil {
				t.Fatalf("GenerateContent: %v", err)
			}
			calls := first.FunctionCalls()
			if len(calls) != 1 || calls[0].Name != "get_weather" {
				t.Fatalf("function calls = %+v, want get_weather", calls)
			}
			if city, _ := calls[0].Args["city"].(string); city == "" {
				t.Fatalf("args = %v, want a city as the schema says", calls[0].Args)
			}
			if up.name == "anthropic" {
				// The upstream API's schema reached it as JSON Schema, lower-case types.
				_, body := upstreamMessages(t, g)
				if typ := jsonAt(body["tools"]); !strings.Contains(typ, `"type":"object"`) || !strings.Contains(typ, `"type":"string"`) {
					t.Errorf("upstream tools = %s, want JSON Schema types", typ)
				}
			}

			var streamed []*genai.FunctionCall
			for resp, err := range c.Models.GenerateContentStream(t.Context(), up.model, prompt, cfg) {
				if err != nil {
					t.Fatalf("stream: %v", err)
				}
				streamed = append(streamed, resp.FunctionCalls()...)
			}
			if len(streamed) != 1 || streamed[0].Name != "get_weather" || streamed[0].Args["city"] == nil {
				t.Errorf("streamed function calls = %+v, want one whole get_weather call", streamed)
			}

			history := append(prompt, first.Candidates[0].Content,
				genai.NewContentFromFunctionResponse("get_weather", map[string]any{"temperature": "18C"}, genai.RoleUser))
			cfg.ToolConfig = nil
			second, err := c.Models.GenerateContent(t.Context(), up.model, history, cfg)
			if err != nil {
				t.Fatalf("GenerateContent with the function response: %v", err)
			}
			if second.Text() == "" || len(second.FunctionCalls()) != 0 {
				t.Errorf("second answer text %q calls %v, want text", second.Text(), second.FunctionCalls())
			}
		})
	}
}

func TestGeminiAPIEmbedContent(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	c := g.genaiClient(t, clientKey)
	dims := int32(8)
	got, err := c.Models.EmbedContent(t.Context(), "mock/text-embedding-3-small",
		[]*genai.Content{genai.NewContentFromText("alpha", ""), genai.NewContentFromText("beta", "")},
		&genai.EmbedContentConfig{OutputDimensionality: &dims, TaskType: "RETRIEVAL_DOCUMENT"})
	if err != nil {
		t.Fatalf("EmbedContent: %v", err)
	}
	if len(got.Embeddings) != 2 || len(got.Embeddings[0].Values) != 8 || len(got.Embeddings[1].Values) != 8 {
		t.Fatalf("embeddings = %+v, want two vectors of 8", got.Embeddings)
	}
	if got.Embeddings[0].Values[0] == got.Embeddings[1].Values[0] && got.Embeddings[0].Values[1] == got.Embeddings[1].Values[1] {
		t.Errorf("both inputs got the same vector")
	}
	up := g.lastUpstream(t)
	var body struct {
		Input      []string
		Dimensions int
	}
	if err := json.Unmarshal(up.Body, &body); err != nil || len(body.Input) != 2 || body.Input[1] != "beta" || body.Dimensions != 8 {
		t.Errorf("upstream body %s, want both texts and dimensions 8", up.Body)
	}

	// :embedContent, the single form other clients use.
	status, raw := geminiPost(t, g, "/v1beta/models/mock/text-embedding-3-small:embedContent", "",
		`{"content":{"parts":[{"text":"alpha"}]},"outputDimensionality":8}`)
	var one struct{ Embedding struct{ Values []float64 } }
	if err := json.Unmarshal(raw, &one); status != 200 || err != nil || len(one.Embedding.Values) != 8 {
		t.Fatalf("embedContent: %d %s", status, raw)
	}
	if float32(one.Embedding.Values[0]) != got.Embeddings[0].Values[0] {
		t.Errorf("embedContent vector differs from the batch's for the same text")
	}
}

func TestGeminiAPICountTokens(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	c := g.genaiClient(t, clientKey)
	short, err := c.Models.CountTokens(t.Context(), "fast", genai.Text("Hello"), nil)
	if err != nil {
		t.Fatalf("CountTokens: %v", err)
	}
	long, err := c.Models.CountTokens(t.Context(), "fast", genai.Text(strings.Repeat("Hello there, world. ", 20)), nil)
	if err != nil {
		t.Fatalf("CountTokens: %v", err)
	}
	if short.TotalTokens <= 0 || long.TotalTokens <= short.TotalTokens+40 {
		t.Errorf("counts short %d long %d: want positive and growing with the text", short.TotalTokens, long.TotalTokens)
	}
	if n := len(g.Mock.Server().Requests()); n != 0 {
		t.Errorf("counting sent %d requests upstream, want none", n)
	}
	_, err = c.Models.CountTokens(t.Context(), "no-such-model", genai.Text("Hello"), nil)
	genaiAPIError(t, err, 404, "NOT_FOUND")
}

// geminiPost sends a raw request, with the key in the query when key is set and in the
// x-goog-api-key header otherwise.
func geminiPost(t *testing.T, g *gateway, path, key, body string) (int, []byte) {
	t.Helper()
	url := g.URL + path
	if key != "" {
		sep := "?"
		if strings.Contains(path, "?") {
			sep = "&"
		}
		url += sep + "key=" + key
	}
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key == "" {
		req.Header.Set("X-Goog-Api-Key", clientKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return resp.StatusCode, raw
}

func TestGeminiAPIErrorsInGoogleShape(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	_, err := g.genaiClient(t, "sk-wrong").Models.GenerateContent(t.Context(), "fast", genai.Text("hi"), nil)
	genaiAPIError(t, err, 401, "UNAUTHENTICATED")
	c := g.genaiClient(t, clientKey)
	_, err = c.Models.GenerateContent(t.Context(), "no-such-model", genai.Text("hi"), nil)
	genaiAPIError(t, err, 404, "NOT_FOUND")
	_, err = c.Models.GenerateContent(t.Context(), "fast", genai.Text("hi"), &genai.GenerateContentConfig{CandidateCount: 2})
	genaiAPIError(t, err, 400, "INVALID_ARGUMENT")
	_, err = c.Models.GenerateContent(t.Context(), "fast", genai.Text("hi [[mock status=429]]"), nil)
	genaiAPIError(t, err, 429, "RESOURCE_EXHAUSTED")

	for _, tc := range []struct{ name, body, want string }{
		{"topK", `{"contents":[{"parts":[{"text":"hi"}]}],"generationConfig":{"topK":3}}`, "generationConfig.topK"},
		{"google search tool", `{"contents":[{"parts":[{"text":"hi"}]}],"tools":[{"googleSearch":{}}]}`, "tools[0].googleSearch"},
		{"audio", `{"contents":[{"parts":[{"inlineData":{"mimeType":"audio/wav","data":"AAAA"}}]}]}`, "audio/wav"},
		{"invalid json", `{"contents":`, "invalid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := geminiPost(t, g, "/v1beta/models/fast:generateContent", "", tc.body)
			var body struct {
				Error struct {
					Code            int
					Message, Status string
				}
			}
			if err := json.Unmarshal(raw, &body); err != nil || status != 400 || body.Error.Code != 400 ||
				body.Error.Status != "INVALID_ARGUMENT" || !strings.Contains(body.Error.Message, tc.want) {
				t.Errorf("got %d %s, want 400 INVALID_ARGUMENT naming %q", status, raw, tc.want)
			}
		})
	}
}

func TestGeminiAPIKeyInQueryAndJSONArrayStream(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	status, raw := geminiPost(t, g, "/v1beta/models/fast:generateContent", clientKey, `{"contents":[{"parts":[{"text":"hi"}]}]}`)
	if status != 200 {
		t.Fatalf("key in the query: %d %s", status, raw)
	}
	if status, raw := geminiPost(t, g, "/v1beta/models/fast:generateContent", "sk-wrong", `{"contents":[{"parts":[{"text":"hi"}]}]}`); status != 401 {
		t.Fatalf("wrong key in the query: %d %s, want 401", status, raw)
	}
	// Without alt=sse the stream is one JSON array of responses.
	status, raw = geminiPost(t, g, "/v1beta/models/fast:streamGenerateContent", clientKey, `{"contents":[{"parts":[{"text":"hi"}]}]}`)
	var events []struct {
		Candidates []struct {
			Content      struct{ Parts []struct{ Text string } }
			FinishReason string
		}
	}
	if err := json.Unmarshal(raw, &events); status != 200 || err != nil || len(events) < 2 {
		t.Fatalf("array stream: %d %s (%v)", status, raw, err)
	}
	if events[len(events)-1].Candidates[0].FinishReason != "STOP" || events[0].Candidates[0].Content.Parts[0].Text == "" {
		t.Errorf("array stream %s: want text first and STOP last", raw)
	}
}

func TestGeminiAPIStreamFaults(t *testing.T) {
	for _, up := range messagesUpstreams {
		t.Run(up.name, func(t *testing.T) {
			g := start(t, up.cfg, time.Minute)
			c := g.genaiClient(t, clientKey)
			for _, knob := range []string{"cut_after=2", "error_after=2"} {
				var texts int
				var streamErr error
				for resp, err := range c.Models.GenerateContentStream(t.Context(), up.model, genai.Text("[[mock "+knob+"]]"), nil) {
					if err != nil {
						streamErr = err
						break
					}
					if resp.Candidates[0].FinishReason != "" {
						t.Errorf("%s: a failed stream must not finish: %+v", knob, resp.Candidates[0])
					}
					texts++
				}
				if streamErr == nil || texts == 0 {
					t.Fatalf("%s: %d events then error %v; want content, then an error", knob, texts, streamErr)
				}
				var apiErr genai.APIError
				if !errors.As(streamErr, &apiErr) || apiErr.Code < 500 {
					t.Errorf("%s: error %v (%T), want a 5xx APIError from the final error object", knob, streamErr, streamErr)
				}
			}
		})
	}
}
