package app

import (
	"fmt"

	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/guardrail"
)

// guardrailEngine compiles the guardrails section; nil when no policy is declared, so the
// request path skips guardrails entirely.
func guardrailEngine(cfg *config.Config) (*guardrail.Engine, error) {
	if len(cfg.Guardrails.Policies) == 0 {
		return nil, nil
	}
	e, err := guardrail.Compile(cfg.Guardrails)
	if err != nil {
		return nil, fmt.Errorf("app: guardrails: %w", err)
	}
	return e, nil
}
