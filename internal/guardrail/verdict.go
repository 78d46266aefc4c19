package guardrail

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/store"
)

// Fired is one rule that fired on a request, with how often.
type Fired struct {
	Rule   string `json:"rule"`
	Type   string `json:"type"`
	Action string `json:"action"`
	Stage  string `json:"stage"`
	Count  int    `json:"count"`
}

// Verdict is what the guardrails did to one request: every rule that fired. It never holds
// the matched text.
type Verdict struct {
	Fired []Fired
}

func (v *Verdict) note(f *Finding, stage Stage) {
	st, act := stage.String(), f.Action.String()
	for i := range v.Fired {
		x := &v.Fired[i]
		if x.Rule == f.Rule && x.Type == f.Type && x.Stage == st && x.Action == act {
			x.Count++
			return
		}
	}
	v.Fired = append(v.Fired, Fired{Rule: f.Rule, Type: f.Type, Action: act, Stage: st, Count: 1})
}

// Rules is the comma-separated names of the rules that fired, each once, for the
// X-Sluice-Guardrails header.
func (v *Verdict) Rules() string {
	if len(v.Fired) == 0 {
		return ""
	}
	var b strings.Builder
	for i, f := range v.Fired {
		dup := false
		for _, g := range v.Fired[:i] {
			dup = dup || g.Rule == f.Rule
		}
		if dup {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f.Rule)
	}
	return b.String()
}

// Blocked is the error of content refused by a block rule. It names the rule and the kind of
// data, never the text.
type Blocked struct {
	Rule  string
	Type  string
	Stage Stage
}

func (b *Blocked) Error() string {
	return fmt.Sprintf("guardrail: %s blocked by rule %q (%s)", b.Stage, b.Rule, b.Type)
}

// APIError turns a block into the client's error, content_policy_violation; it names the rule
// and the kind of data and never echoes the text. Other errors are returned as they are.
func APIError(err error) error {
	var b *Blocked
	if errors.As(err, &b) {
		what := "request"
		if b.Stage == Output {
			what = "response"
		}
		return api.Errorf("content_policy_violation", "the %s was blocked by guardrail rule %q (%s)", what, b.Rule, b.Type)
	}
	return err
}

// Redacted reports whether a redact rule fired, that is, whether the scanned request was
// rewritten.
func (v *Verdict) Redacted() bool {
	for i := range v.Fired {
		if v.Fired[i].Action == Redact.String() {
			return true
		}
	}
	return false
}

// Records is the verdict as the request log keeps it; nil when no rule fired.
func (v *Verdict) Records() []store.GuardrailVerdict {
	if len(v.Fired) == 0 {
		return nil
	}
	out := make([]store.GuardrailVerdict, len(v.Fired))
	for i, f := range v.Fired {
		out[i] = store.GuardrailVerdict{Rule: f.Rule, Type: f.Type, Action: f.Action, Stage: f.Stage, Count: f.Count}
	}
	return out
}
