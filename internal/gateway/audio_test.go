package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/openai"
	"github.com/sluicehq/sluice/internal/router"
)

// formUpstream is an in-memory provider that reads uploads whole, like a real server, and
// records what it received.
type formUpstream struct {
	mu     sync.Mutex
	length int64
	parts  []formPart
	err    error
}

type formPart struct{ name, filename, value string }

func (u *formUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	defer r.Body.Close()
	u.mu.Lock()
	defer u.mu.Unlock()
	u.length, u.parts, u.err = r.ContentLength, nil, nil
	_, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	mr := multipart.NewReader(r.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			u.err = err
			return nil, err
		}
		v, err := io.ReadAll(p)
		if err != nil {
			u.err = err
			return nil, err
		}
		u.parts = append(u.parts, formPart{p.FormName(), p.FileName(), string(v)})
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(strings.NewReader(`{"text":"hello"}`)), ContentLength: 16, Request: r}, nil
}

func uploadGateway(t *testing.T, up http.RoundTripper, limit int64) *httptest.Server {
	t.Helper()
	cfg, src, err := config.Parse([]byte(`
providers:
  up: {type: openai, base_url: "http://upstream.invalid/v1", api_key: k}
models:
  - name: whisper
    targets: [{provider: up, model: whisper-1}]
`), "test.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	table, err := router.Compile(cfg, src, provider.NewRegistry(openai.Format()),
		router.WithTransport(func(http.RoundTripper) http.RoundTripper { return up }))
	if err != nil {
		t.Fatal(err)
	}
	g := New(&Snapshot{Routes: table, MaxBodyBytes: 1 << 20, MaxUploadBytes: limit}, slog.New(slog.DiscardHandler))
	mux := http.NewServeMux()
	g.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// form encodes fields in the given order; a field named "file" is a file part.
func form(fields ...string) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i := 0; i < len(fields); i += 2 {
		if fields[i] == "file" {
			w, _ := mw.CreateFormFile("file", "speech.wav")
			_, _ = w.Write([]byte(fields[i+1]))
		} else {
			_ = mw.WriteField(fields[i], fields[i+1])
		}
	}
	_ = mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

// post sends body; chunked hides its length, as a client streaming a file does.
func post(t *testing.T, url, contentType string, body []byte, chunked bool) (int, string) {
	t.Helper()
	var r io.Reader = bytes.NewReader(body)
	if chunked {
		r = io.MultiReader(r) // not a *bytes.Reader: net/http cannot tell the length
	}
	resp, err := http.Post(url, contentType, r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(out)
}

func TestTranscriptionFormGoesUpstreamWithTheTargetModel(t *testing.T) {
	audio := strings.Repeat("RIFF-audio-bytes-", 4096)
	for _, tc := range []struct {
		name       string
		fields     []string
		chunked    bool
		wantLength bool // the whole form was held, so its upstream length is known
	}{
		{"file before model (openai-go's order)", []string{"file", audio, "model", "whisper", "response_format", "text"}, false, true},
		{"model before file (Python's order), streamed", []string{"model", "whisper", "language", "de", "file", audio, "prompt", "p"}, true, false},
		{"model before file, length known", []string{"model", "whisper", "file", audio}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := &formUpstream{}
			srv := uploadGateway(t, up, 1<<20)
			ctype, body := form(tc.fields...)
			status, out := post(t, srv.URL+"/v1/audio/transcriptions", ctype, body, tc.chunked)
			if status != 200 || out != `{"text":"hello"}` {
				t.Fatalf("status %d: %s", status, out)
			}
			up.mu.Lock()
			defer up.mu.Unlock()
			if len(up.parts) != len(tc.fields)/2 {
				t.Fatalf("upstream got %d parts, want %d: %+v", len(up.parts), len(tc.fields)/2, up.parts)
			}
			for i, p := range up.parts {
				want := tc.fields[2*i+1]
				if p.name == "model" {
					want = "whisper-1"
				}
				if p.name != tc.fields[2*i] || p.value != want || (p.name == "file") != (p.filename == "speech.wav") {
					t.Errorf("part %d = %s=%.20q (file %q), want %s=%.20q", i, p.name, p.value, p.filename, tc.fields[2*i], want)
				}
			}
			if tc.wantLength && up.length <= 0 || !tc.wantLength && up.length != -1 {
				t.Errorf("upstream Content-Length = %d, want known: %v", up.length, tc.wantLength)
			}
		})
	}
}

func TestTranscriptionRefusals(t *testing.T) {
	up := &formUpstream{}
	srv := uploadGateway(t, up, 64<<10)
	url := srv.URL + "/v1/audio/transcriptions"
	big := strings.Repeat("x", 100<<10)
	for _, tc := range []struct {
		name, contentType string
		body              []byte
		chunked           bool
		status            int
		code              string
	}{
		{"over the limit, length declared", "", nil, false, 413, "request_too_large"},
		{"over the limit, file streaming", "", nil, true, 413, "request_too_large"},
		{"no model", "", nil, false, 400, "invalid_request"},
		{"not multipart", "application/json", []byte(`{"model":"whisper"}`), false, 400, "invalid_request"},
		{"unknown model", "", nil, false, 404, "model_not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctype, body := tc.contentType, tc.body
			switch tc.name {
			case "over the limit, length declared":
				ctype, body = form("file", big, "model", "whisper")
			case "over the limit, file streaming":
				ctype, body = form("model", "whisper", "file", big)
			case "no model":
				ctype, body = form("file", "abc", "language", "en")
			case "unknown model":
				ctype, body = form("model", "nope", "file", "abc")
			}
			status, out := post(t, url, ctype, body, tc.chunked)
			var e struct{ Error struct{ Code string } }
			_ = json.Unmarshal([]byte(out), &e)
			if status != tc.status || e.Error.Code != tc.code {
				t.Errorf("status %d code %q, want %d %q: %s", status, e.Error.Code, tc.status, tc.code, out)
			}
		})
	}
}

