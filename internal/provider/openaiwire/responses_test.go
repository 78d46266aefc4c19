package openaiwire

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/secret"
)

type bearer struct{}

func (bearer) URL(t *provider.Target, path string) string { return t.BaseURL + path }
func (bearer) Authorize(r *http.Request, t *provider.Target) {
	r.Header.Set("Authorization", "Bearer "+t.APIKey.Reveal())
}

// TestNativeResponsesRequestKeepsTheClientsMembers checks a native request goes to
// {base}/responses with the target's model and every other member untouched.
func TestNativeResponsesRequestKeepsTheClientsMembers(t *testing.T) {
	tg := &provider.Target{Provider: "openai", Model: "o3-2025-04-16", BaseURL: "https://api.openai.com/v1", APIKey: secret.New("sk"), Timeout: time.Minute}
	req := &provider.ResponsesRequest{Model: "smart", Input: jsonx.Value(`[{"role":"user","content":"hi"}]`), Stream: true,
		Extra: jsonx.Value(`{"reasoning":{"effort":"high","summary":"auto"},"tools":[{"type":"web_search","search_context_size":"low"}],"include":["reasoning.encrypted_content"]}`)}
	r, err := NewResponsesRequest(context.Background(), bearer{}, tg, req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(r.Body)
	want := `{"model":"o3-2025-04-16","input":[{"role":"user","content":"hi"}],"store":false,"stream":true,` +
		`"reasoning":{"effort":"high","summary":"auto"},"tools":[{"type":"web_search","search_context_size":"low"}],"include":["reasoning.encrypted_content"]}`
	if r.URL.String() != "https://api.openai.com/v1/responses" || r.Header.Get("Accept") != "text/event-stream" || string(body) != want {
		t.Errorf("NewResponsesRequest: %s %s Accept %q\n got  %s\n want %s", r.Method, r.URL, r.Header.Get("Accept"), body, want)
	}
}

func TestNativeResponsesStreamEndsAtItsTerminalEvent(t *testing.T) {
	raw := "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"r\",\"usage\":null}}\n\n" +
		"event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":1,\"response\":{\"id\":\"r\",\"usage\":" +
		"{\"input_tokens\":5,\"input_tokens_details\":{\"cached_tokens\":2},\"output_tokens\":9,\"output_tokens_details\":{\"reasoning_tokens\":4},\"total_tokens\":14}}}\n\n" +
		"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"delta\":\"after the end\"}\n\n"
	s, _ := DecodeResponsesStream(&http.Response{Body: io.NopCloser(bytes.NewReader([]byte(raw)))})
	first, err := s.Next()
	if err != nil || first.Type != "response.created" || first.Usage != nil {
		t.Fatalf("first event: %+v, %v", first, err)
	}
	last, err := s.Next()
	if err != nil || !last.Terminal() || last.Usage == nil || last.Usage.PromptTokens != 5 || last.Usage.CompletionTokens != 9 ||
		last.Usage.PromptTokensDetails.CachedTokens != 2 || last.Usage.CompletionTokensDetails.ReasoningTokens != 4 {
		t.Fatalf("terminal event: %+v (usage %+v), %v; want the response's usage", last, last.Usage, err)
	}
	if _, err := s.Next(); !errors.Is(err, io.EOF) {
		t.Errorf("after the terminal event: %v, want io.EOF", err)
	}
}

func FuzzResponsesStream(f *testing.F) {
	f.Add([]byte("event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"r\"}}\n\nevent: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"usage\":{\"input_tokens\":1}}}\n\n"))
	f.Add([]byte("event: error\ndata: {\"type\":\"error\",\"code\":\"server_error\",\"message\":\"boom\",\"param\":null}\n\n"))
	f.Add([]byte("data: {\"type\":\"response.output_text.delta\",\"delta\":\"tru\n\n"))
	f.Add([]byte("data: {\"type\":\"response.failed\",\"response\":{\"error\":{\"code\":\"x\",\"message\":\"y\"}}}\n\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := DecodeResponsesStream(&http.Response{Body: io.NopCloser(bytes.NewReader(raw))})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		terminal := false
		for range 10_000 {
			ev, err := s.Next()
			if errors.Is(err, io.EOF) {
				if !terminal {
					t.Fatalf("clean end without a terminal event")
				}
				return
			}
			if err != nil {
				if api.AsError(err).Code == "internal_error" {
					t.Fatalf("unclassified error: %v", err)
				}
				return
			}
			if ev == nil || ev.Type == "" {
				t.Fatal("event without a type and no error")
			}
			terminal = ev.Terminal()
		}
	})
}
