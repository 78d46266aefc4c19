package mockllm

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

func transcribe(t *testing.T, c openai.Client, audio []byte, params openai.AudioTranscriptionNewParams, opts ...option.RequestOption) (*openai.AudioTranscriptionNewResponseUnion, error) {
	t.Helper()
	params.File = openai.File(bytes.NewReader(audio), "speech.wav", "audio/wav")
	if params.Model == "" {
		params.Model = "whisper-1"
	}
	return c.Audio.Transcriptions.New(t.Context(), params, opts...)
}

func TestTranscriptionTextFollowsTheFile(t *testing.T) {
	inst := start(t, Options{APIKey: "test-key", Tokens: 10})
	c := newClient(inst)
	a, err := transcribe(t, c, []byte("RIFF first recording"), openai.AudioTranscriptionNewParams{})
	if err != nil {
		t.Fatalf("Transcriptions.New: %v", err)
	}
	if len(strings.Fields(a.Text)) != 10 || a.Usage.Type != "duration" || a.Usage.Seconds <= 0 {
		t.Fatalf("transcript: %s", a.RawJSON())
	}
	again, _ := transcribe(t, c, []byte("RIFF first recording"), openai.AudioTranscriptionNewParams{Language: openai.String("en")})
	other, _ := transcribe(t, c, []byte("RIFF second recording"), openai.AudioTranscriptionNewParams{})
	if again.Text != a.Text || other.Text == a.Text {
		t.Errorf("the text must follow the file's bytes: %q, same file %q, other file %q", a.Text, again.Text, other.Text)
	}
	gpt, err := transcribe(t, c, []byte("RIFF first recording"), openai.AudioTranscriptionNewParams{Model: "gpt-4o-transcribe"})
	if err != nil {
		t.Fatal(err)
	}
	if gpt.Usage.Type != "tokens" || gpt.Usage.TotalTokens != gpt.Usage.InputTokens+gpt.Usage.OutputTokens {
		t.Errorf("gpt-4o-transcribe usage: %s", gpt.RawJSON())
	}
}

func TestTranscriptionVerboseJSON(t *testing.T) {
	inst := start(t, Options{Tokens: 20})
	c := newClient(inst)
	v, err := transcribe(t, c, []byte("audio"), openai.AudioTranscriptionNewParams{
		ResponseFormat: openai.AudioResponseFormatVerboseJSON, Language: openai.String("german")})
	if err != nil {
		t.Fatalf("Transcriptions.New: %v", err)
	}
	if v.Language != "german" || len(v.Segments) != 3 || v.Duration != 8 || v.Segments[2].End != 8 {
		t.Errorf("verbose transcript: %s", v.RawJSON())
	}
}

