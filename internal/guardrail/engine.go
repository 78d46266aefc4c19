package guardrail

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/sluicehq/sluice/internal/config"
)

// Check is one compiled check of a policy.
type Check struct {
	Name   string
	Kind   string
	Action Action
	Stage  Stage
	detect detector // nil for webhook and judge checks
	hook   Hook     // webhook and judge checks only
	// Stream is how a webhook or judge check treats streamed answers.
	Stream StreamMode
}

// Policy is a compiled, immutable guardrail policy.
type Policy struct {
	Name    string
	Restore bool
	Checks  []*Check
	hooks   bool // has webhook checks
}

// Engine is every policy and where it applies, compiled once and then only read.
type Engine struct {
	window   int
	policies map[string]*Policy
	order    []*Policy
	org      []*Policy
	teams    map[string][]*Policy
	keyTags  []tagAttach
	routes   map[string][]*Policy
}

type tagAttach struct {
	tag, value string
	policies   []*Policy
}

// Compile builds an Engine from the guardrails section, already validated by config.
func Compile(g config.Guardrails, opts ...Option) (*Engine, error) {
	e := &Engine{window: g.StreamWindow, policies: map[string]*Policy{}, teams: map[string][]*Policy{}, routes: map[string][]*Policy{}}
	if e.window <= 0 {
		e.window = config.DefaultStreamWindow
	}
	for i, pc := range g.Policies {
		p, err := CompilePolicy(pc, opts...)
		if err != nil {
			return nil, fmt.Errorf("guardrails.policies[%d]: %w", i, err)
		}
		e.policies[p.Name] = p
		e.order = append(e.order, p)
	}
	resolve := func(names []string) ([]*Policy, error) {
		out := make([]*Policy, 0, len(names))
		for _, n := range names {
			p, ok := e.policies[n]
			if !ok {
				return nil, fmt.Errorf("unknown guardrail policy %q", n)
			}
			out = append(out, p)
		}
		return out, nil
	}
	var err error
	if e.org, err = resolve(g.Attach.Org); err != nil {
		return nil, fmt.Errorf("guardrails.attach.org: %w", err)
	}
	for team, names := range g.Attach.Teams {
		if e.teams[team], err = resolve(names); err != nil {
			return nil, fmt.Errorf("guardrails.attach.teams.%s: %w", team, err)
		}
	}
	for i, t := range g.Attach.KeyTags {
		ps, err := resolve(t.Policies)
		if err != nil {
			return nil, fmt.Errorf("guardrails.attach.key_tags[%d]: %w", i, err)
		}
		e.keyTags = append(e.keyTags, tagAttach{tag: t.Tag, value: t.Value, policies: ps})
	}
	for route, names := range g.Attach.Routes {
		if e.routes[route], err = resolve(names); err != nil {
			return nil, fmt.Errorf("guardrails.attach.routes.%s: %w", route, err)
		}
	}
	return e, nil
}

// CompilePolicy compiles one policy; the admin dry-run uses it on policies not yet stored.
func CompilePolicy(pc config.GuardrailPolicy, opts ...Option) (*Policy, error) {
	var o compileOptions
	for _, opt := range opts {
		opt(&o)
	}
	p := &Policy{Name: pc.Name, Restore: pc.Restore}
	for j, cc := range pc.Checks {
		c, err := compileCheck(cc, &o)
		if err != nil {
			return nil, fmt.Errorf("checks[%d] (%s): %w", j, cc.Name, err)
		}
		p.hooks = p.hooks || c.hook != nil
		p.Checks = append(p.Checks, c)
	}
	return p, nil
}

func compileCheck(cc config.GuardrailCheck, o *compileOptions) (*Check, error) {
	action, err := ParseAction(cc.Action)
	if err != nil {
		return nil, err
	}
	stage, err := ParseStage(cc.Apply)
	if err != nil {
		return nil, err
	}
	c := &Check{Name: cc.Name, Kind: cc.Kind, Action: action, Stage: stage}
	if c.Stream, err = ParseStreamMode(cc.Stream); err != nil {
		return nil, err
	}
	label := func(def string) string {
		if cc.Label != "" {
			return cc.Label
		}
		return def
	}
	switch cc.Kind {
	case "keyword":
		c.detect = keywordDetector(cc.Keywords, label(TypeKeyword))
	case "regex":
		re, err := regexp.Compile(cc.Pattern)
		if err != nil {
			return nil, fmt.Errorf("pattern: %w", err)
		}
		c.detect = regexDetector(re, label("PATTERN"))
	case "pii":
		for _, t := range cc.Types {
			if _, ok := PIITypes[t]; !ok {
				return nil, fmt.Errorf("unknown PII type %q", t)
			}
		}
		c.detect = piiDetector(cc.Types)
	case "secrets":
		c.detect = scanSecrets
	case "injection":
		th := cc.Threshold
		if th == 0 {
			th = DefaultInjectionThreshold
		}
		c.detect = injectionDetector(th)
	case "webhook":
		c.hook = newWebhook(cc)
	case "judge":
		c.hook = newJudge(cc, o.judge)
	default:
		return nil, fmt.Errorf("unknown kind %q", cc.Kind)
	}
	return c, nil
}

