package guardrail

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/config"
)

func TestStreamHookModeTakesTheStrongestOutputCheck(t *testing.T) {
	judge := func(name, apply, stream string) config.GuardrailCheck {
		return config.GuardrailCheck{Name: name, Kind: "judge", Model: "m", Action: "block", Apply: apply, Stream: stream}
	}
	for _, tc := range []struct {
		checks []config.GuardrailCheck
		want   StreamMode
	}{
		{[]config.GuardrailCheck{redactPII("both")}, StreamOff},
		{[]config.GuardrailCheck{judge("j", "output", "")}, StreamFinal},
		{[]config.GuardrailCheck{judge("j", "input", "buffer")}, StreamOff},
		{[]config.GuardrailCheck{judge("j", "both", "off")}, StreamOff},
		{[]config.GuardrailCheck{judge("a", "output", "final"), judge("b", "both", "buffer")}, StreamBuffer},
		{[]config.GuardrailCheck{judge("a", "output", "off"), judge("b", "output", "final")}, StreamFinal},
	} {
		sc := NewScanner(SetOf(mustPolicy(t, "p", false, tc.checks...)), nil)
		if got := sc.StreamHookMode(); got != tc.want {
			t.Errorf("StreamHookMode(%+v) = %s, want %s", tc.checks, got, tc.want)
		}
	}
	if _, err := ParseStreamMode("later"); err == nil {
		t.Errorf("ParseStreamMode(later) = nil error, want one")
	}
}

// TestStreamFilterKeepsRedactedTextForTheExternalChecks checks that the judge sees a
// stream's text as the local checks left it (redacted, never restored), and that the
// checks whose stream mode is off are not asked.
func TestStreamFilterKeepsRedactedTextForTheExternalChecks(t *testing.T) {
	j := &replyJudge{reply: `{"flagged":true,"category":"spam","score":0.9}`}
	p, err := CompilePolicy(config.GuardrailPolicy{Name: "p", Restore: true, Checks: []config.GuardrailCheck{
		redactPII("both"),
		{Name: "judge", Kind: "judge", Model: "m", Action: "block", Apply: "output", Stream: "final"},
		{Name: "quiet", Kind: "judge", Model: "other", Action: "block", Apply: "output", Stream: "off"},
	}}, WithJudge(j))
	if err != nil {
		t.Fatal(err)
	}
	sc := NewScanner(SetOf(p), nil)
	f := sc.NewStreamFilter(16)
	var sent strings.Builder
	for _, d := range []string{"Write to ", "ann@exam", "ple.com about ", "the plan, then stop."} {
		out, err := f.Write(d)
		if err != nil {
			t.Fatalf("Write(%q): %v", d, err)
		}
		sent.WriteString(out)
	}
	out, err := f.Flush()
	if err != nil {
		t.Fatal(err)
	}
	sent.WriteString(out)
	if want := "Write to [EMAIL_1] about the plan, then stop."; f.Text() != want || sent.String() != want {
		t.Errorf("kept %q and sent %q, want both %q", f.Text(), sent.String(), want)
	}
	var b *Blocked
	if err := sc.StreamHooks(context.Background(), []string{f.Text()}); !errors.As(err, &b) || b.Rule != "judge" || b.Type != "SPAM" || b.Stage != Output {
		t.Fatalf("StreamHooks = %v, want blocked by judge (SPAM) at output", err)
	}
	if j.model != "m" || !strings.Contains(j.user, "[EMAIL_1]") || strings.Contains(j.user, "ann@") {
		t.Errorf("judge asked model %q with %q, want model m and the redacted text", j.model, j.user)
	}
}

// TestStreamFilterWithOnlyExternalChecksHoldsNothingBack: without local checks a filter
// passes each delta straight through, so final mode costs no time to first token.
func TestStreamFilterWithOnlyExternalChecksHoldsNothingBack(t *testing.T) {
	p, err := CompilePolicy(config.GuardrailPolicy{Name: "p", Checks: []config.GuardrailCheck{
		{Name: "judge", Kind: "judge", Model: "m", Action: "block", Apply: "output"},
	}}, WithJudge(&replyJudge{reply: `{"flagged":false}`}))
	if err != nil {
		t.Fatal(err)
	}
	f := NewScanner(SetOf(p), nil).NewStreamFilter(64)
	if !f.Active() {
		t.Fatal("filter inactive, want it to keep the text for the judge")
	}
	for _, d := range []string{"Hel", "lo"} {
		if out, err := f.Write(d); out != d || err != nil {
			t.Errorf("Write(%q) = %q, %v, want it passed through", d, out, err)
		}
	}
	if f.Text() != "Hello" || f.Held() != 0 {
		t.Errorf("kept %q holding %d, want Hello and nothing held", f.Text(), f.Held())
	}
}
