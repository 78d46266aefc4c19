package config

import (
	"strings"
	"testing"
)

func TestGuardrailStreamModeIsCheckedPerKind(t *testing.T) {
	in := `guardrails:
  policies:
    - name: p
      checks:
        - {name: w, kind: webhook, action: block, url: "http://127.0.0.1:1/check", stream: later}
        - {name: k, kind: keyword, action: block, keywords: [x], stream: buffer}
        - {name: j, kind: judge, action: block, model: m, stream: buffer}
        - {name: w2, kind: webhook, action: flag, url: "http://127.0.0.1:1/check", stream: "off"}
`
	_, _, err := Parse([]byte(in), "g.yaml", env(nil))
	if err == nil {
		t.Fatal("Parse: want problems")
	}
	for _, w := range []string{
		`guardrails.policies[0].checks[0].stream: unknown stream mode "later" (known: final, buffer, off)`,
		"guardrails.policies[0].checks[1].stream: applies to webhook and judge checks only",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
	for _, notWant := range []string{"checks[2].stream", "checks[3].stream"} {
		if strings.Contains(err.Error(), notWant) {
			t.Errorf("error names %s, a valid mode:\n%v", notWant, err)
		}
	}
}
