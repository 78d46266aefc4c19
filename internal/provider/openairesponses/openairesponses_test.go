package openairesponses

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/providertest"
	"github.com/sluicehq/sluice/internal/secret"
	"golang.org/x/tools/txtar"
)

func target() *provider.Target {
	return &provider.Target{
		Provider: "openai",
		Model:    "o3-pro",
		BaseURL:  "https://api.openai.com/v1",
		APIKey:   secret.New("sk-test"),
		Headers:  http.Header{"Openai-Organization": {"org-1"}},
		Timeout:  time.Minute,
		Adapter:  Adapter{},
	}
}

func TestChatGolden(t *testing.T) {
	providertest.RunChatCases(t, "testdata/chat", target())
}

// TestRefusesWhatTheResponsesAPICannotHonour checks each refused parameter is named.
func TestRefusesWhatTheResponsesAPICannotHonour(t *testing.T) {
	cases := map[string]string{
		"n":                 `{"model":"m","n":2,"messages":[{"role":"user","content":"hi"}]}`,
		"stop":              `{"model":"m","stop":["x"],"messages":[{"role":"user","content":"hi"}]}`,
		"frequency_penalty": `{"model":"m","frequency_penalty":0.5,"messages":[{"role":"user","content":"hi"}]}`,
		"logit_bias":        `{"model":"m","logit_bias":{"1":2},"messages":[{"role":"user","content":"hi"}]}`,
		"logprobs":          `{"model":"m","logprobs":true,"messages":[{"role":"user","content":"hi"}]}`,
		"tools[0]":          `{"model":"m","tools":[{"type":"custom","custom":{"name":"x"}}],"messages":[{"role":"user","content":"hi"}]}`,
		"messages[0].role":  `{"model":"m","messages":[{"role":"function","name":"f","content":"hi"}]}`,
	}
	for param, body := range cases {
		var req api.ChatRequest
		if err := jsonx.Unmarshal([]byte(body), &req); err != nil {
			t.Fatal(err)
		}
		_, err := Adapter{}.NewChatRequest(context.Background(), target(), &req)
		e := api.AsError(err)
		if err == nil || e.Status != 400 || e.Param != param || !strings.Contains(e.Message, param) {
			t.Errorf("NewChatRequest(%s): got %v (param %q), want a 400 naming %s", body, err, e.Param, param)
		}
	}
}

// TestDropsWhatCannotChangeTheAnswer checks seed, store and stream_options do not reach the
// upstream, and that store is always false.
func TestDropsWhatCannotChangeTheAnswer(t *testing.T) {
	var req api.ChatRequest
	body := `{"model":"m","seed":1,"store":true,"logprobs":false,"messages":[{"role":"user","content":"hi"}]}`
	if err := jsonx.Unmarshal([]byte(body), &req); err != nil {
		t.Fatal(err)
	}
	r, err := Adapter{}.NewChatRequest(context.Background(), target(), &req)
	if err != nil {
		t.Fatalf("NewChatRequest: %v", err)
	}
	var got map[string]jsonx.Value
	if err := jsonx.UnmarshalRead(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	if _, ok := got["seed"]; ok || string(got["store"]) != "false" || got["logprobs"] != nil {
		t.Errorf("upstream body: got seed %s store %s logprobs %s, want no seed, store false, no logprobs", got["seed"], got["store"], got["logprobs"])
	}
}

func FuzzChatStream(f *testing.F) {
	for _, name := range []string{"stream_text", "stream_tool_call", "stream_error_event", "stream_failed"} {
		ar, err := txtar.ParseFile("testdata/chat/" + name + ".txtar")
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range ar.Files {
			if file.Name == "upstream.stream" {
				f.Add(file.Data)
			}
		}
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := Adapter{}.DecodeChatStream(&http.Response{Body: io.NopCloser(bytes.NewReader(raw))})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for range 10_000 {
			c, err := s.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				if api.AsError(err).Code == "internal_error" {
					t.Fatalf("unclassified error: %v", err)
				}
				return
			}
			if c == nil || c.Object != "chat.completion.chunk" {
				t.Fatalf("chunk %+v without error", c)
			}
		}
	})
}
