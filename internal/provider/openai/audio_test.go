package openai

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

// form is a provider.Form that records the model it was asked to encode.
type form struct {
	model  string
	length int64
}

func (f *form) Encode(model string) (io.Reader, string, int64) {
	f.model = model
	return strings.NewReader("--b\r\n...model=" + model + "...\r\n--b--\r\n"), "multipart/form-data; boundary=b", f.length
}

func TestTranscriptionRequestCarriesTheFormWithTheTargetModel(t *testing.T) {
	for _, length := range []int64{-1, 1234} {
		f := &form{length: length}
		r, err := Adapter{}.NewTranscriptionRequest(context.Background(), mediaTarget("whisper-1"), f)
		if err != nil {
			t.Fatal(err)
		}
		if r.URL.String() != "https://api.openai.com/v1/audio/transcriptions" {
			t.Errorf("URL = %s", r.URL)
		}
		if f.model != "whisper-1" {
			t.Errorf("form encoded with model %q, want the target's", f.model)
		}
		if got := r.Header.Get("Content-Type"); got != "multipart/form-data; boundary=b" {
			t.Errorf("Content-Type = %q, want the form's own", got)
		}
		if r.ContentLength != length {
			t.Errorf("ContentLength = %d, want %d (-1 streams chunked)", r.ContentLength, length)
		}
		if got := r.Header.Get("Authorization"); got != "Bearer sk-test" {
			t.Errorf("Authorization = %q", got)
		}
	}
}

// https://platform.openai.com/docs/api-reference/audio/createSpeech
func TestSpeechRequest(t *testing.T) {
	var req provider.SpeechRequest
	in := `{"model":"tts","input":"The quick brown fox jumped over the lazy dog.","voice":"alloy","response_format":"wav","speed":1.25,"instructions":"Speak cheerfully."}`
	if err := jsonx.Unmarshal([]byte(in), &req); err != nil {
		t.Fatal(err)
	}
	r, err := Adapter{}.NewSpeechRequest(context.Background(), mediaTarget("gpt-4o-mini-tts"), &req)
	if err != nil {
		t.Fatal(err)
	}
	if r.URL.String() != "https://api.openai.com/v1/audio/speech" {
		t.Errorf("URL = %s", r.URL)
	}
	if got := r.Header.Get("Accept"); got != "application/octet-stream" {
		t.Errorf("Accept = %q", got)
	}
	body, _ := io.ReadAll(r.Body)
	sameJSON(t, "upstream body", body, []byte(strings.Replace(in, `"tts"`, `"gpt-4o-mini-tts"`, 1)))
}

func TestAudioResponseIsRelayedAsIs(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"audio/wav", "audio/wav"},
		{"text/plain; charset=utf-8", "text/plain; charset=utf-8"},
		{"", "application/octet-stream"},
	} {
		body := io.NopCloser(bytes.NewReader([]byte("RIFF....WAVE")))
		resp := &http.Response{StatusCode: 200, Header: http.Header{}, Body: body, ContentLength: -1}
		if tc.header != "" {
			resp.Header.Set("Content-Type", tc.header)
		}
		m, err := Adapter{}.DecodeAudioResponse(resp)
		if err != nil {
			t.Fatal(err)
		}
		if m.ContentType != tc.want || m.Body != body || m.Length != -1 {
			t.Errorf("DecodeAudioResponse(%q) = %q, length %d; want %q and the upstream body itself", tc.header, m.ContentType, m.Length, tc.want)
		}
	}
}