// postForm sends a transcription form by hand, for the plain-text formats.
func postForm(t *testing.T, url string, fields map[string]string, file []byte) (int, string, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if file != nil {
		fw, _ := mw.CreateFormFile("file", "speech.mp3")
		_, _ = fw.Write(file)
	}
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	_ = mw.Close()
	resp, err := http.Post(url, mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(out)
}

func TestTranscriptionTextFormats(t *testing.T) {
	inst := start(t, Options{Tokens: 10})
	url := inst.URL() + "/v1/audio/transcriptions"
	for _, tc := range []struct {
		format, model string
		status        int
		check         func(string) bool
	}{
		{"text", "whisper-1", 200, func(s string) bool { return len(strings.Fields(s)) == 10 && strings.HasSuffix(s, "\n") }},
		{"srt", "whisper-1", 200, func(s string) bool {
			return strings.HasPrefix(s, "1\n00:00:00,000 --> 00:00:03,200\n") && strings.Contains(s, "\n2\n00:00:03,200 --> 00:00:04,000\n")
		}},
		{"vtt", "whisper-1", 200, func(s string) bool { return strings.HasPrefix(s, "WEBVTT\n\n00:00:00.000 --> 00:00:03.200\n") }},
		{"srt", "gpt-4o-transcribe", 400, func(s string) bool { return strings.Contains(s, `"param":"response_format"`) }},
		{"mp4", "whisper-1", 400, func(s string) bool { return strings.Contains(s, `"code":"invalid_value"`) }},
	} {
		t.Run(tc.format+" "+tc.model, func(t *testing.T) {
			status, ctype, body := postForm(t, url, map[string]string{"model": tc.model, "response_format": tc.format}, []byte("ID3 audio"))
			if status != tc.status || !tc.check(body) {
				t.Errorf("status %d (%s), body:\n%s", status, ctype, body)
			}
			if status == 200 && !strings.HasPrefix(ctype, "text/plain") {
				t.Errorf("Content-Type = %q", ctype)
			}
		})
	}
	for _, tc := range []struct{ name, missing string }{{"no file", "file"}, {"no model", "model"}} {
		fields := map[string]string{"model": "whisper-1"}
		var file []byte = []byte("x")
		if tc.missing == "file" {
			file = nil
		} else {
			delete(fields, "model")
		}
		if status, _, body := postForm(t, url, fields, file); status != 400 || !strings.Contains(body, `"param":"`+tc.missing+`"`) {
			t.Errorf("%s: %d %s", tc.name, status, body)
		}
	}
}

func speak(t *testing.T, c openai.Client, format openai.AudioSpeechNewParamsResponseFormat, opts ...option.RequestOption) (*http.Response, []byte, error) {
	t.Helper()
	resp, err := c.Audio.Speech.New(t.Context(), openai.AudioSpeechNewParams{Model: "gpt-4o-mini-tts",
		Input: "Today is a wonderful day.", Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("alloy")},
		ResponseFormat: format}, opts...)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestSpeechIsAValidWAV(t *testing.T) {
	inst := start(t, Options{APIKey: "test-key", Tokens: 4})
	c := newClient(inst)
	resp, body, err := speak(t, c, openai.AudioSpeechNewParamsResponseFormatWAV)
	if err != nil {
		t.Fatalf("Speech.New: %v", err)
	}
	if resp.Header.Get("Content-Type") != "audio/wav" || resp.ContentLength != -1 {
		t.Errorf("Content-Type %q, length %d: want audio/wav, streamed without a length", resp.Header.Get("Content-Type"), resp.ContentLength)
	}
	dataLen := 4 * speechChunkBytes
	if len(body) != 44+dataLen || string(body[:4]) != "RIFF" || string(body[8:16]) != "WAVEfmt " || string(body[36:40]) != "data" ||
		binary.LittleEndian.Uint32(body[40:44]) != uint32(dataLen) || binary.LittleEndian.Uint32(body[4:8]) != uint32(36+dataLen) {
		t.Errorf("not a consistent WAV file: %d bytes, header % x", len(body), body[:min(44, len(body))])
	}
	_, again, _ := speak(t, c, openai.AudioSpeechNewParamsResponseFormatWAV)
	if !bytes.Equal(again, body) {
		t.Error("the same request produced different audio")
	}
}

func TestSpeechFormatsLookTheirPart(t *testing.T) {
	inst := start(t, Options{})
	c := newClient(inst)
	for format, magic := range map[openai.AudioSpeechNewParamsResponseFormat]string{
		"mp3": "\xff\xfb", "aac": "\xff\xf1", "flac": "fLaC", "opus": "OggS",
	} {
		resp, body, err := speak(t, c, format)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if !strings.HasPrefix(string(body), magic) || resp.Header.Get("Content-Type") != speechTypes[string(format)] {
			t.Errorf("%s: Content-Type %q, starts % x", format, resp.Header.Get("Content-Type"), body[:4])
		}
	}
}

func TestSpeechKnobs(t *testing.T) {
	inst := start(t, Options{Tokens: 6})
	c := newClient(inst)
	_, _, err := speak(t, c, "wav", option.WithHeader("x-mock-cut-after", "2"))
	if err == nil {
		t.Error("cut_after=2: the audio arrived whole")
	}
	_, _, err = speak(t, c, "wav", option.WithHeader("x-mock-status", "429"))
	if e := sdkError(t, err); e.StatusCode != 429 {
		t.Errorf("status=429: got %d", e.StatusCode)
	}
	_, body, err := speak(t, c, "pcm", option.WithHeader("x-mock-token-delay", "1ms"), option.WithHeader("x-mock-tokens", "3"))
	if err != nil || len(body) != 3*speechChunkBytes {
		t.Errorf("token_delay, tokens=3: %d bytes, %v", len(body), err)
	}
	_, err = c.Audio.Speech.New(t.Context(), openai.AudioSpeechNewParams{Model: "tts-1", Input: "hi",
		Voice: openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String("alloy")}, Speed: openai.Float(9)})
	if e := sdkError(t, err); e.StatusCode != 400 || e.Param != "speed" {
		t.Errorf("speed=9: %s", fmt.Sprint(e.StatusCode, e.Param))
	}
}

// FuzzTranscriptionForm: whatever the upload, the form parser answers or refuses, never panics.
func FuzzTranscriptionForm(f *testing.F) {
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	_ = mw.SetBoundary("b")
	_ = mw.WriteField("model", "whisper-1")
	fw, _ := mw.CreateFormFile("file", "a.wav")
	_, _ = fw.Write([]byte("RIFF"))
	_ = mw.Close()
	f.Add(body.Bytes())
	f.Add([]byte("--b\r\n\r\n--b--"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		form, fl := parseTranscriptionForm("multipart/form-data; boundary=b", raw)
		if fl == nil {
			_ = form.validate()
		}
	})
}
