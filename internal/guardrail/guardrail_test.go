package guardrail

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/config"
)

func mustPolicy(t testing.TB, name string, restore bool, checks ...config.GuardrailCheck) *Policy {
	t.Helper()
	p, err := CompilePolicy(config.GuardrailPolicy{Name: name, Restore: restore, Checks: checks})
	if err != nil {
		t.Fatalf("CompilePolicy(%s): %v", name, err)
	}
	return p
}

func redactPII(apply string) config.GuardrailCheck {
	return config.GuardrailCheck{Name: "pii", Kind: "pii", Action: "redact", Apply: apply}
}

func TestRedactorNumbersPlaceholdersPerTypeAndReusesThem(t *testing.T) {
	sc := NewScanner(SetOf(mustPolicy(t, "p", true, redactPII("both"))), nil)
	got, err := sc.Text("mail a@example.com or b@example.com, again a@example.com; card 4111 1111 1111 1111", Input)
	if err != nil {
		t.Fatal(err)
	}
	want := "mail [EMAIL_1] or [EMAIL_2], again [EMAIL_1]; card [CREDIT_CARD_1]"
	if got != want {
		t.Errorf("Text = %q, want %q", got, want)
	}
	if r := sc.red.Restore("Wrote to [EMAIL_2] and [EMAIL_1]; [EMAIL_9] is unknown"); r != "Wrote to b@example.com and a@example.com; [EMAIL_9] is unknown" {
		t.Errorf("Restore = %q", r)
	}
	if v := sc.Verdict.Rules(); v != "pii" {
		t.Errorf("Rules = %q, want pii", v)
	}
}

func TestBlockNamesRuleNotText(t *testing.T) {
	sc := NewScanner(SetOf(mustPolicy(t, "p", false, config.GuardrailCheck{Name: "no-secrets", Kind: "secrets", Action: "block"})), nil)
	_, err := sc.Text("here: AKIAIOSFODNN7EXAMPLE", Input)
	var b *Blocked
	if !errors.As(err, &b) || b.Rule != "no-secrets" || b.Type != TypeSecret {
		t.Fatalf("Text err = %v, want Blocked by no-secrets", err)
	}
	if strings.Contains(err.Error(), "AKIA") {
		t.Errorf("error %q echoes the secret", err)
	}
}