// mediaUpstream answers with audio in several pieces.
type mediaUpstream struct{ pieces []string }

func (m mediaUpstream) RoundTrip(r *http.Request) (*http.Response, error) {
	_, _ = io.Copy(io.Discard, r.Body)
	_ = r.Body.Close()
	readers := make([]io.Reader, len(m.pieces))
	for i, p := range m.pieces {
		readers[i] = strings.NewReader(p)
	}
	return &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"audio/wav"}},
		Body: io.NopCloser(io.MultiReader(readers...)), ContentLength: -1, Request: r}, nil
}

func TestSpeechRelaysTheAudioWithItsType(t *testing.T) {
	srv := uploadGateway(t, mediaUpstream{pieces: []string{"RIFF", "....WAVEfmt ", "data"}}, 0)
	resp, err := http.Post(srv.URL+"/v1/audio/speech", "application/json",
		strings.NewReader(`{"model":"up/tts-1","input":"hi","voice":"alloy","response_format":"wav"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "audio/wav" || string(body) != "RIFF....WAVEfmt data" {
		t.Errorf("%d %s: %q", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if resp.Header.Get("X-Sluice-Provider") != "up" || resp.Header.Get("X-Sluice-Model") != "tts-1" {
		t.Errorf("routing headers: %v", resp.Header)
	}
	for _, bad := range []string{`{"model":"up/tts-1","voice":"alloy"}`, `{"model":"up/tts-1","input":"hi"}`} {
		r, err := http.Post(srv.URL+"/v1/audio/speech", "application/json", strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 400 {
			t.Errorf("%s: %d, want 400", bad, r.StatusCode)
		}
	}
}

// FuzzUpload feeds arbitrary bodies to the form reader. Whatever it accepts must re-encode as a
// well-formed form with the same parts, the model replaced, and the length it announced.
func FuzzUpload(f *testing.F) {
	_, good := form("file", "RIFF", "model", "whisper", "language", "en")
	f.Add(good)
	_, modelFirst := form("model", "whisper", "file", "abc", "prompt", "p")
	f.Add(modelFirst)
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nm\r\n--b--"))
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/v1/audio/transcriptions", bytes.NewReader(body))
		r.Header.Set("Content-Type", "multipart/form-data; boundary="+boundaryOf(body))
		up, err := readUpload(r, r.Body, http.NewResponseController(httptest.NewRecorder()))
		if err != nil {
			return
		}
		defer up.release()
		enc, ctype, length := up.Encode("target-model")
		out, err := io.ReadAll(enc)
		if err != nil {
			return // a part after the model failed to parse: the upstream request fails
		}
		if length >= 0 && int64(len(out)) != length {
			t.Fatalf("announced %d bytes, wrote %d", length, len(out))
		}
		_, params, _ := mime.ParseMediaType(ctype)
		mr := multipart.NewReader(bytes.NewReader(out), params["boundary"])
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				t.Fatalf("re-encoded form does not parse: %v\n%q", err, out)
			}
			v, _ := io.ReadAll(p)
			if p.FormName() == "model" && string(v) != "target-model" {
				t.Fatalf("model part = %q", v)
			}
		}
	})
}

// boundaryOf guesses the boundary from the first line of body, as a client would have set it.
func boundaryOf(body []byte) string {
	line, _, _ := bytes.Cut(body, []byte("\r\n"))
	b := strings.TrimPrefix(string(line), "--")
	if b == "" || len(b) > 70 {
		return "b"
	}
	return b
}
