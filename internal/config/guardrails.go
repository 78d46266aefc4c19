package config

import (
	"fmt"
	"net/url"
	"regexp"
	"time"
)

// Guardrails is content policy: named policies of checks, and where they apply.
type Guardrails struct {
	// StreamWindow is how many bytes of a streamed answer are held back so a match split
	// across chunks is caught before any of it is sent. It bounds the longest match caught in
	// a stream and the added time to first token. Default 128.
	StreamWindow int               `yaml:"stream_window"`
	Policies     []GuardrailPolicy `yaml:"policies"`
	Attach       GuardrailAttach   `yaml:"attach"`
}

// GuardrailPolicy is a named list of checks.
type GuardrailPolicy struct {
	Name string `yaml:"name"`
	// Restore puts redacted values back into the answer, so the model never sees them but
	// the user gets a coherent reply.
	Restore bool             `yaml:"restore"`
	Checks  []GuardrailCheck `yaml:"checks"`
}

// GuardrailCheck is one check of a policy.
type GuardrailCheck struct {
	Name string `yaml:"name"`
	// Kind is keyword, regex, pii, secrets, injection, webhook or judge.
	Kind string `yaml:"kind"`
	// Action is block, redact or flag.
	Action string `yaml:"action"`
	// Apply is input, output or both (default).
	Apply string `yaml:"apply"`
	// Keywords (kind keyword) match case-insensitively at word boundaries.
	Keywords []string `yaml:"keywords"`
	// Pattern (kind regex) is an RE2 expression.
	Pattern string `yaml:"pattern"`
	// Label names the placeholder of a keyword or regex match, e.g. PROJECT gives [PROJECT_1].
	Label string `yaml:"label"`
	// Types (kind pii) limits the check to some of email, phone, credit_card, iban, ssn, ip,
	// dob; empty means all.
	Types []string `yaml:"types"`
	// Threshold (kinds injection and judge) is the score at which the check fires. Default
	// 0.7 for injection, 0.5 for judge.
	Threshold float64 `yaml:"threshold"`
	// URL (kind webhook) receives the content as JSON and answers with a verdict.
	URL string `yaml:"url"`
	// Timeout (kinds webhook and judge) bounds the call. Default 500ms for webhook, 5s for
	// judge.
	Timeout time.Duration `yaml:"timeout"`
	// Model (kind judge) is the Sluice model (a route name) asked to classify the content.
	Model string `yaml:"model"`
	// Prompt (kind judge) replaces the default classification instructions; the JSON reply
	// format is always appended.
	Prompt string `yaml:"prompt"`
	// Categories (kind judge) limits the check to verdicts of these categories; empty means
	// any flagged verdict.
	Categories []string `yaml:"categories"`
	// FailClosed (kinds webhook and judge) blocks when the hook fails or times out; by default the
	// request goes on (fail open) and the failure is flagged.
	FailClosed bool `yaml:"fail_closed"`
	// Stream (kinds webhook and judge) is how the check treats a streamed answer: final
	// (default) streams it and checks the complete text before the stream's last window and
	// finish are sent, so a block cannot unsend what already left; buffer holds the whole
	// answer until the check passes, so the client gets a block and no blocked text, at the
	// cost of the time to first token; off leaves streamed answers to the local checks.
	Stream string `yaml:"stream"`
}

// Stream modes of webhook and judge checks (GuardrailCheck.Stream).
const (
	StreamFinal  = "final"
	StreamBuffer = "buffer"
	StreamOff    = "off"
)

// GuardrailAttach says which policies apply to which requests; a request gets the union of
// the organisation's, its team's, its key tags' and its route's policies.
type GuardrailAttach struct {
	Org     []string             `yaml:"org"`
	Teams   map[string][]string  `yaml:"teams"`
	KeyTags []GuardrailTagAttach `yaml:"key_tags"`
	Routes  map[string][]string  `yaml:"routes"`
}

// GuardrailTagAttach applies policies to keys carrying tag=value.
type GuardrailTagAttach struct {
	Tag      string   `yaml:"tag"`
	Value    string   `yaml:"value"`
	Policies []string `yaml:"policies"`
}

// DefaultStreamWindow is guardrails.stream_window's default in bytes.
const DefaultStreamWindow = 128

// MaxStreamWindow caps the hold-back window, and with it the added time to first token.
const MaxStreamWindow = 4096

var (
	guardrailKinds   = map[string]bool{"keyword": true, "regex": true, "pii": true, "secrets": true, "injection": true, "webhook": true, "judge": true}
	guardrailActions = map[string]bool{"block": true, "redact": true, "flag": true}
	guardrailApply   = map[string]bool{"": true, "input": true, "output": true, "both": true}
	guardrailStream  = map[string]bool{"": true, StreamFinal: true, StreamBuffer: true, StreamOff: true}
	guardrailPII     = map[string]bool{"email": true, "phone": true, "credit_card": true, "iban": true, "ssn": true, "ip": true, "dob": true}
	labelPattern     = regexp.MustCompile(`^[A-Z][A-Z0-9_]{0,31}$`)
)

