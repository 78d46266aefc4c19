package admin

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// WithGuardrails enables /admin/v1/guardrails over the engine in force, which engine returns
// (nil when no policy is configured).
func (a *API) WithGuardrails(engine func() *guardrail.Engine) *API {
	a.guardrails = engine
	return a
}

// maxDryRunText bounds the text of a dry-run.
const maxDryRunText = 256 << 10

type checkView struct {
	Name   string `json:"name"`
	Kind   string `json:"kind"`
	Action string `json:"action"`
	Apply  string `json:"apply"`
	// Stream is a webhook or judge check's stream mode (final, buffer, off).
	Stream string `json:"stream,omitempty"`
}

type policyView struct {
	Name    string      `json:"name"`
	Object  string      `json:"object"`
	Restore bool        `json:"restore"`
	Checks  []checkView `json:"checks"`
}

func viewPolicy(p *guardrail.Policy) policyView {
	v := policyView{Name: p.Name, Object: "guardrail_policy", Restore: p.Restore, Checks: []checkView{}}
	for _, c := range p.Checks {
		cv := checkView{Name: c.Name, Kind: c.Kind, Action: c.Action.String(), Apply: c.Stage.String()}
		if c.Kind == "webhook" || c.Kind == "judge" {
			cv.Stream = c.Stream.String()
		}
		v.Checks = append(v.Checks, cv)
	}
	return v
}

func (a *API) engine() *guardrail.Engine {
	if a.guardrails == nil {
		return nil
	}
	return a.guardrails()
}

// listGuardrails shows the policies in force (admin).
func (a *API) listGuardrails(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	out := []policyView{}
	if e := a.engine(); e != nil {
		for _, pol := range e.Policies() {
			out = append(out, viewPolicy(pol))
		}
	}
	return http.StatusOK, map[string]any{"object": "list", "data": out}, nil
}

// dryRunInput names configured policies, or gives one inline in the config file's shape.
type dryRunInput struct {
	Policies []string    `json:"policies,omitempty"`
	Policy   jsonx.Value `json:"policy,omitzero"`
	Text     string      `json:"text"`
	Stage    string      `json:"stage,omitempty"` // input (default) or output
}

type findingView struct {
	Rule   string  `json:"rule"`
	Type   string  `json:"type"`
	Action string  `json:"action"`
	Start  int     `json:"start"`
	End    int     `json:"end"`
	Score  float64 `json:"score,omitzero"`
}

type blockedView struct {
	Rule string `json:"rule"`
	Type string `json:"type"`
}

type dryRunView struct {
	Object   string            `json:"object"`
	Stage    string            `json:"stage"`
	Findings []findingView     `json:"findings"`
	Blocked  *blockedView      `json:"blocked"`
	Result   *string           `json:"result"`
	Fired    []guardrail.Fired `json:"fired"`
}

// dryRun runs policies over a text and shows every verdict, the text as the model (input)
// or the client (output) would get it, or the block (admin). Nothing is logged or counted.
func (a *API) dryRun(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	var in dryRunInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if len(in.Text) > maxDryRunText {
		return 0, nil, api.Errorf("invalid_request", "text must be at most %d bytes", maxDryRunText)
	}
	if in.Stage == "" {
		in.Stage = "input"
	}
	stage, err := guardrail.ParseStage(in.Stage)
	if err != nil || stage == guardrail.Both {
		return 0, nil, api.Errorf("invalid_request", "stage must be input or output")
	}
	set, err := a.dryRunSet(in)
	if err != nil {
		return 0, nil, err
	}
	view := dryRunView{Object: "guardrail_dry_run", Stage: stage.String(), Findings: []findingView{}}
	for _, f := range set.Scan(in.Text, stage, nil) {
		view.Findings = append(view.Findings, findingView{Rule: f.Rule, Type: f.Type, Action: f.Action.String(), Start: f.Start, End: f.End, Score: f.Score})
	}
	sc := guardrail.NewScanner(set, a.log)
	result, err := runStage(r.Context(), sc, stage, in.Text)
	var b *guardrail.Blocked
	switch {
	case errors.As(err, &b):
		view.Blocked = &blockedView{Rule: b.Rule, Type: b.Type}
	case err != nil:
		return 0, nil, err
	default:
		view.Result = &result
	}
	view.Fired = sc.Verdict.Fired
	return http.StatusOK, view, nil
}

// runStage sends text through the scanner as a one-message request or answer, so the
// dry-run takes the same path as traffic, webhooks included.
func runStage(ctx context.Context, sc *guardrail.Scanner, stage guardrail.Stage, text string) (string, error) {
	if stage == guardrail.Input {
		req := &api.ChatRequest{Model: "dry-run", Messages: []api.Message{{Role: "user", Content: api.TextContent(text)}}}
		err := sc.Input(ctx, req)
		return req.Messages[0].Content.Text, err
	}
	resp := &api.ChatResponse{Choices: []api.Choice{{Message: api.Message{Role: "assistant", Content: api.TextContent(text)}}}}
	err := sc.Output(ctx, resp)
	return resp.Choices[0].Message.Content.Text, err
}

func (a *API) dryRunSet(in dryRunInput) (guardrail.Set, error) {
	if len(in.Policy) > 0 {
		var pc config.GuardrailPolicy
		dec := yaml.NewDecoder(bytes.NewReader(in.Policy)) // JSON is YAML: the config file's field names
		dec.KnownFields(true)
		if err := dec.Decode(&pc); err != nil {
			return guardrail.Set{}, api.Errorf("invalid_request", "policy: %s", strings.TrimPrefix(err.Error(), "yaml: "))
		}
		if pc.Name == "" {
			pc.Name = "dry-run"
		}
		if ps := config.ValidateGuardrailPolicy(pc); len(ps) > 0 {
			return guardrail.Set{}, api.NewError("invalid_request", "policy: "+strings.TrimPrefix(ps[0].String(), "guardrails.policies[0]."), ps)
		}
		pol, err := guardrail.CompilePolicy(pc, a.compileOptions()...)
		if err != nil {
			return guardrail.Set{}, api.NewError("invalid_request", "policy: "+err.Error(), err)
		}
		return guardrail.SetOf(pol), nil
	}
	if len(in.Policies) == 0 {
		return guardrail.Set{}, api.Errorf("invalid_request", "give policies (names of configured policies) or policy (one inline)")
	}
	e := a.engine()
	var pols []*guardrail.Policy
	for _, name := range in.Policies {
		var pol *guardrail.Policy
		ok := false
		if e != nil {
			pol, ok = e.Policy(name)
		}
		if !ok {
			return guardrail.Set{}, api.Errorf("resource_not_found", "no guardrail policy %q in force", name)
		}
		pols = append(pols, pol)
	}
	return guardrail.SetOf(pols...), nil
}
