package mockllm

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/genai"
)

// The official Go SDK (google.golang.org/genai) parses every answer here, so the mock's JSON is
// held to Gemini's real shapes rather than to structs of our own.

const gmTestModel = "gemini-2.5-flash"

// gmClient is the SDK pointed at inst; the SDK insists on a key even when the mock needs none.
func gmClient(t *testing.T, inst *Instance, key string) *genai.Client {
	t.Helper()
	if key == "" {
		key = "unchecked"
	}
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:      key,
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: inst.URL(), APIVersion: "v1beta"},
		HTTPClient:  &http.Client{},
	})
	if err != nil {
		t.Fatalf("genai.NewClient: %v", err)
	}
	return c
}

func apiErr(t *testing.T, err error) genai.APIError {
	t.Helper()
	var e genai.APIError
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want a genai.APIError", err, err)
	}
	return e
}

func TestGeminiGenerateContentParsesWithSDK(t *testing.T) {
	inst := start(t, Options{Tokens: 5, APIKey: "gm-key"})
	c := gmClient(t, inst, "gm-key")
	cfg := &genai.GenerateContentConfig{CandidateCount: 2, SystemInstruction: genai.NewContentFromText("Be brief.", "")}
	got, err := c.Models.GenerateContent(t.Context(), gmTestModel, genai.Text("Say hello"), cfg)
	if err != nil {
		t.Fatalf("GenerateContent: %v", err)
	}
	if len(got.Candidates) != 2 || got.ModelVersion != gmTestModel || got.ResponseID == "" {
		t.Fatalf("response: %d candidates, model %q, id %q; want 2, %s, an id", len(got.Candidates), got.ModelVersion, got.ResponseID, gmTestModel)
	}
	for i, cand := range got.Candidates {
		if cand.Index != int32(i) || cand.FinishReason != genai.FinishReasonStop || cand.Content.Role != "model" {
			t.Errorf("candidate %d: index %d finish %q role %q", i, cand.Index, cand.FinishReason, cand.Content.Role)
		}
	}
	if words := strings.Fields(got.Candidates[0].Content.Parts[0].Text); len(words) != 5 {
		t.Errorf("text %q has %d words, want 5", got.Candidates[0].Content.Parts[0].Text, len(words))
	}
	u := got.UsageMetadata
	if u == nil || u.CandidatesTokenCount != 10 || u.PromptTokenCount <= 0 || u.TotalTokenCount != u.PromptTokenCount+10 {
		t.Errorf("usage = %+v, want 10 candidate tokens and a consistent total", u)
	}
}

func TestGeminiStreamMatchesWholeAnswer(t *testing.T) {
	inst := start(t, Options{Tokens: 6})
	c := gmClient(t, inst, "")
	whole, err := c.Models.GenerateContent(t.Context(), gmTestModel, genai.Text("Stream me"), nil)
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	var last *genai.GenerateContentResponse
	events := 0
	for resp, err := range c.Models.GenerateContentStream(t.Context(), gmTestModel, genai.Text("Stream me"), nil) {
		if err != nil {
			t.Fatalf("stream: %v", err)
		}
		events++
		text.WriteString(resp.Text())
		last = resp
	}
	if text.String() != whole.Text() {
		t.Errorf("streamed %q, whole answer %q", text.String(), whole.Text())
	}
	if events != 7 || last.Candidates[0].FinishReason != genai.FinishReasonStop {
		t.Errorf("%d events, last finish %q; want 6 pieces and a finish event", events, last.Candidates[0].FinishReason)
	}
	if last.UsageMetadata.CandidatesTokenCount != 6 || last.UsageMetadata.PromptTokenCount != whole.UsageMetadata.PromptTokenCount {
		t.Errorf("final usage %+v, whole answer's %+v", last.UsageMetadata, whole.UsageMetadata)
	}
}

func weatherDecl() []*genai.Tool {
	return []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{{
		Name: "get_weather", Description: "Weather in a city",
		Parameters: &genai.Schema{Type: genai.TypeObject, Properties: map[string]*genai.Schema{
			"city": {Type: genai.TypeString}, "days": {Type: genai.TypeInteger}}, Required: []string{"city"}},
	}}}}
}

