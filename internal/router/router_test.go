package router

import (
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/openai"
)

func registry() *provider.Registry { return provider.NewRegistry(openai.Format()) }

func compile(t testing.TB, yaml string) *Table {
	t.Helper()
	cfg, src, err := config.Parse([]byte(yaml), "t.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	table, err := Compile(cfg, src, registry())
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	return table
}

const twoProviders = `
providers:
  openai: {api_key: k}
  local: {type: openai, base_url: "http://127.0.0.1:8000/v1/"}
models:
  - name: split
    targets:
      - {provider: openai, model: gpt-4o-mini, weight: 3}
      - {provider: local, model: llama, weight: 1}
`

func TestResolve(t *testing.T) {
	table := compile(t, twoProviders)
	for _, tc := range []struct {
		model, provider, upstream, baseURL string
	}{
		{"split", "", "", ""},
		{"openai/gpt-4o", "openai", "gpt-4o", "https://api.openai.com/v1"},
		{"local/meta-llama/Llama-3-8B", "local", "meta-llama/Llama-3-8B", "http://127.0.0.1:8000/v1"},
	} {
		r, err := table.Resolve(tc.model)
		if err != nil {
			t.Fatalf("Resolve(%q): %v", tc.model, err)
		}
		if tc.provider == "" {
			if len(r.Targets) != 2 {
				t.Errorf("Resolve(%q) has %d targets, want 2", tc.model, len(r.Targets))
			}
			continue
		}
		got := r.Targets[0]
		if got.Provider != tc.provider || got.Model != tc.upstream || got.BaseURL != tc.baseURL {
			t.Errorf("Resolve(%q) = %s %s %s, want %s %s %s", tc.model, got.Provider, got.Model, got.BaseURL, tc.provider, tc.upstream, tc.baseURL)
		}
	}
	for _, model := range []string{"gpt-4o", "nope/gpt-4o", "openai/", ""} {
		_, err := table.Resolve(model)
		var e *api.Error
		if !errors.As(err, &e) || e.Status != 404 || e.Code != "model_not_found" || !errors.Is(err, ErrUnknownModel) {
			t.Errorf("Resolve(%q) = %v, want 404 model_not_found", model, err)
		}
	}
}

func TestPickFollowsWeights(t *testing.T) {
	r, _ := compile(t, twoProviders).Resolve("split")
	const n = 40000
	counts := map[string]int{}
	for range n {
		counts[r.Pick().Provider]++
	}
	// Weight 3:1 means 75 %; 40,000 draws put 5 standard deviations within ±1.1 %.
	if share := float64(counts["openai"]) / n; math.Abs(share-0.75) > 0.011 {
		t.Errorf("openai got %.3f of traffic, want 0.75 (counts %v)", share, counts)
	}
}

func TestTargetsShareOneClientPerProvider(t *testing.T) {
	table := compile(t, twoProviders+`
  - name: again
    targets: [{provider: openai, model: gpt-4o}]
`)
	a, _ := table.Resolve("split")
	b, _ := table.Resolve("again")
	c, _ := table.Resolve("openai/x")
	// Configured targets wrap the pool to watch the provider's rate-limit headers.
	if pool(a.Targets[0]) != pool(b.Targets[0]) || pool(b.Targets[0]) != pool(c.Targets[0]) {
		t.Errorf("targets of one provider must share its connection pool")
	}
	if pool(a.Targets[0]) == pool(a.Targets[1]) {
		t.Errorf("different providers must not share a client")
	}
}

func TestCompileProblems(t *testing.T) {
	cfg, src, err := config.Parse([]byte(`
providers:
  custom: {base_url: "http://x"}
  weird: {type: grpc, base_url: "http://x"}
  nobase: {type: openai}
`), "c.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	_, err = Compile(cfg, src, registry())
	for _, want := range []string{
		"c.yaml:3: providers.custom.type: is required",
		`c.yaml:4: providers.weird.type: unknown provider type "grpc" (known: openai)`,
		"providers.nobase.base_url: is required",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compile error lacks %q:\n%v", want, err)
		}
	}
}

func TestModelsJSON(t *testing.T) {
	table := compile(t, twoProviders+`    
`)
	body := string(table.ModelsJSON())
	if !strings.HasPrefix(body, `{"object":"list","data":[{"id":"split","object":"model","created":`) {
		t.Errorf("models body = %s", body)
	}
}

// pool is the connection pool under a target's client.
func pool(t *provider.Target) http.RoundTripper {
	if q, ok := t.Client.Transport.(*quotaTransport); ok {
		return q.next
	}
	return t.Client.Transport
}