// validateGuardrails reports every problem of the guardrails section.
func (g *Guardrails) validate(src *Source, ps *Problems) {
	if g.StreamWindow < 0 || g.StreamWindow > MaxStreamWindow {
		ps.Add(src, "guardrails.stream_window", "must be between 0 and %d bytes", MaxStreamWindow)
	}
	names := map[string]int{}
	for i, p := range g.Policies {
		path := fmt.Sprintf("guardrails.policies[%d]", i)
		switch {
		case p.Name == "":
			ps.Add(src, path+".name", "is required")
		case names[p.Name] > 0:
			ps.Add(src, path+".name", "%q is already declared by guardrails.policies[%d]", p.Name, names[p.Name]-1)
		default:
			names[p.Name] = i + 1
		}
		if len(p.Checks) == 0 {
			ps.Add(src, path+".checks", "needs at least one check")
		}
		checks := map[string]bool{}
		for j, c := range p.Checks {
			cpath := fmt.Sprintf("%s.checks[%d]", path, j)
			if c.Name == "" {
				ps.Add(src, cpath+".name", "is required")
			} else if checks[c.Name] {
				ps.Add(src, cpath+".name", "%q is used twice in this policy", c.Name)
			}
			checks[c.Name] = true
			validateCheck(src, ps, cpath, c)
		}
	}
	known := func(path string, list []string) {
		for k, name := range list {
			if names[name] == 0 {
				ps.Add(src, fmt.Sprintf("%s[%d]", path, k), "unknown guardrail policy %q", name)
			}
		}
	}
	known("guardrails.attach.org", g.Attach.Org)
	for _, team := range sortedKeys(g.Attach.Teams) {
		known("guardrails.attach.teams."+team, g.Attach.Teams[team])
	}
	for i, t := range g.Attach.KeyTags {
		path := fmt.Sprintf("guardrails.attach.key_tags[%d]", i)
		if t.Tag == "" {
			ps.Add(src, path+".tag", "is required")
		}
		known(path+".policies", t.Policies)
	}
	for _, route := range sortedKeys(g.Attach.Routes) {
		known("guardrails.attach.routes."+route, g.Attach.Routes[route])
	}
}

func validateCheck(src *Source, ps *Problems, path string, c GuardrailCheck) {
	if !guardrailKinds[c.Kind] {
		ps.Add(src, path+".kind", "unknown kind %q (known: keyword, regex, pii, secrets, injection, webhook, judge)", c.Kind)
	}
	if !guardrailActions[c.Action] {
		ps.Add(src, path+".action", "unknown action %q (known: block, redact, flag)", c.Action)
	}
	if !guardrailApply[c.Apply] {
		ps.Add(src, path+".apply", "unknown apply %q (known: input, output, both)", c.Apply)
	}
	if !guardrailStream[c.Stream] {
		ps.Add(src, path+".stream", "unknown stream mode %q (known: final, buffer, off)", c.Stream)
	} else if c.Stream != "" && c.Kind != "webhook" && c.Kind != "judge" {
		ps.Add(src, path+".stream", "applies to webhook and judge checks only; the local checks always run on streams")
	}
	if c.Label != "" && !labelPattern.MatchString(c.Label) {
		ps.Add(src, path+".label", "must be upper case letters, digits and _ (e.g. PROJECT)")
	}
	switch c.Kind {
	case "keyword":
		if len(c.Keywords) == 0 {
			ps.Add(src, path+".keywords", "needs at least one keyword")
		}
	case "regex":
		if c.Pattern == "" {
			ps.Add(src, path+".pattern", "is required")
		} else if re, err := regexp.Compile(c.Pattern); err != nil {
			ps.Add(src, path+".pattern", "%v", err)
		} else if re.MatchString("") {
			ps.Add(src, path+".pattern", "must not match the empty string")
		}
	case "pii":
		for k, t := range c.Types {
			if !guardrailPII[t] {
				ps.Add(src, fmt.Sprintf("%s.types[%d]", path, k), "unknown PII type %q (known: email, phone, credit_card, iban, ssn, ip, dob)", t)
			}
		}
	case "injection":
		if c.Threshold < 0 || c.Threshold > 1 {
			ps.Add(src, path+".threshold", "must be between 0 and 1")
		}
		if c.Action == "redact" {
			ps.Add(src, path+".action", "an injection check can block or flag, not redact")
		}
	case "webhook":
		if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			ps.Add(src, path+".url", "must be an absolute http(s) URL, got %q", c.URL)
		}
		if c.Timeout < 0 || c.Timeout > time.Minute {
			ps.Add(src, path+".timeout", "must be between 0 and 1m")
		}
		if c.Action == "redact" {
			ps.Add(src, path+".action", "a webhook check can block or flag, not redact")
		}
	case "judge":
		validateJudge(src, ps, path, c)
	}
}

// ValidateGuardrailPolicy checks one policy on its own, as the admin dry-run receives it.
func ValidateGuardrailPolicy(p GuardrailPolicy) Problems {
	g := Guardrails{StreamWindow: DefaultStreamWindow, Policies: []GuardrailPolicy{p}}
	var ps Problems
	g.validate(nil, &ps)
	return ps
}

// maxJudgePrompt bounds a judge check's prompt.
const maxJudgePrompt = 8 << 10

func validateJudge(src *Source, ps *Problems, path string, c GuardrailCheck) {
	if c.Model == "" {
		ps.Add(src, path+".model", "is required: the model that classifies the content")
	}
	if len(c.Prompt) > maxJudgePrompt {
		ps.Add(src, path+".prompt", "must be at most %d bytes", maxJudgePrompt)
	}
	if c.Threshold < 0 || c.Threshold > 1 {
		ps.Add(src, path+".threshold", "must be between 0 and 1")
	}
	if c.Timeout < 0 || c.Timeout > time.Minute {
		ps.Add(src, path+".timeout", "must be between 0 and 1m")
	}
	if c.Action == "redact" {
		ps.Add(src, path+".action", "a judge check can block or flag, not redact")
	}
}