func TestGeminiFunctionCalls(t *testing.T) {
	inst := start(t, Options{})
	c := gmClient(t, inst, "")
	tests := []struct {
		name string
		text string
		cfg  *genai.GenerateContentConfig
	}{
		{"mode ANY", "Weather?", &genai.GenerateContentConfig{Tools: weatherDecl(), ToolConfig: &genai.ToolConfig{
			FunctionCallingConfig: &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeAny}}}},
		{"tool_call knob", "Weather? [[mock tool_call=get_weather]]", &genai.GenerateContentConfig{Tools: weatherDecl()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.Models.GenerateContent(t.Context(), gmTestModel, genai.Text(tt.text), tt.cfg)
			if err != nil {
				t.Fatal(err)
			}
			calls := got.FunctionCalls()
			if len(calls) != 1 || calls[0].Name != "get_weather" {
				t.Fatalf("function calls = %+v, want get_weather", calls)
			}
			if _, ok := calls[0].Args["city"].(string); !ok {
				t.Errorf("args = %v, want a string city", calls[0].Args)
			}
			if _, ok := calls[0].Args["days"].(float64); !ok {
				t.Errorf("args = %v, want a numeric days (schema type INTEGER)", calls[0].Args)
			}
			p := got.Candidates[0].Content.Parts[0]
			if len(p.ThoughtSignature) == 0 || got.Candidates[0].FinishReason != genai.FinishReasonStop {
				t.Errorf("part %+v finish %q: want a thought signature and STOP", p, got.Candidates[0].FinishReason)
			}
		})
	}
}

func TestGeminiEmbeddings(t *testing.T) {
	inst := start(t, Options{})
	c := gmClient(t, inst, "")
	dims := int32(16)
	got, err := c.Models.EmbedContent(t.Context(), "gemini-embedding-001",
		[]*genai.Content{genai.NewContentFromText("first", ""), genai.NewContentFromText("second", "")},
		&genai.EmbedContentConfig{OutputDimensionality: &dims})
	if err != nil {
		t.Fatalf("EmbedContent: %v", err)
	}
	if len(got.Embeddings) != 2 || len(got.Embeddings[0].Values) != 16 {
		t.Fatalf("embeddings: %d, first of %d values; want 2 of 16", len(got.Embeddings), len(got.Embeddings[0].Values))
	}
	again, err := c.Models.EmbedContent(t.Context(), "gemini-embedding-001",
		[]*genai.Content{genai.NewContentFromText("second", "")}, &genai.EmbedContentConfig{OutputDimensionality: &dims})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range again.Embeddings[0].Values {
		if v != got.Embeddings[1].Values[i] {
			t.Fatalf("the same text embeds differently at %d: %v vs %v", i, v, got.Embeddings[1].Values[i])
		}
	}
	full, err := c.Models.EmbedContent(t.Context(), "gemini-embedding-001", genai.Text("x"), nil)
	if err != nil || len(full.Embeddings[0].Values) != gmGeminiEmbDims {
		t.Errorf("default dimensions: %v, %d values; want %d", err, len(full.Embeddings[0].Values), gmGeminiEmbDims)
	}
}

func TestGeminiModels(t *testing.T) {
	inst := start(t, Options{})
	c := gmClient(t, inst, "")
	page, err := c.Models.List(t.Context(), nil)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(page.Items) != len(gmModels) || page.Items[0].Name != "models/gemini-2.5-flash" {
		t.Errorf("models: %d, first %q", len(page.Items), page.Items[0].Name)
	}
	m, err := c.Models.Get(t.Context(), "gemini-9-ultra", nil)
	if err != nil || m.Name != "models/gemini-9-ultra" {
		t.Errorf("Get of an unlisted model: %+v, %v", m, err)
	}
}