// DefaultInjectionThreshold is the injection score at which a check fires by default.
const DefaultInjectionThreshold = 0.7

func regexDetector(re *regexp.Regexp, typ string) detector {
	return func(s string, dst []Finding) []Finding {
		for _, loc := range re.FindAllStringIndex(s, -1) {
			if loc[1] > loc[0] {
				dst = append(dst, Finding{Type: typ, Start: loc[0], End: loc[1]})
			}
		}
		return dst
	}
}

// Window is the stream hold-back window in bytes.
func (e *Engine) Window() int { return e.window }

// Policy returns the named policy.
func (e *Engine) Policy(name string) (*Policy, bool) {
	p, ok := e.policies[name]
	return p, ok
}

// Policies returns every policy in configuration order.
func (e *Engine) Policies() []*Policy { return e.order }

// maxSetPolicies bounds the policies one request collects; attachments beyond it are an
// operator error that Resolve ignores rather than allocating for.
const maxSetPolicies = 16

// Set is the policies that apply to one request. It is a value so resolving it allocates
// nothing.
type Set struct {
	policies [maxSetPolicies]*Policy
	n        int
}

func (s *Set) add(ps []*Policy) {
	for _, p := range ps {
		dup := false
		for _, q := range s.policies[:s.n] {
			dup = dup || q == p
		}
		if !dup && s.n < maxSetPolicies {
			s.policies[s.n] = p
			s.n++
		}
	}
}

// Resolve collects the policies for a caller's team, key tags and route.
func (e *Engine) Resolve(team string, tags map[string]string, route string) Set {
	var s Set
	if e == nil {
		return s
	}
	s.add(e.org)
	if team != "" {
		s.add(e.teams[team])
	}
	for _, t := range e.keyTags {
		if v, ok := tags[t.tag]; ok && (t.value == "" || v == t.value) {
			s.add(t.policies)
		}
	}
	if route != "" {
		s.add(e.routes[route])
	}
	return s
}

// SetOf is a Set of the given policies, for the dry-run.
func SetOf(ps ...*Policy) Set {
	var s Set
	s.add(ps)
	return s
}

// Empty reports whether no policy applies.
func (s *Set) Empty() bool { return s.n == 0 }

// Restore reports whether redacted values go back into the answer.
func (s *Set) Restore() bool {
	for _, p := range s.policies[:s.n] {
		if p.Restore {
			return true
		}
	}
	return false
}

// Has reports whether any check applies at stage.
func (s *Set) Has(stage Stage) bool {
	for _, p := range s.policies[:s.n] {
		for _, c := range p.Checks {
			if c.Stage&stage != 0 {
				return true
			}
		}
	}
	return false
}

// hasLocal reports whether any local (in-process) check applies at stage.
func (s *Set) hasLocal(stage Stage) bool {
	for _, p := range s.policies[:s.n] {
		for _, c := range p.Checks {
			if c.detect != nil && c.Stage&stage != 0 {
				return true
			}
		}
	}
	return false
}

// Scan runs every local check that applies at stage over text and appends its findings,
// each carrying its rule and action.
func (s *Set) Scan(text string, stage Stage, dst []Finding) []Finding {
	if text == "" {
		return dst
	}
	for _, p := range s.policies[:s.n] {
		for _, c := range p.Checks {
			if c.detect == nil || c.Stage&stage == 0 {
				continue
			}
			n := len(dst)
			dst = c.detect(text, dst)
			for i := n; i < len(dst); i++ {
				dst[i].Rule, dst[i].Action = c.Name, c.Action
			}
		}
	}
	return dst
}

// Names lists the policies of the set, for logs.
func (s *Set) Names() string {
	names := make([]string, s.n)
	for i, p := range s.policies[:s.n] {
		names[i] = p.Name
	}
	return strings.Join(names, ",")
}
