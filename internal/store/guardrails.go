package store

import (
	"context"
	"encoding/json"
	"time"
)

// GuardrailPolicy is a guardrail policy managed through the admin API instead of the config
// file. Spec is the policy in JSON with the fields of a config guardrails.policies[] entry
// (restore, checks, and optionally attach); the gateway validates and compiles it. Version
// counts the policy's changes from 1, and goes on counting when a deleted policy is created
// again, so a version number names one spec for good.
type GuardrailPolicy struct {
	Name      string
	Version   int64
	Spec      json.RawMessage
	UpdatedAt time.Time
	UpdatedBy string // the admin who stored this version
}

// GuardrailPolicyStore keeps guardrail policies and every version of them. The writes bump
// Version, so every node reloads its guardrails.
type GuardrailPolicyStore interface {
	// CreateGuardrailPolicy stores a new policy; ErrConflict when the name is taken. It
	// fills Version and UpdatedAt.
	CreateGuardrailPolicy(ctx context.Context, p GuardrailPolicy) (GuardrailPolicy, error)
	// UpdateGuardrailPolicy replaces Spec and UpdatedBy and adds one to Version. When
	// p.Version is not zero it must be the stored version, else ErrConflict (a lost update).
	UpdateGuardrailPolicy(ctx context.Context, p GuardrailPolicy) (GuardrailPolicy, error)
	GetGuardrailPolicy(ctx context.Context, name string) (GuardrailPolicy, error)
	// DeleteGuardrailPolicy removes the policy; its versions stay.
	DeleteGuardrailPolicy(ctx context.Context, name string) error
	// ListGuardrailPolicies lists every stored policy by name. Policies are configuration,
	// few and all needed at once, so the list is not paged.
	ListGuardrailPolicies(ctx context.Context) ([]GuardrailPolicy, error)
	// ListGuardrailPolicyVersions lists a name's versions, newest first; After is the
	// version (as text) the previous page ended with. An unknown name gives an empty page.
	ListGuardrailPolicyVersions(ctx context.Context, name string, opts ListOptions) (Page[GuardrailPolicy], error)
}

// Validate checks a guardrail policy before it is stored.
func (g *GuardrailPolicy) Validate() error {
	var p problems
	p.id("name", g.Name, true) // it is a URL path segment of the admin API
	p.name("updated_by", g.UpdatedBy, false)
	var obj map[string]json.RawMessage
	if len(g.Spec) == 0 || json.Unmarshal(g.Spec, &obj) != nil {
		p.add("spec", "must be a JSON object")
	}
	return p.err("guardrail policy")
}
