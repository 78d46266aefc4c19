package mockllm

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

const azureVersion = "2024-10-21"

// azureClient is the OpenAI SDK pointed at one deployment the way Azure's clients address it:
// the deployment in the path, api-version in the query, the key in api-key.
func azureClient(inst *Instance, deployment string, opts ...option.RequestOption) openai.Client {
	base := []option.RequestOption{
		option.WithBaseURL(inst.URL() + "/openai/deployments/" + deployment + "/"),
		option.WithAPIKey("unused"), // the SDK insists on one; Azure reads api-key
		option.WithHeader("api-key", "az-key"),
		option.WithQuery("api-version", azureVersion),
		option.WithMaxRetries(0),
	}
	return openai.NewClient(append(base, opts...)...)
}

func TestAzureChatCarriesContentFilterResults(t *testing.T) {
	inst := start(t, Options{APIKey: "az-key", Tokens: 4})
	c := azureClient(inst, "gpt4o-prod")
	got, err := c.Chat.Completions.New(t.Context(), chatParams("Hello"))
	if err != nil {
		t.Fatalf("Chat.Completions.New: %v", err)
	}
	if got.Model != "gpt4o-prod" || len(strings.Fields(got.Choices[0].Message.Content)) != 4 {
		t.Errorf("completion: %s", got.RawJSON())
	}
	var raw struct {
		PromptFilterResults []struct {
			PromptIndex          int             `json:"prompt_index"`
			ContentFilterResults json.RawMessage `json:"content_filter_results"`
		} `json:"prompt_filter_results"`
		Choices []struct {
			ContentFilterResults map[string]struct{ Filtered bool } `json:"content_filter_results"`
		} `json:"choices"`
	}
	if err := json.Unmarshal([]byte(got.RawJSON()), &raw); err != nil {
		t.Fatal(err)
	}
	if len(raw.PromptFilterResults) != 1 || len(raw.Choices[0].ContentFilterResults) != 4 {
		t.Errorf("content filter annotations missing: %s", got.RawJSON())
	}
	up := inst.Server().Requests()[0]
	if up.Path != "/openai/deployments/gpt4o-prod/chat/completions" || up.Header.Get("Api-Key") != "az-key" {
		t.Errorf("request seen as %s with api-key %q", up.Path, up.Header.Get("Api-Key"))
	}
}

func TestAzureStreamOpensWithThePromptFilterChunk(t *testing.T) {
	inst := start(t, Options{APIKey: "az-key", Tokens: 3})
	c := azureClient(inst, "gpt4o-prod")
	p := chatParams("Stream me")
	p.StreamOptions.IncludeUsage = openai.Bool(true)
	chunks, err := collect(t, c.Chat.Completions.NewStreaming(t.Context(), p))
	if err != nil {
		t.Fatalf("stream: %v", err)
	}
	first := chunks[0]
	if len(first.Choices) != 0 || first.ID != "" || !strings.Contains(first.RawJSON(), `"prompt_filter_results"`) {
		t.Fatalf("first chunk: %s", first.RawJSON())
	}
	var text strings.Builder
	for _, ch := range chunks[1:] {
		for _, choice := range ch.Choices {
			text.WriteString(choice.Delta.Content)
		}
	}
	last := chunks[len(chunks)-1]
	if len(strings.Fields(text.String())) != 3 || last.Usage.CompletionTokens != 3 {
		t.Errorf("content %q, last chunk %s", text.String(), last.RawJSON())
	}
}

func TestAzureEveryOperationAnswersAsTheDeployment(t *testing.T) {
	inst := start(t, Options{APIKey: "az-key", Tokens: 5})
	ctx := t.Context()
	embed, images, whisper, tts := azureClient(inst, "embed-small"), azureClient(inst, "dall-e-3"), azureClient(inst, "whisper"), azureClient(inst, "tts")
	emb, err := embed.Embeddings.New(ctx, openai.EmbeddingNewParams{
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hi")}, Model: "ignored", Dimensions: openai.Int(4)})
	if err != nil || emb.Model != "embed-small" || len(emb.Data[0].Embedding) != 4 {
		t.Fatalf("Embeddings.New: %v %+v", err, emb)
	}
	img, err := images.Images.Generate(ctx, openai.ImageGenerateParams{Prompt: "a cat", Model: "ignored"})
	if err != nil || img.Data[0].URL == "" || img.Data[0].RevisedPrompt == "" ||
		!strings.Contains(img.RawJSON(), `"content_filter_results"`) || !strings.Contains(img.RawJSON(), `"prompt_filter_results"`) {
		t.Fatalf("Images.Generate: %v %s", err, img.RawJSON())
	}
	tr, err := whisper.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{
		File: openai.File(bytes.NewReader([]byte("audio")), "a.wav", "audio/wav"), Model: "whisper-1"})
	if err != nil || len(strings.Fields(tr.Text)) != 5 {
		t.Fatalf("Transcriptions.New: %v %+v", err, tr)
	}
	resp, err := tts.Audio.Speech.New(ctx, openai.AudioSpeechNewParams{Model: "tts-1", Input: "hi",
		Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("alloy")}, ResponseFormat: "wav"})
	if err != nil {
		t.Fatalf("Speech.New: %v", err)
	}
	audio, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "audio/wav" || !bytes.HasPrefix(audio, []byte("RIFF")) {
		t.Errorf("speech: %s, % x", resp.Header.Get("Content-Type"), audio[:min(8, len(audio))])
	}
}

