package router

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/anthropic"
	"github.com/sluicehq/sluice/internal/provider/openai"
	"github.com/sluicehq/sluice/internal/provider/openairesponses"
)

func responsesRegistry() *provider.Registry {
	return provider.NewRegistry(openai.Format(), openairesponses.Format(), anthropic.Format())
}

func compileWith(yaml string) (*Table, error) {
	cfg, src, err := config.Parse([]byte(yaml), "t.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		return nil, err
	}
	return Compile(cfg, src, responsesRegistry())
}

// TestResponsesAPISelection checks which API each target speaks: the openai preset takes
// /v1/responses natively, other OpenAI-compatible providers translate unless they opt in, and
// Responses-only models (or api: responses) use the openai_responses adapter for chat.
func TestResponsesAPISelection(t *testing.T) {
	table, err := compileWith(`
providers:
  openai: {api_key: k}
  groq: {api_key: k}
  proxy: {type: openai, base_url: "http://127.0.0.1:9/v1", responses_api: native}
  openai-eu: {type: openai, base_url: "https://eu.api.openai.com/v1", responses_api: translate}
  anthropic: {api_key: k}
models:
  - name: m
    targets:
      - {provider: openai, model: gpt-4o}
      - {provider: openai, model: o3-pro-2025-06-10}
      - {provider: groq, model: llama}
      - {provider: proxy, model: gpt-4o}
      - {provider: openai-eu, model: gpt-4o}
      - {provider: openai-eu, model: gpt-4o-mini, api: responses}
      - {provider: openai, model: gpt-5.1-codex, api: chat}
      - {provider: anthropic, model: claude}
`)
	if err != nil {
		t.Fatalf("Compile: %v", err)
	}
	r, err := table.Resolve("m")
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		format string
		native bool
	}{
		{"openai", true}, {"openai_responses", true}, {"openai", false}, {"openai", true},
		{"openai", false}, {"openai_responses", true}, {"openai", true}, {"anthropic", false},
	}
	for i, w := range want {
		tg := r.Targets[i]
		if tg.Adapter.Type() != w.format || tg.NativeResponses != w.native {
			t.Errorf("target %d (%s/%s): format %s native %v, want %s native %v", i, tg.Provider, tg.Model,
				tg.Adapter.Type(), tg.NativeResponses, w.format, w.native)
		}
	}
	direct, err := table.Resolve("openai/gpt-5-pro")
	if err != nil {
		t.Fatal(err)
	}
	if tg := direct.Targets[0]; tg.Adapter.Type() != "openai_responses" {
		t.Errorf("openai/gpt-5-pro: format %s, want openai_responses", tg.Adapter.Type())
	}
}

func TestResponsesAPIProblems(t *testing.T) {
	_, err := compileWith(`
providers:
  anthropic: {api_key: k, responses_api: native}
  openai: {api_key: k, responses_api: sometimes}
models:
  - name: m
    targets:
      - {provider: anthropic, model: claude, api: responses}
      - {provider: openai, model: gpt-4o, api: completions}
`)
	if err == nil {
		t.Fatal("Compile accepted invalid responses settings")
	}
	for _, want := range []string{"providers.openai.responses_api: must be native or translate",
		"models[0].targets[1].api: must be chat or responses"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Compile error lacks %q:\n%v", want, err)
		}
	}
	_, err = compileWith(`
providers:
  anthropic: {api_key: k, responses_api: native}
models:
  - name: m
    targets:
      - {provider: anthropic, model: claude, api: responses}
`)
	for _, want := range []string{"providers.anthropic.responses_api: provider type \"anthropic\" cannot send the Responses API natively",
		"models[0].targets[0].api: api: responses needs a provider of type openai"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Compile error lacks %q:\n%v", want, err)
		}
	}
}
