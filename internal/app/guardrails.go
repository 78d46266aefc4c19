package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/gateway"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/router"
	"github.com/sluicehq/sluice/internal/store"
)

// guardrailChange is a stored policy about to be written (spec set) or deleted (spec nil),
// so it can be checked against everything else before the store changes.
type guardrailChange struct {
	name string
	spec []byte
}

// guardrailEngine compiles the config file's guardrails section together with the policies
// stored through the admin API (with change applied, when checking one before it is stored);
// nil when there is no policy at all, so the request path skips guardrails entirely. Judge
// checks must name a model of table.
func (a *App) guardrailEngine(ctx context.Context, cfg *config.Config, table *router.Table, change *guardrailChange) (*guardrail.Engine, error) {
	g := cfg.Guardrails
	if err := a.addStoredGuardrails(ctx, &g, change); err != nil {
		return nil, err
	}
	if len(g.Policies) == 0 {
		return nil, nil
	}
	if err := checkJudgeModels(g, table); err != nil {
		return nil, err
	}
	e, err := guardrail.Compile(g, guardrail.WithJudge(gateway.RouterJudge{Table: a.routes}))
	if err != nil {
		return nil, fmt.Errorf("app: guardrails: %w", err)
	}
	return e, nil
}

// routes is the routing table in force, for judge checks; nil before the gateway exists.
func (a *App) routes() *router.Table {
	if a.gw == nil {
		return nil
	}
	return a.gw.Snapshot().Routes
}

// addStoredGuardrails adds the stored policies to g. A stored policy may not take the name of
// one in the file: which one applies would depend on where it was read.
func (a *App) addStoredGuardrails(ctx context.Context, g *config.Guardrails, change *guardrailChange) error {
	stored, err := a.store.ListGuardrailPolicies(ctx)
	if err != nil {
		return fmt.Errorf("app: list stored guardrail policies: %w", err)
	}
	if change != nil {
		stored = slices.DeleteFunc(stored, func(p store.GuardrailPolicy) bool { return p.Name == change.name })
		if change.spec != nil {
			stored = append(stored, store.GuardrailPolicy{Name: change.name, Spec: change.spec})
		}
	}
	if len(stored) == 0 {
		return nil
	}
	fromFile := map[string]bool{}
	for _, p := range g.Policies {
		fromFile[p.Name] = true
	}
	// The file's section is shared with the running config; the stored policies go on copies.
	g.Policies = slices.Clone(g.Policies)
	g.Attach.Org = slices.Clone(g.Attach.Org)
	g.Attach.KeyTags = slices.Clone(g.Attach.KeyTags)
	g.Attach.Teams = cloneLists(g.Attach.Teams)
	g.Attach.Routes = cloneLists(g.Attach.Routes)
	var ps config.Problems
	for _, s := range stored {
		path := fmt.Sprintf("stored guardrail policy %q", s.Name)
		p, err := config.DecodeStoredGuardrailPolicy(s.Name, s.Spec)
		if err != nil {
			ps.Add(nil, path, "%s", err.Error())
			continue
		}
		if fromFile[s.Name] {
			ps.Add(nil, path, "is also declared in the configuration file; remove one of them")
			continue
		}
		g.AddStored(p)
	}
	if err := ps.Err(); err != nil {
		return err
	}
	return g.Validate().Err()
}

func cloneLists(m map[string][]string) map[string][]string {
	if m == nil {
		return nil
	}
	out := make(map[string][]string, len(m))
	for k, v := range m {
		out[k] = slices.Clone(v)
	}
	return out
}

// checkJudgeModels reports judge checks whose model the table does not serve.
func checkJudgeModels(g config.Guardrails, table *router.Table) error {
	if table == nil {
		return nil
	}
	var ps config.Problems
	for i, p := range g.Policies {
		for j, c := range p.Checks {
			if c.Kind != "judge" {
				continue
			}
			if _, err := table.Resolve(c.Model); err != nil {
				ps.Add(nil, fmt.Sprintf("guardrails.policies[%d].checks[%d].model", i, j), "unknown model %q", c.Model)
			}
		}
	}
	return ps.Err()
}

// checkGuardrailPolicy validates a stored policy as if written (spec set) or deleted (spec
// nil): on its own first, so problems name the policy's own fields, then with every other
// policy against the running routing table. A name the config file uses is a conflict.
func (a *App) checkGuardrailPolicy(ctx context.Context, name string, spec []byte) error {
	cfg, _, err := a.loadBase()
	if err != nil {
		return err
	}
	if spec != nil {
		p, err := config.DecodeStoredGuardrailPolicy(name, spec)
		if err != nil {
			return api.NewError("invalid_request", "policy: "+err.Error(), err)
		}
		if ps := config.ValidateStoredGuardrailPolicy(p); len(ps) > 0 {
			return api.NewError("invalid_request", "policy: "+ps[0].String(), ps)
		}
		for _, fp := range cfg.Guardrails.Policies {
			if fp.Name == name {
				return api.Errorf("conflict", "guardrail policy %q is declared in the configuration file; stored policies take other names", name)
			}
		}
	}
	_, err = a.guardrailEngine(ctx, cfg, a.routes(), &guardrailChange{name: name, spec: spec})
	var ps config.Problems
	if errors.As(err, &ps) && len(ps) > 0 {
		return api.NewError("invalid_request", "policy: "+strings.TrimPrefix(ps[0].String(), "guardrails."), err)
	}
	return err
}

// guardrailsStamp identifies the stored policies' state, so watchStore reloads when another
// node changes one.
func (a *App) guardrailsStamp(ctx context.Context) string {
	stored, err := a.store.ListGuardrailPolicies(ctx)
	if err != nil {
		return ""
	}
	var b strings.Builder
	for _, p := range stored {
		fmt.Fprintf(&b, "|%s@%d", p.Name, p.Version)
	}
	return b.String()
}
