package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/sluicehq/sluice/internal/mockllm"
)

// mediaConfig has an OpenAI-format provider, an Azure one and a chat-only one.
const mediaConfig = `
server:
  max_body_bytes: 64KiB
  shutdown_timeout: 10s
providers:
  mock:
    type: openai
    base_url: {{MOCK}}/v1
    api_key: ` + mockKey + `
    timeout: {{TIMEOUT}}
  az:
    type: azure
    base_url: {{MOCK}}
    api_key: ` + mockKey + `
  claude:
    type: anthropic
    base_url: {{MOCK}}
    api_key: ` + mockKey + `
`

func TestImagesGenerateBase64AndURL(t *testing.T) {
	g := start(t, mediaConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	b64, err := client.Images.Generate(ctx, openai.ImageGenerateParams{Model: "mock/gpt-image-1", Prompt: "a lighthouse", N: openai.Int(2)})
	if err != nil {
		t.Fatalf("Images.Generate: %v", err)
	}
	if len(b64.Data) != 2 || b64.Usage.TotalTokens == 0 {
		t.Fatalf("images: %s", b64.RawJSON())
	}
	raw, err := base64.StdEncoding.DecodeString(b64.Data[0].B64JSON)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(raw)); err != nil {
		t.Errorf("b64_json is not a PNG: %v", err)
	}
	up := g.lastUpstream(t)
	var body map[string]any
	_ = json.Unmarshal(up.Body, &body)
	if up.Path != "/v1/images/generations" || body["model"] != "gpt-image-1" || body["n"] != 2.0 {
		t.Errorf("upstream: %s %s", up.Path, up.Body)
	}

	url, err := client.Images.Generate(ctx, openai.ImageGenerateParams{Model: "az/dall-e-3", Prompt: "a fox",
		ResponseFormat: openai.ImageGenerateParamsResponseFormatURL})
	if err != nil {
		t.Fatalf("Images.Generate through Azure: %v", err)
	}
	if url.Data[0].URL == "" || url.Data[0].RevisedPrompt == "" || !strings.Contains(url.RawJSON(), `"content_filter_results"`) {
		t.Errorf("Azure image: %s", url.RawJSON())
	}
	if up := g.lastUpstream(t); up.Path != "/openai/deployments/dall-e-3/images/generations" {
		t.Errorf("Azure upstream path = %q", up.Path)
	}
}

func TestAudioTranscriptionUploadsTheFile(t *testing.T) {
	g := start(t, mediaConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	audio := bytes.Repeat([]byte("RIFF fake audio "), 1000)
	transcribe := func(model string, file []byte) string {
		t.Helper()
		resp, err := client.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{
			Model: model, File: openai.File(bytes.NewReader(file), "speech.wav", "audio/wav"), Language: openai.String("en")})
		if err != nil {
			t.Fatalf("Transcriptions.New(%s): %v", model, err)
		}
		return resp.Text
	}
	text := transcribe("mock/whisper-1", audio)
	if len(strings.Fields(text)) != 16 {
		t.Errorf("transcript %q", text)
	}
	up := g.lastUpstream(t)
	fields := formFields(t, up)
	if up.Path != "/v1/audio/transcriptions" || fields["model"] != "whisper-1" || fields["language"] != "en" || fields["file"] != string(audio) {
		t.Errorf("upstream form at %s: model %q language %q, file intact: %v", up.Path, fields["model"], fields["language"], fields["file"] == string(audio))
	}
	if again := transcribe("az/whisper", audio); again != text {
		t.Errorf("the same file through Azure: %q, want %q", again, text)
	}
	if up := g.lastUpstream(t); up.Path != "/openai/deployments/whisper/audio/transcriptions" || formFields(t, up)["model"] != "whisper" {
		t.Errorf("Azure upstream: %s", up.Path)
	}
	if other := transcribe("mock/whisper-1", []byte("another recording")); other == text {
		t.Error("a different file gave the same transcript")
	}
}

// formFields parses a recorded multipart request into its fields' values.
func formFields(t *testing.T, up mockllm.RecordedRequest) map[string]string {
	t.Helper()
	_, params, err := mime.ParseMediaType(up.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("upstream Content-Type %q: %v", up.Header.Get("Content-Type"), err)
	}
	out := map[string]string{}
	mr := multipart.NewReader(bytes.NewReader(up.Body), params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("upstream form: %v", err)
		}
		v, _ := io.ReadAll(p)
		out[p.FormName()] = string(v)
	}
}

