package config

import (
	"strings"
	"testing"
)

func TestGuardrailProblemsNamePathAndLine(t *testing.T) {
	in := `guardrails:
  stream_window: 99999
  policies:
    - name: p
      checks:
        - {name: a, kind: regex, action: block, pattern: "("}
        - {name: a, kind: pii, action: hide, types: [email, passport]}
        - {name: c, kind: injection, action: redact, threshold: 2}
        - {name: d, kind: webhook, action: block, url: "ftp://x"}
        - {name: e, kind: telepathy, action: flag, apply: sideways}
    - name: p
      checks: []
  attach:
    org: [p, missing]
    teams: {ml: [nope]}
`
	_, _, err := Parse([]byte(in), "g.yaml", env(nil))
	if err == nil {
		t.Fatal("Parse: want problems")
	}
	for _, w := range []string{
		"g.yaml:2: guardrails.stream_window: must be between 0 and 4096 bytes",
		"g.yaml:6: guardrails.policies[0].checks[0].pattern: error parsing regexp",
		"g.yaml:7: guardrails.policies[0].checks[1].name: \"a\" is used twice in this policy",
		"g.yaml:7: guardrails.policies[0].checks[1].action: unknown action \"hide\"",
		"guardrails.policies[0].checks[1].types[1]: unknown PII type \"passport\"",
		"g.yaml:8: guardrails.policies[0].checks[2].threshold: must be between 0 and 1",
		"guardrails.policies[0].checks[2].action: an injection check can block or flag, not redact",
		"g.yaml:9: guardrails.policies[0].checks[3].url: must be an absolute http(s) URL",
		"guardrails.policies[0].checks[4].kind: unknown kind \"telepathy\"",
		"guardrails.policies[0].checks[4].apply: unknown apply \"sideways\"",
		"g.yaml:11: guardrails.policies[1].name: \"p\" is already declared by guardrails.policies[0]",
		"guardrails.policies[1].checks: needs at least one check",
		"guardrails.attach.org[1]: unknown guardrail policy \"missing\"",
		"guardrails.attach.teams.ml[0]: unknown guardrail policy \"nope\"",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}
