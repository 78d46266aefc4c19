package guardrail

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/config"
)

// replyJudge answers every classification with a fixed reply or error, and keeps the last
// prompt it was given.
type replyJudge struct {
	reply        string
	err          error
	model        string
	system, user string
}

func (j *replyJudge) Complete(ctx context.Context, model, system, user string) (string, error) {
	j.model, j.system, j.user = model, system, user
	return j.reply, j.err
}

func judgeInput(t *testing.T, j Judge, cc config.GuardrailCheck, text string) (*Scanner, error) {
	t.Helper()
	cc.Name, cc.Kind, cc.Model = "judge", "judge", "guard-model"
	if cc.Action == "" {
		cc.Action = "block"
	}
	p, err := CompilePolicy(config.GuardrailPolicy{Name: "p", Checks: []config.GuardrailCheck{cc}}, WithJudge(j))
	if err != nil {
		t.Fatalf("CompilePolicy: %v", err)
	}
	sc := NewScanner(SetOf(p), nil)
	req := &api.ChatRequest{Model: "m", Messages: []api.Message{{Role: "user", Content: api.TextContent(text)}}}
	return sc, sc.Input(context.Background(), req)
}

func TestJudgeVerdictMapsToTheCheckAction(t *testing.T) {
	for _, tc := range []struct {
		name, reply string
		cc          config.GuardrailCheck
		wantBlock   string // the blocked finding's type, "" for none
		wantFired   bool
	}{
		{"flagged blocks with its category", `{"flagged":true,"category":"Violence","score":0.9}`, config.GuardrailCheck{}, "VIOLENCE", true},
		{"flagged without score or category", `{"flagged":true}`, config.GuardrailCheck{}, TypeJudge, true},
		{"fenced reply with prose", "Here:\n```json\n{\"flagged\":true,\"category\":\"self_harm\",\"score\":0.7}\n```", config.GuardrailCheck{}, "SELF_HARM", true},
		{"not flagged", `{"flagged":false,"category":"","score":0.1}`, config.GuardrailCheck{}, "", false},
		{"below threshold", `{"flagged":true,"category":"violence","score":0.6}`, config.GuardrailCheck{Threshold: 0.8}, "", false},
		{"category not listed", `{"flagged":true,"category":"spam","score":0.9}`, config.GuardrailCheck{Categories: []string{"Violence"}}, "", false},
		{"category listed", `{"flagged":true,"category":"violence","score":0.9}`, config.GuardrailCheck{Categories: []string{"Violence"}}, "VIOLENCE", true},
		{"flag action only flags", `{"flagged":true,"category":"violence"}`, config.GuardrailCheck{Action: "flag"}, "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := &replyJudge{reply: tc.reply}
			sc, err := judgeInput(t, j, tc.cc, "the user's text")
			var b *Blocked
			switch {
			case tc.wantBlock == "" && err != nil:
				t.Fatalf("Input: %v, want no block", err)
			case tc.wantBlock != "" && (!errors.As(err, &b) || b.Type != tc.wantBlock || b.Rule != "judge"):
				t.Fatalf("Input: %v, want a block by rule judge of type %s", err, tc.wantBlock)
			}
			if fired := len(sc.Verdict.Fired) > 0; fired != tc.wantFired {
				t.Errorf("fired = %v (%+v), want %v", fired, sc.Verdict.Fired, tc.wantFired)
			}
			if j.model != "guard-model" || !strings.Contains(j.user, "<content>\nthe user's text\n</content>") || !strings.Contains(j.system, `"flagged"`) {
				t.Errorf("judge asked model %q with system %q user %q", j.model, j.system, j.user)
			}
		})
	}
}

func TestJudgeFailureFailsOpenOrClosed(t *testing.T) {
	for _, tc := range []struct {
		name       string
		judge      Judge
		failClosed bool
	}{
		{"error open", &replyJudge{err: context.DeadlineExceeded}, false},
		{"error closed", &replyJudge{err: context.DeadlineExceeded}, true},
		{"unreadable reply closed", &replyJudge{reply: "I cannot help with that."}, true},
		{"score out of range closed", &replyJudge{reply: `{"flagged":true,"score":7}`}, true},
		{"no judge closed", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc, err := judgeInput(t, tc.judge, config.GuardrailCheck{FailClosed: tc.failClosed}, "text")
			var b *Blocked
			if tc.failClosed != errors.As(err, &b) {
				t.Fatalf("Input: %v, want blocked = %v", err, tc.failClosed)
			}
			if len(sc.Verdict.Fired) != 1 || sc.Verdict.Fired[0].Type != TypeHookFailure {
				t.Errorf("fired = %+v, want one %s", sc.Verdict.Fired, TypeHookFailure)
			}
		})
	}
}

func TestJudgeContentIsBounded(t *testing.T) {
	got := judgeContent(Input, []string{strings.Repeat("a", maxJudgeText), "more"})
	if len(got) > maxJudgeText+len("\n</content>")+2 || !strings.HasSuffix(got, "</content>") {
		t.Errorf("judgeContent of %d bytes = %d bytes, want at most about %d and closed", maxJudgeText+4, len(got), maxJudgeText)
	}
}

func FuzzParseJudgeVerdict(f *testing.F) {
	for _, s := range []string{`{"flagged":true,"score":0.5}`, "```json\n{}\n```", "no", `{"score":-1}`, "}{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseJudgeVerdict(s)
		if err == nil && v.Score != nil && (*v.Score < 0 || *v.Score > 1) {
			t.Errorf("ParseJudgeVerdict(%q) accepted score %v", s, *v.Score)
		}
	})
}

// BenchmarkJudgeOverhead is what a judge check adds to a request besides the model call:
// building the prompt and reading the verdict.
func BenchmarkJudgeOverhead(b *testing.B) {
	j := &replyJudge{reply: `{"flagged":false,"category":"","score":0.03}`}
	p, err := CompilePolicy(config.GuardrailPolicy{Name: "p", Checks: []config.GuardrailCheck{
		{Name: "judge", Kind: "judge", Model: "m", Action: "block"}}}, WithJudge(j))
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("Summarise the quarterly report for the board. ", 40)
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		sc := NewScanner(SetOf(p), nil)
		req := &api.ChatRequest{Model: "m", Messages: []api.Message{{Role: "user", Content: api.TextContent(text)}}}
		if err := sc.Input(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}