// rawAzure posts to the mock directly, for requests an SDK would not send.
func rawAzure(t *testing.T, url string, header http.Header) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(`{"messages":[{"role":"user","content":"hi"}]}`))
	req.Header = header
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("%s: not JSON: %s", url, raw)
	}
	return resp.StatusCode, resp.Header, body
}

func TestAzureErrorsInAzureShape(t *testing.T) {
	inst := start(t, Options{APIKey: "az-key"})
	chat := inst.URL() + "/openai/deployments/gpt4o/chat/completions"
	key := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	for _, tc := range []struct {
		name, url  string
		header     http.Header
		status     int
		code, text string
	}{
		{"wrong key", chat + "?api-version=" + azureVersion, key("api-key", "nope"), 401, "401", "Access denied due to invalid subscription key"},
		{"no key", chat + "?api-version=" + azureVersion, key(), 401, "401", "Access denied"},
		{"Entra ID token", chat + "?api-version=" + azureVersion, key("Authorization", "Bearer az-key"), 200, "", ""},
		{"missing api-version", chat, key("api-key", "az-key"), 404, "404", "Resource not found"},
		{"unknown api-version", chat + "?api-version=1999-01-01", key("api-key", "az-key"), 404, "404", "Resource not found"},
		{"unknown operation", inst.URL() + "/openai/deployments/gpt4o/fine_tunes?api-version=" + azureVersion, key("api-key", "az-key"), 404, "404", "Resource not found"},
		{"missing deployment", chat + "?api-version=" + azureVersion, key("api-key", "az-key", "x-mock-status", "404"), 404, "DeploymentNotFound", "does not exist"},
		{"throttled", chat + "?api-version=" + azureVersion, key("api-key", "az-key", "x-mock-status", "429", "x-mock-retry-after", "6"), 429, "429", "Please retry after 6 seconds"},
		{"model service error keeps OpenAI's shape", chat + "?api-version=" + azureVersion, key("api-key", "az-key", "x-mock-status", "500"), 500, "", "The server had an error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, h, body := rawAzure(t, tc.url, tc.header)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %v", status, tc.status, body)
			}
			if status == 200 {
				return
			}
			e, _ := body["error"].(map[string]any)
			code, _ := e["code"].(string)
			msg, _ := e["message"].(string)
			if code != tc.code || !strings.Contains(msg, tc.text) {
				t.Errorf("error %v, want code %q and a message with %q", e, tc.code, tc.text)
			}
			if tc.status == 429 && (h.Get("Retry-After") != "6" || h.Get("Retry-After-Ms") != "6000") {
				t.Errorf("429 headers: retry-after %q, retry-after-ms %q", h.Get("Retry-After"), h.Get("Retry-After-Ms"))
			}
		})
	}
}

// FuzzAzureRewrite: any JSON answer, success or error, comes out as Azure's version or as is.
func FuzzAzureRewrite(f *testing.F) {
	f.Add(200, []byte(`{"choices":[{"index":0,"message":{"content":"hi"}}]}`), "chat/completions")
	f.Add(200, []byte(`{"data":[{"url":"u"}]}`), "images/generations")
	f.Add(404, []byte(`{"error":{"message":"m","type":"t","param":null,"code":"model_not_found"}}`), "embeddings")
	f.Add(429, []byte(`{"error":{"message":"m","code":null}}`), "chat/completions")
	f.Fuzz(func(t *testing.T, status int, body []byte, op string) {
		aw := &azureWriter{ResponseWriter: httptest.NewRecorder(), op: op}
		out := aw.rewrite(status, body)
		if json.Valid(body) && !json.Valid(out) {
			t.Fatalf("rewrite(%d, %s) = %s: not JSON", status, body, out)
		}
	})
}
