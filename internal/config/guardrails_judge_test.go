package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestJudgeCheckProblemsNamePath(t *testing.T) {
	in := `guardrails:
  policies:
    - name: p
      checks:
        - {name: j, kind: judge, action: redact, threshold: 1.5, timeout: 2m}
`
	_, _, err := Parse([]byte(in), "g.yaml", env(nil))
	if err == nil {
		t.Fatal("Parse: want problems")
	}
	for _, w := range []string{
		"guardrails.policies[0].checks[0].model: is required",
		"guardrails.policies[0].checks[0].threshold: must be between 0 and 1",
		"guardrails.policies[0].checks[0].timeout: must be between 0 and 1m",
		"guardrails.policies[0].checks[0].action: a judge check can block or flag, not redact",
	} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}

func TestStoredGuardrailPolicyDecodesAndAttaches(t *testing.T) {
	p, err := DecodeStoredGuardrailPolicy("codes", []byte(`{"checks":[{"name":"k","kind":"keyword","action":"block","keywords":["x"]}],
		"attach":{"org":true,"teams":["ml"],"key_tags":[{"tag":"env","value":"prod"}],"routes":["fast"]}}`))
	if err != nil {
		t.Fatalf("DecodeStoredGuardrailPolicy: %v", err)
	}
	if ps := ValidateStoredGuardrailPolicy(p); len(ps) != 0 {
		t.Fatalf("ValidateStoredGuardrailPolicy: %v", ps)
	}
	var g Guardrails
	g.AddStored(p)
	if len(g.Policies) != 1 || g.Policies[0].Name != "codes" || g.Attach.Org[0] != "codes" || g.Attach.Teams["ml"][0] != "codes" ||
		!reflect.DeepEqual(g.Attach.KeyTags, []GuardrailTagAttach{{Tag: "env", Value: "prod", Policies: []string{"codes"}}}) || g.Attach.Routes["fast"][0] != "codes" {
		t.Errorf("AddStored gave %+v", g)
	}
	if ps := g.Validate(); len(ps) != 0 {
		t.Errorf("Validate: %v", ps)
	}
	for spec, want := range map[string]string{
		`{"name":"other","checks":[]}`: `name: is "other" but the policy is named "codes"`,
		`{"checkz":[]}`:                "checkz",
	} {
		if _, err := DecodeStoredGuardrailPolicy("codes", []byte(spec)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("DecodeStoredGuardrailPolicy(%s) = %v, want an error naming %q", spec, err, want)
		}
	}
	bad, _ := DecodeStoredGuardrailPolicy("codes", []byte(`{"checks":[{"name":"k","kind":"nope","action":"block"}]}`))
	if ps := ValidateStoredGuardrailPolicy(bad); len(ps) == 0 || ps[0].Path != "checks[0].kind" {
		t.Errorf("ValidateStoredGuardrailPolicy(unknown kind) = %v, want a problem at checks[0].kind", ps)
	}
}
