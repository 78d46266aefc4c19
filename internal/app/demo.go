package app

import (
	"fmt"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/mockllm"
)

// demoModels are the model names the demo provider answers to, so the usual SDK examples
// ("gpt-4o-mini", "text-embedding-3-small") work unchanged against --demo.
var demoModels = []string{"gpt-4o-mini", "gpt-4o", "text-embedding-3-small"}

// startDemo runs mockllm in-process on a loopback port.
func startDemo() (*mockllm.Instance, error) {
	mock, err := mockllm.Listen("127.0.0.1:0", mockllm.Options{})
	if err != nil {
		return nil, fmt.Errorf("app: start demo provider: %w", err)
	}
	return mock, nil
}

// addDemo adds the demo provider at mockURL to cfg as provider "demo", with an alias per demo
// model. Names the config already uses are left alone.
func addDemo(cfg *config.Config, mockURL string) {
	if cfg.Providers == nil {
		cfg.Providers = map[string]config.Provider{}
	}
	if _, taken := cfg.Providers["demo"]; taken {
		return
	}
	cfg.Providers["demo"] = config.Provider{Type: "openai", BaseURL: mockURL + "/v1", Models: demoModels}
	declared := map[string]bool{}
	for _, m := range cfg.Models {
		declared[m.Name] = true
	}
	for _, name := range demoModels {
		if !declared[name] {
			cfg.Models = append(cfg.Models, config.Model{Name: name,
				Targets: []config.Target{{Provider: "demo", Model: name}}})
		}
	}
	cfg.ApplyDefaults()
}