func TestGeminiErrorsParseWithSDK(t *testing.T) {
	inst := start(t, Options{APIKey: "gm-key"})
	tests := []struct {
		name, key, text string
		code            int
		status, inMsg   string
	}{
		{"wrong key", "nope", "hi", 400, "INVALID_ARGUMENT", "API key not valid"},
		{"rate limit", "gm-key", "hi [[mock status=429 retry_after=7]]", 429, "RESOURCE_EXHAUSTED", "quota"},
		{"overloaded", "gm-key", "hi [[mock status=503]]", 503, "UNAVAILABLE", "overloaded"},
		{"not found", "gm-key", "hi [[mock status=404]]", 404, "NOT_FOUND", "models/" + gmTestModel},
		{"bad knob", "gm-key", "hi [[mock tokens=lots]]", 400, "INVALID_ARGUMENT", "mockllm"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := gmClient(t, inst, tt.key).Models.GenerateContent(t.Context(), gmTestModel, genai.Text(tt.text), nil)
			e := apiErr(t, err)
			if e.Code != tt.code || e.Status != tt.status || !strings.Contains(e.Message, tt.inMsg) {
				t.Errorf("got %d %s %q, want %d %s containing %q", e.Code, e.Status, e.Message, tt.code, tt.status, tt.inMsg)
			}
		})
	}
	status, body, _ := gmPost(t, inst.URL()+"/v1beta/models/"+gmTestModel+":generateContent", `{"contents":[{"parts":[{"text":"hi"}]}]}`, nil)
	if status != 403 || !strings.Contains(body, `"status":"PERMISSION_DENIED"`) || !strings.Contains(body, "unregistered callers") {
		t.Errorf("without a key: %d %s, want 403 PERMISSION_DENIED", status, body)
	}
	_, err := gmClient(t, inst, "gm-key").Models.GenerateContent(t.Context(), gmTestModel, genai.Text("hi [[mock status=429 retry_after=7]]"), nil)
	found := false
	for _, d := range apiErr(t, err).Details {
		found = found || d["retryDelay"] == "7s"
	}
	if !found {
		t.Errorf("429 details %v lack RetryInfo retryDelay 7s", apiErr(t, err).Details)
	}
}

func TestGeminiStreamFaults(t *testing.T) {
	inst := start(t, Options{Tokens: 5})
	c := gmClient(t, inst, "")
	var texts []string
	var streamErr error
	for resp, err := range c.Models.GenerateContentStream(t.Context(), gmTestModel, genai.Text("go [[mock error_after=2]]"), nil) {
		if err != nil {
			streamErr = err
			break
		}
		texts = append(texts, resp.Text())
	}
	if e := apiErr(t, streamErr); e.Code != 500 || e.Status != "INTERNAL" || len(texts) != 2 {
		t.Errorf("error_after=2: %d pieces then %d %s, want 2 pieces then 500 INTERNAL", len(texts), e.Code, e.Status)
	}

	status, body, readErr := gmPost(t, inst.URL()+"/v1beta/models/"+gmTestModel+":streamGenerateContent?alt=sse",
		`{"contents":[{"parts":[{"text":"go [[mock cut_after=3]]"}]}]}`, nil)
	if status != 200 || readErr == nil || strings.Count(body, "data: ") != 3 || strings.Contains(body, "finishReason") {
		t.Errorf("cut_after=3: status %d, read error %v, body %q; want 3 events, no finish, a broken connection", status, readErr, body)
	}
}

func TestGeminiHangAndPacingKnobs(t *testing.T) {
	inst := start(t, Options{Tokens: 3})
	c := gmClient(t, inst, "")
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	_, err := c.Models.GenerateContent(ctx, gmTestModel, genai.Text("wait [[mock hang]]"), nil)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("hang: got %v, want context.DeadlineExceeded", err)
	}
	waitFor(t, func() bool { return inst.Server().Stats().Canceled == 1 })

	// Pacing knobs delay an answer without changing its shape.
	events := 0
	for resp, err := range c.Models.GenerateContentStream(t.Context(), gmTestModel,
		genai.Text("go [[mock latency=1ms ttft=1ms token_delay=1ms]]"), nil) {
		if err != nil {
			t.Fatalf("paced stream: %v", err)
		}
		if resp.UsageMetadata == nil {
			t.Error("paced stream event without usageMetadata")
		}
		events++
	}
	if events != 4 {
		t.Errorf("paced stream: %d events, want 3 pieces and a finish", events)
	}
}
