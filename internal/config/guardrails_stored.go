package config

import (
	"bytes"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// StoredGuardrailPolicy is a guardrail policy managed through the admin API: the fields of a
// guardrails.policies[] entry, and where it applies. The config file's guardrails.attach
// cannot name a stored policy (the file must be valid on its own), so a stored policy
// carries its own attachments.
type StoredGuardrailPolicy struct {
	GuardrailPolicy `yaml:",inline"`
	Attach          StoredGuardrailAttach `yaml:"attach"`
}

// StoredGuardrailAttach is where a stored policy applies: to every request (org), to teams,
// to keys carrying tags, to routes.
type StoredGuardrailAttach struct {
	Org     bool                `yaml:"org"`
	Teams   []string            `yaml:"teams"`
	KeyTags []GuardrailTagMatch `yaml:"key_tags"`
	Routes  []string            `yaml:"routes"`
}

// GuardrailTagMatch matches keys carrying tag (=value when value is set).
type GuardrailTagMatch struct {
	Tag   string `yaml:"tag"`
	Value string `yaml:"value"`
}

// DecodeStoredGuardrailPolicy reads a stored spec (JSON is YAML, so the config file's field
// names apply and unknown fields are refused). name is the stored name; a spec that gives
// another one is refused.
func DecodeStoredGuardrailPolicy(name string, spec []byte) (StoredGuardrailPolicy, error) {
	var p StoredGuardrailPolicy
	dec := yaml.NewDecoder(bytes.NewReader(spec))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("%s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if p.Name != "" && p.Name != name {
		return p, fmt.Errorf("name: is %q but the policy is named %q", p.Name, name)
	}
	p.Name = name
	return p, nil
}

// AddStored adds a stored policy and its attachments to the section.
func (g *Guardrails) AddStored(p StoredGuardrailPolicy) {
	g.Policies = append(g.Policies, p.GuardrailPolicy)
	if p.Attach.Org {
		g.Attach.Org = append(g.Attach.Org, p.Name)
	}
	for _, team := range p.Attach.Teams {
		if g.Attach.Teams == nil {
			g.Attach.Teams = map[string][]string{}
		}
		g.Attach.Teams[team] = append(g.Attach.Teams[team], p.Name)
	}
	for _, t := range p.Attach.KeyTags {
		g.Attach.KeyTags = append(g.Attach.KeyTags, GuardrailTagAttach{Tag: t.Tag, Value: t.Value, Policies: []string{p.Name}})
	}
	for _, route := range p.Attach.Routes {
		if g.Attach.Routes == nil {
			g.Attach.Routes = map[string][]string{}
		}
		g.Attach.Routes[route] = append(g.Attach.Routes[route], p.Name)
	}
}

// ValidateStoredGuardrailPolicy checks one stored policy on its own; paths are relative to
// the policy (checks[0].kind, attach.key_tags[0].tag).
func ValidateStoredGuardrailPolicy(p StoredGuardrailPolicy) Problems {
	ps := ValidateGuardrailPolicy(p.GuardrailPolicy)
	for i := range ps {
		ps[i].Path = strings.TrimPrefix(strings.TrimPrefix(ps[i].Path, "guardrails.policies[0]"), ".")
	}
	for i, t := range p.Attach.KeyTags {
		if t.Tag == "" {
			ps.Add(nil, fmt.Sprintf("attach.key_tags[%d].tag", i), "is required")
		}
	}
	return ps
}

// Validate reports every problem of the section, as the config file's validation does.
func (g *Guardrails) Validate() Problems {
	var ps Problems
	g.validate(nil, &ps)
	return ps
}
