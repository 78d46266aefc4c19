package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

// rawPost sends body as is, for inputs an SDK would never produce.
func rawPost(t *testing.T, url, body string) (int, http.Header, map[string]map[string]any) {
	t.Helper()
	resp, err := post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatalf("POST: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("error body is not JSON: %q", raw)
	}
	return resp.StatusCode, resp.Header, out
}

func TestBadRequestsGetOpenAIShapedErrors(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	chat := g.URL + "/v1/chat/completions"
	big := `{"model":"fast","messages":[{"role":"user","content":"` + strings.Repeat("a", 70<<10) + `"}]}`
	for _, tc := range []struct {
		name, url, body string
		status          int
		code, inMessage string
	}{
		{"malformed JSON", chat, `{"model": "fast", "messages": [`, 400, "invalid_json", "invalid JSON"},
		{"wrong type", chat, `{"model": 5, "messages": []}`, 400, "invalid_json", "/model"},
		{"empty body", chat, ``, 400, "invalid_json", "empty"},
		{"missing messages", chat, `{"model":"fast"}`, 400, "invalid_request", "messages"},
		{"missing model", chat, `{"messages":[{"role":"user","content":"x"}]}`, 400, "invalid_request", "model"},
		{"unknown model", chat, `{"model":"gpt-9","messages":[{"role":"user","content":"x"}]}`, 404, "model_not_found", "gpt-9"},
		{"unknown provider prefix", chat, `{"model":"nope/gpt-4o","messages":[{"role":"user","content":"x"}]}`, 404, "model_not_found", "nope/gpt-4o"},
		{"body over limit", chat, big, 413, "request_too_large", "64 KiB"},
		{"embeddings without input", g.URL + "/v1/embeddings", `{"model":"fast"}`, 400, "invalid_request", "input"},
		{"unknown endpoint", g.URL + "/v1/nothing", `{}`, 404, "not_found", "/v1/nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, _, body := rawPost(t, tc.url, tc.body)
			e := body["error"]
			if status != tc.status || e["code"] != tc.code {
				t.Fatalf("status %d code %v, want %d %s (body %v)", status, e["code"], tc.status, tc.code, body)
			}
			if msg, _ := e["message"].(string); !strings.Contains(msg, tc.inMessage) {
				t.Errorf("message %q does not mention %q", msg, tc.inMessage)
			}
			if _, ok := e["type"].(string); !ok {
				t.Errorf("error has no type: %v", e)
			}
		})
	}
	if got := len(g.Mock.Server().Requests()); got != 0 {
		t.Errorf("bad requests reached the provider %d times", got)
	}
}

func TestMethodNotAllowed(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	resp, err := http.Get(g.URL + "/v1/chat/completions")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /v1/chat/completions = %d, want 405", resp.StatusCode)
	}
}

func TestUpstreamErrorsAreMapped(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	client := g.client()
	for _, tc := range []struct {
		knob       string
		status     int
		retryAfter string
		code       string
	}{
		{"status=429 retry_after=7", 429, "7", ""},
		{"status=500", 502, "", ""},
		{"status=503", 503, "", ""},
		{"status=400", 400, "", ""},
	} {
		t.Run(tc.knob, func(t *testing.T) {
			var httpResp *http.Response
			_, err := client.Chat.Completions.New(context.Background(), userMsg("[[mock "+tc.knob+"]]"), withResponse(&httpResp))
			e := apiError(t, err)
			if e.StatusCode != tc.status {
				t.Errorf("status = %d, want %d (%s)", e.StatusCode, tc.status, e.Message)
			}
			if e.Message == "" || e.Type == "" {
				t.Errorf("upstream error lost its message or type: %+v", e)
			}
			if got := httpResp.Header.Get("Retry-After"); got != tc.retryAfter {
				t.Errorf("Retry-After = %q, want %q", got, tc.retryAfter)
			}
		})
	}
}

func TestUpstreamRejectingGatewayKeyIs502(t *testing.T) {
	cfg := strings.Replace(defaultConfig, "api_key: "+mockKey, "api_key: wrong-key", 1)
	g := start(t, cfg, time.Minute)
	client := g.client()
	_, err := client.Chat.Completions.New(context.Background(), userMsg("x"))
	e := apiError(t, err)
	if e.StatusCode != 502 || e.Code != "upstream_auth_error" {
		t.Fatalf("got %d %q, want 502 upstream_auth_error: a client must not be told its own key is bad", e.StatusCode, e.Code)
	}
	if strings.Contains(e.Message, "wrong-key") {
		t.Errorf("error message leaks the provider key: %q", e.Message)
	}
}

