package config

import (
	"strings"
	"testing"
)

func TestBudgetsAreValidatedWithTheirPath(t *testing.T) {
	_, _, err := Parse([]byte(`
models:
  - name: fast
    targets: [{provider: p, model: m}]
providers:
  p: {type: openai, base_url: "http://x"}
budgets:
  - id: ok
    scope: team
    scope_id: ml
    limit_usd: 10
    timezone: Europe/Berlin
    on_exceed: reroute
    reroute_to: fast
    webhooks: [{url: "https://hooks.slack.com/services/x"}]
  - id: ok
    scope: galaxy
    limit_usd: 1
    limit_tokens: 5
    period: hourly
    timezone: Mars/Olympus
    thresholds: [80, 50, 120]
    on_exceed: reroute
    webhooks: [{url: "ftp://x", format: xml}]
  - scope: org
    scope_id: x
`), "sluice.yaml", func(string) (string, bool) { return "", false })
	if err == nil {
		t.Fatal("Parse accepted invalid budgets")
	}
	for _, want := range []string{
		`budgets[1].id: "ok" is already declared by budgets[0]`,
		`budgets[1].scope: unknown scope "galaxy"`,
		`budgets[1]: set exactly one of limit_usd and limit_tokens`,
		`budgets[1].period: unknown period "hourly"`,
		`budgets[1].timezone: unknown IANA time zone "Mars/Olympus"`,
		`budgets[1].thresholds[1]: thresholds must be ascending`,
		`budgets[1].thresholds[2]: thresholds must be ascending`,
		`budgets[1].reroute_to: is required with on_exceed: reroute`,
		`budgets[1].webhooks[0].url: must be an absolute http(s) URL`,
		`budgets[1].webhooks[0].format: unknown format "xml"`,
		`budgets[2].id: is required`,
		`budgets[2].scope_id: must be empty for scope org`,
		`budgets[2]: set exactly one of limit_usd and limit_tokens`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("errors lack %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), " budgets[0].") || strings.Contains(err.Error(), " budgets[0]:") {
		t.Errorf("valid budgets[0] reported:\n%v", err)
	}
}

func TestBudgetDefaults(t *testing.T) {
	cfg, _, err := Parse([]byte("budgets:\n  - id: b\n    limit_tokens: 10\n"), "x.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	b := cfg.Budgets[0]
	if b.Scope != "org" || b.Period != "monthly" || b.Timezone != "UTC" || b.OnExceed != "block" ||
		b.ReserveTokens != DefaultBudgetReserveTokens || len(b.Thresholds) != 3 {
		t.Fatalf("defaults = %+v", b)
	}
}