func TestAudioTranscriptionPlainTextFormats(t *testing.T) {
	g := start(t, mediaConfig, time.Minute)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.WriteField("model", "mock/whisper-1")
	_ = mw.WriteField("response_format", "srt")
	fw, _ := mw.CreateFormFile("file", "a.mp3")
	_, _ = fw.Write([]byte("ID3 audio"))
	_ = mw.Close()
	resp, err := post(g.URL+"/v1/audio/transcriptions", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") ||
		!strings.HasPrefix(string(out), "1\n00:00:00,000 --> ") {
		t.Errorf("srt: %d %s\n%s", resp.StatusCode, resp.Header.Get("Content-Type"), out)
	}
}

func TestAudioSpeechStreamsAsItArrives(t *testing.T) {
	g := start(t, mediaConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	speech := func(input string) (*http.Response, error) {
		return client.Audio.Speech.New(ctx, openai.AudioSpeechNewParams{Model: "mock/tts-1", Input: input,
			Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("alloy")}, ResponseFormat: "wav"})
	}
	resp, err := speech("Hello there [[mock tokens=5 token_delay=5ms]]")
	if err != nil {
		t.Fatalf("Speech.New: %v", err)
	}
	audio, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.Header.Get("Content-Type") != "audio/wav" || len(audio) != 44+5*960 || string(audio[:4]) != "RIFF" {
		t.Fatalf("speech: %v, %s, %d bytes", err, resp.Header.Get("Content-Type"), len(audio))
	}

	// The provider breaks off after two pieces. A gateway that buffered would answer with an
	// error status; one that streams has already sent the status and the first pieces, and can
	// only break the connection.
	resp, err = speech("Hello there [[mock tokens=5 token_delay=5ms cut_after=2]]")
	if err != nil {
		t.Fatalf("Speech.New: %v", err)
	}
	partial, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || err == nil || len(partial) < 4 || string(partial[:4]) != "RIFF" {
		t.Errorf("cut stream: status %d, %d bytes, err %v; want the first pieces then an error", resp.StatusCode, len(partial), err)
	}
}

func TestAudioUploadOverLimitIs413(t *testing.T) {
	g := start(t, mediaConfig, time.Minute)
	client := g.client()
	big := make([]byte, 25<<20+1) // server.max_upload_bytes defaults to 25 MiB
	_, err := client.Audio.Transcriptions.New(context.Background(), openai.AudioTranscriptionNewParams{
		Model: "mock/whisper-1", File: openai.File(bytes.NewReader(big), "long.wav", "audio/wav")})
	if e := apiError(t, err); e.StatusCode != http.StatusRequestEntityTooLarge || e.Code != "request_too_large" {
		t.Errorf("got %d %q, want 413 request_too_large", e.StatusCode, e.Code)
	}
	if n := len(g.Mock.Server().Requests()); n != 0 {
		t.Errorf("the provider received %d requests", n)
	}
}

func TestMediaOnAChatOnlyProviderIs400(t *testing.T) {
	g := start(t, mediaConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	_, err := client.Images.Generate(ctx, openai.ImageGenerateParams{Model: "claude/claude-sonnet-4", Prompt: "a cat"})
	checkUnsupported(t, "images", err)
	_, err = client.Audio.Speech.New(ctx, openai.AudioSpeechNewParams{Model: "claude/claude-sonnet-4", Input: "hi",
		Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("alloy")}})
	checkUnsupported(t, "speech", err)
	_, err = client.Audio.Transcriptions.New(ctx, openai.AudioTranscriptionNewParams{
		Model: "claude/claude-sonnet-4", File: openai.File(strings.NewReader("audio"), "a.wav", "audio/wav")})
	checkUnsupported(t, "transcription", err)
	if n := len(g.Mock.Server().Requests()); n != 0 {
		t.Errorf("the provider received %d requests", n)
	}
}

func checkUnsupported(t *testing.T, what string, err error) {
	t.Helper()
	var e *openai.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: err = %v, want an API error", what, err)
	}
	if e.StatusCode != http.StatusBadRequest || e.Code != "unsupported_endpoint" || !strings.Contains(e.Message, `"claude"`) {
		t.Errorf("%s: %d %q %q, want 400 unsupported_endpoint naming the provider", what, e.StatusCode, e.Code, e.Message)
	}
}
