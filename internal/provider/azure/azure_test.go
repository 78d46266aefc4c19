package azure

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/providertest"
	"github.com/sluicehq/sluice/internal/secret"
)

func target() *provider.Target {
	return &provider.Target{
		Provider: "az",
		Model:    "gpt-4o-prod",
		BaseURL:  "https://my-resource.openai.azure.com",
		APIKey:   secret.New("azure-key"),
		Timeout:  time.Minute,
		Adapter:  Adapter{},
		Settings: provider.Settings{APIVersion: "2024-10-21"},
	}
}

func TestChatGolden(t *testing.T) {
	providertest.RunChatCases(t, "testdata/chat", target())
}

// The URL and credentials are all Azure adds to the OpenAI format; every endpoint gets them.
func TestEveryEndpointAddressesTheDeployment(t *testing.T) {
	ctx := context.Background()
	a := Adapter{}
	const base = "https://my-resource.openai.azure.com/openai/deployments/gpt-4o-prod"
	for _, tc := range []struct {
		name  string
		build func(*provider.Target) (*http.Request, error)
		path  string
	}{
		{"chat", func(tg *provider.Target) (*http.Request, error) {
			return a.NewChatRequest(ctx, tg, &api.ChatRequest{Model: "x", Messages: []api.Message{{Role: "user"}}})
		}, "/chat/completions"},
		{"embeddings", func(tg *provider.Target) (*http.Request, error) {
			return a.NewEmbeddingsRequest(ctx, tg, &api.EmbeddingsRequest{Model: "x", Input: []byte(`"hi"`)})
		}, "/embeddings"},
		{"images", func(tg *provider.Target) (*http.Request, error) {
			return a.NewImagesRequest(ctx, tg, &provider.ImagesRequest{Model: "x", Prompt: "a cat"})
		}, "/images/generations"},
		{"speech", func(tg *provider.Target) (*http.Request, error) {
			return a.NewSpeechRequest(ctx, tg, &provider.SpeechRequest{Model: "x", Input: "hi", Voice: []byte(`"alloy"`)})
		}, "/audio/speech"},
		{"transcription", func(tg *provider.Target) (*http.Request, error) {
			return a.NewTranscriptionRequest(ctx, tg, fakeForm{})
		}, "/audio/transcriptions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.build(target())
			if err != nil {
				t.Fatal(err)
			}
			if want := base + tc.path + "?api-version=2024-10-21"; r.URL.String() != want {
				t.Errorf("URL = %s, want %s", r.URL, want)
			}
			if got := r.Header.Get("api-key"); got != "azure-key" {
				t.Errorf("api-key = %q", got)
			}
			if got := r.Header.Get("Authorization"); got != "" {
				t.Errorf("Authorization = %q, want none with a key", got)
			}
		})
	}
}

type fakeForm struct{}

func (fakeForm) Encode(model string) (io.Reader, string, int64) {
	return strings.NewReader(model), "multipart/form-data; boundary=x", int64(len(model))
}

func TestSettings(t *testing.T) {
	for _, tc := range []struct {
		name            string
		edit            func(*provider.Target)
		wantURL         string
		wantKey, wantAz string
	}{
		{"default api-version", func(tg *provider.Target) { tg.Settings.APIVersion = "" },
			"https://my-resource.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=" + DefaultAPIVersion,
			"azure-key", ""},
		{"preview api-version", func(tg *provider.Target) { tg.Settings.APIVersion = "2025-04-01-preview" },
			"https://my-resource.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=2025-04-01-preview",
			"azure-key", ""},
		{"Entra ID token replaces the key", func(tg *provider.Target) { tg.Settings.AzureADToken = secret.New("eyJ0eXAi") },
			"https://my-resource.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21",
			"", "Bearer eyJ0eXAi"},
		{"base_url with /openai", func(tg *provider.Target) { tg.BaseURL += "/openai" },
			"https://my-resource.openai.azure.com/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21",
			"azure-key", ""},
		{"deployment name is escaped", func(tg *provider.Target) { tg.Model = "my deployment/1" },
			"https://my-resource.openai.azure.com/openai/deployments/my%20deployment%2F1/chat/completions?api-version=2024-10-21",
			"azure-key", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := target()
			tc.edit(tg)
			r, err := Adapter{}.NewChatRequest(context.Background(), tg, &api.ChatRequest{Model: "x", Messages: []api.Message{{Role: "user"}}})
			if err != nil {
				t.Fatal(err)
			}
			if r.URL.String() != tc.wantURL {
				t.Errorf("URL = %s, want %s", r.URL, tc.wantURL)
			}
			if got := r.Header.Get("api-key"); got != tc.wantKey {
				t.Errorf("api-key = %q, want %q", got, tc.wantKey)
			}
			if got := r.Header.Get("Authorization"); got != tc.wantAz {
				t.Errorf("Authorization = %q, want %q", got, tc.wantAz)
			}
		})
	}
}

func TestMergeObjects(t *testing.T) {
	for _, tc := range []struct{ dst, src, want string }{
		{``, ``, ``},
		{`{"a":1}`, ``, `{"a":1}`},
		{``, `{"b":2}`, `{"b":2}`},
		{`{"a":1}`, `{"b":2}`, `{"a":1,"b":2}`},
		{`{"a":1}`, `{"a":2,"b":3}`, `{"a":1,"b":3}`}, // the chunk's own member wins
	} {
		got, err := mergeObjects([]byte(tc.dst), []byte(tc.src))
		if err != nil {
			t.Fatalf("mergeObjects(%s, %s): %v", tc.dst, tc.src, err)
		}
		var g, w any
		_ = json.Unmarshal(got, &g)
		_ = json.Unmarshal([]byte(tc.want), &w)
		if !reflect.DeepEqual(g, w) || (tc.want == "") != (len(got) == 0) {
			t.Errorf("mergeObjects(%s, %s) = %s, want %s", tc.dst, tc.src, got, tc.want)
		}
	}
}

// FuzzChatStream feeds arbitrary bytes to the stream decoder: it must never panic, and must
// report a clean end only after [DONE].
func FuzzChatStream(f *testing.F) {
	f.Add([]byte("data: {\"choices\":[],\"id\":\"\",\"prompt_filter_results\":[]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}\n\ndata: [DONE]\n\n"))
	f.Add([]byte("data: {\"choices\":[],\"prompt_filter_results\":1}\n\ndata: {\"choices\":[{}],\"prompt_filter_results\":2}\n\n"))
	f.Add([]byte("data: {\"error\":{\"message\":\"boom\",\"type\":\"server_error\"}}\n\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		s, err := Adapter{}.DecodeChatStream(&http.Response{Body: io.NopCloser(bytes.NewReader(raw))})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		for range 10_000 {
			c, err := s.Next()
			if errors.Is(err, io.EOF) {
				if !bytes.Contains(raw, []byte("[DONE]")) {
					t.Fatalf("clean end without [DONE]")
				}
				return
			}
			if err != nil {
				if api.AsError(err).Code == "internal_error" {
					t.Fatalf("unclassified error: %v", err)
				}
				return
			}
			if c == nil {
				t.Fatal("nil chunk without error")
			}
		}
	})
}