func TestInputCoversContentPartsToolCallsAndToolResults(t *testing.T) {
	sc := NewScanner(SetOf(mustPolicy(t, "p", false, redactPII("input"))), nil)
	req := &api.ChatRequest{Model: "m", Messages: []api.Message{
		{Role: "user", Content: api.PartsContent([]api.ContentPart{{Type: "text", Text: "I am x@example.com"}})},
		{Role: "assistant", ToolCalls: []api.ToolCall{{ID: "1", Type: "function", Function: api.FunctionCall{Name: "lookup", Arguments: `{"email":"x@example.com"}`}}}},
		{Role: "tool", ToolCallID: "1", Content: api.TextContent("phone +44 20 7946 0958")},
	}}
	if err := sc.Input(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if got := req.Messages[0].Content.Parts[0].Text; got != "I am [EMAIL_1]" {
		t.Errorf("part text = %q", got)
	}
	if got := req.Messages[1].ToolCalls[0].Function.Arguments; got != `{"email":"[EMAIL_1]"}` {
		t.Errorf("tool arguments = %q", got)
	}
	if got := req.Messages[2].Content.Text; got != "phone [PHONE_1]" {
		t.Errorf("tool result = %q", got)
	}
}

func TestOutputRestoresInputPlaceholders(t *testing.T) {
	sc := NewScanner(SetOf(mustPolicy(t, "p", true, redactPII("input"))), nil)
	req := &api.ChatRequest{Model: "m", Messages: []api.Message{{Role: "user", Content: api.TextContent("write to x@example.com")}}}
	if err := sc.Input(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	resp := &api.ChatResponse{Choices: []api.Choice{{Message: api.Message{Role: "assistant", Content: api.TextContent("Sent to [EMAIL_1].")}}}}
	if err := sc.Output(context.Background(), resp); err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content.Text; got != "Sent to x@example.com." {
		t.Errorf("restored = %q", got)
	}
}

func TestResolveUnionsOrgTeamTagAndRoute(t *testing.T) {
	e, err := Compile(config.Guardrails{
		Policies: []config.GuardrailPolicy{
			{Name: "org", Checks: []config.GuardrailCheck{redactPII("")}},
			{Name: "team", Checks: []config.GuardrailCheck{{Name: "k", Kind: "keyword", Action: "flag", Keywords: []string{"x"}}}},
			{Name: "tag", Checks: []config.GuardrailCheck{{Name: "s", Kind: "secrets", Action: "block"}}},
			{Name: "route", Checks: []config.GuardrailCheck{{Name: "i", Kind: "injection", Action: "block"}}},
		},
		Attach: config.GuardrailAttach{Org: []string{"org"}, Teams: map[string][]string{"research": {"team", "org"}},
			KeyTags: []config.GuardrailTagAttach{{Tag: "env", Value: "prod", Policies: []string{"tag"}}},
			Routes:  map[string][]string{"fast": {"route"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		team  string
		tags  map[string]string
		route string
		want  string
	}{
		{"", nil, "", "org"},
		{"research", nil, "", "org,team"},
		{"other", map[string]string{"env": "prod"}, "", "org,tag"},
		{"", map[string]string{"env": "dev"}, "fast", "org,route"},
		{"research", map[string]string{"env": "prod"}, "fast", "org,team,tag,route"},
	} {
		s := e.Resolve(tc.team, tc.tags, tc.route)
		if got := s.Names(); got != tc.want {
			t.Errorf("Resolve(%q, %v, %q) = %s, want %s", tc.team, tc.tags, tc.route, got, tc.want)
		}
	}
}

func TestWebhookVerdictsAndFailureModes(t *testing.T) {
	var mu sync.Mutex
	var got HookRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var in HookRequest
		_ = json.NewDecoder(r.Body).Decode(&in)
		mu.Lock()
		got = in
		mu.Unlock()
		switch {
		case strings.Contains(strings.Join(in.Texts, " "), "forbidden"):
			_, _ = w.Write([]byte(`{"action":"block","reason":"policy"}`))
		case strings.Contains(strings.Join(in.Texts, " "), "slow"):
			time.Sleep(300 * time.Millisecond)
			_, _ = w.Write([]byte(`{"action":"allow"}`))
		default:
			_, _ = w.Write([]byte(`{"action":"allow"}`))
		}
	}))
	defer srv.Close()
	hook := func(failClosed bool) *Policy {
		return mustPolicy(t, "p", false, config.GuardrailCheck{Name: "hook", Kind: "webhook", Action: "block",
			Apply: "input", URL: srv.URL, Timeout: 50 * time.Millisecond, FailClosed: failClosed})
	}
	req := func(text string) *api.ChatRequest {
		return &api.ChatRequest{Model: "m", Messages: []api.Message{{Role: "user", Content: api.TextContent(text)}}}
	}
	ctx := context.Background()
	if err := NewScanner(SetOf(hook(false)), nil).Input(ctx, req("hello")); err != nil {
		t.Errorf("allowed text: %v", err)
	}
	mu.Lock()
	if got.Stage != "input" || got.Check != "hook" || len(got.Texts) != 1 || got.Texts[0] != "hello" {
		t.Errorf("hook received %+v", got)
	}
	mu.Unlock()
	var b *Blocked
	if err := NewScanner(SetOf(hook(false)), nil).Input(ctx, req("forbidden")); !errors.As(err, &b) || b.Rule != "hook" {
		t.Errorf("blocked text: err = %v", err)
	}
	sc := NewScanner(SetOf(hook(false)), nil)
	if err := sc.Input(ctx, req("slow")); err != nil {
		t.Errorf("fail-open timeout: err = %v", err)
	}
	if len(sc.Verdict.Fired) != 1 || sc.Verdict.Fired[0].Type != TypeHookFailure || sc.Verdict.Fired[0].Action != "flag" {
		t.Errorf("fail-open verdict = %+v, want one flagged HOOK_FAILURE", sc.Verdict.Fired)
	}
	if err := NewScanner(SetOf(hook(true)), nil).Input(ctx, req("slow")); !errors.As(err, &b) || b.Type != TypeHookFailure {
		t.Errorf("fail-closed timeout: err = %v, want Blocked HOOK_FAILURE", err)
	}
}

func TestScannersFindTypesInMixedText(t *testing.T) {
	text := "Hi, I'm Jane (jane@example.org, +1 415 555 0132). Card 4111-1111-1111-1111, IBAN DE89 3704 0044 0532 0130 00, SSN 123-45-6789, from 10.1.2.3, date of birth 1985-03-04, key AKIAIOSFODNN7EXAMPLE."
	fs := piiDetector(nil)(text, nil)
	fs = scanSecrets(text, fs)
	want := map[string]string{TypeEmail: "jane@example.org", TypePhone: "+1 415 555 0132", TypeCreditCard: "4111-1111-1111-1111",
		TypeIBAN: "DE89 3704 0044 0532 0130 00", TypeSSN: "123-45-6789", TypeIP: "10.1.2.3", TypeDOB: "1985-03-04", TypeSecret: "AKIAIOSFODNN7EXAMPLE"}
	got := map[string]string{}
	for _, f := range fs {
		got[f.Type] = text[f.Start:f.End]
	}
	for typ, w := range want {
		if got[typ] != w {
			t.Errorf("%s: got %q, want %q", typ, got[typ], w)
		}
	}
	if len(fs) != len(want) {
		t.Errorf("found %d spans %+v, want %d", len(fs), fs, len(want))
	}
}
