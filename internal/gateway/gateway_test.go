package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func serve(t *testing.T, h http.Handler, body string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(body)))
	return rec
}

// The benchmarks' in-memory upstream must behave like the real path, or they measure nothing.
func TestCannedUpstreamRequestPath(t *testing.T) {
	h := benchGateway(t)
	rec := serve(t, h, benchRequest)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"content":"Hello! How can I assist you today?`) {
		t.Fatalf("non-streaming: %d %s", rec.Code, rec.Body)
	}
	if got := rec.Header().Get("X-Sluice-Provider"); got != "up" {
		t.Errorf("X-Sluice-Provider = %q", got)
	}

	stream := strings.Replace(benchRequest, `"model":"fast"`, `"model":"fast","stream":true`, 1)
	rec = serve(t, h, stream)
	out, _ := io.ReadAll(rec.Body)
	events := strings.Count(string(out), "data: ")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/event-stream" || events != 19 ||
		!strings.HasSuffix(string(out), "data: [DONE]\n\n") {
		t.Fatalf("stream: %d, %d events:\n%s", rec.Code, events, out)
	}
	if strings.Contains(string(out), `"usage"`) {
		t.Errorf("usage chunk reached a client that did not ask for it")
	}
	withUsage := strings.Replace(stream, `"stream":true`, `"stream":true,"stream_options":{"include_usage":true}`, 1)
	out, _ = io.ReadAll(serve(t, h, withUsage).Body)
	if strings.Count(string(out), `"usage"`) != 1 {
		t.Errorf("a client that asked for usage must get exactly one usage chunk:\n%s", out)
	}
}