func TestUpstreamTimeoutIs504(t *testing.T) {
	g := start(t, defaultConfig, 300*time.Millisecond)
	client := g.client()
	_, err := client.Chat.Completions.New(context.Background(), userMsg("[[mock hang=true]]"))
	if e := apiError(t, err); e.StatusCode != 504 || e.Code != "upstream_timeout" {
		t.Fatalf("got %d %q, want 504 upstream_timeout", e.StatusCode, e.Code)
	}
	waitFor(t, "the hung upstream request to be cancelled", func() bool { return g.Mock.Server().Stats().Canceled >= 1 })
}

func TestUnreachableProviderIs502(t *testing.T) {
	cfg := strings.Replace(defaultConfig, "base_url: {{MOCK}}/v1", "base_url: http://127.0.0.1:1/v1", 1)
	g := start(t, cfg, time.Minute)
	client := g.client()
	_, err := client.Chat.Completions.New(context.Background(), userMsg("x"))
	if e := apiError(t, err); e.StatusCode != 502 || e.Code != "upstream_unreachable" {
		t.Fatalf("got %d %q, want 502 upstream_unreachable", e.StatusCode, e.Code)
	}
}

// readSSE returns the data payloads of a raw SSE response.
func readSSE(t *testing.T, body io.Reader) []string {
	t.Helper()
	raw, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("read stream: %v", err)
	}
	var out []string
	for _, ev := range bytes.Split(raw, []byte("\n\n")) {
		if d, ok := bytes.CutPrefix(bytes.TrimSpace(ev), []byte("data: ")); ok {
			out = append(out, string(d))
		}
	}
	return out
}

// streamError is the body of the error event that ends a failed stream.
type streamError struct{ Message, Type, Code string }

// failedStream posts a streaming chat request that must fail after it started: it returns the
// events, having checked that the status was 200, that at least minEvents arrived, that none is
// [DONE] and that the last is an error event.
func failedStream(t *testing.T, g *gateway, body string, minEvents int) ([]string, streamError) {
	t.Helper()
	resp, err := post(g.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: the stream had started, so the status must be 200", resp.StatusCode)
	}
	events := readSSE(t, resp.Body)
	if len(events) < minEvents {
		t.Fatalf("events = %q, want at least %d", events, minEvents)
	}
	for _, ev := range events {
		if ev == "[DONE]" {
			t.Fatalf("a failed stream must not end with [DONE]: %q", events)
		}
	}
	var e struct{ Error streamError }
	if err := json.Unmarshal([]byte(events[len(events)-1]), &e); err != nil || e.Error.Message == "" {
		t.Fatalf("last event %q is not an error event", events[len(events)-1])
	}
	return events, e.Error
}

func TestStreamFaultsEndWithErrorEventAndNoDone(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	for _, tc := range []struct{ knob, code string }{
		{"cut_after=3", "stream_interrupted"},
		{"error_after=2", ""},
	} {
		t.Run(tc.knob, func(t *testing.T) {
			body := `{"model":"fast","stream":true,"messages":[{"role":"user","content":"[[mock ` + tc.knob + `]]"}]}`
			_, e := failedStream(t, g, body, 2)
			if tc.code != "" && e.Code != tc.code {
				t.Errorf("code = %q, want %q", e.Code, tc.code)
			}
		})
	}
	// And through the SDK, a cut stream is an error, not a short answer.
	client := g.client()
	stream := client.Chat.Completions.NewStreaming(context.Background(), userMsg("[[mock cut_after=2]]"))
	for stream.Next() {
	}
	if stream.Err() == nil {
		t.Fatalf("SDK saw a clean end of a cut stream")
	}
}

func TestTimeoutMidStreamEndsWithErrorEvent(t *testing.T) {
	g := start(t, defaultConfig, 400*time.Millisecond)
	body := `{"model":"fast","stream":true,"messages":[{"role":"user","content":"[[mock tokens=50 token_delay=50ms]]"}]}`
	if _, e := failedStream(t, g, body, 3); e.Code != "upstream_timeout" {
		t.Fatalf("error event code = %q, want upstream_timeout", e.Code)
	}
	waitFor(t, "the timed-out upstream request to be cancelled", func() bool { return g.Mock.Server().Stats().Canceled >= 1 })
}
