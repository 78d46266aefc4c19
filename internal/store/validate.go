package store

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Field limits.
const (
	maxName     = 128
	maxIDLen    = 64
	maxEmail    = 254
	maxPrefix   = 32
	minHash     = 16
	maxHash     = 64
	maxMapLen   = 64
	maxMapKey   = 128
	maxMapValue = 1024
	maxModels   = 256
)

// problems collects every validation failure so one error reports them all.
type problems []string

func (p *problems) add(field, format string, args ...any) {
	*p = append(*p, field+": "+fmt.Sprintf(format, args...))
}

func (p problems) err(what string) error {
	if len(p) == 0 {
		return nil
	}
	return fmt.Errorf("%w %s: %s", ErrInvalid, what, strings.Join(p, "; "))
}

func (p *problems) id(field, v string, required bool) {
	if v == "" {
		if required {
			p.add(field, "must not be empty")
		}
		return
	}
	if !ValidID(v) {
		p.add(field, "must match [A-Za-z0-9_-]{1,%d}", maxIDLen)
	}
}

func (p *problems) name(field, v string, required bool) {
	switch {
	case required && strings.TrimSpace(v) == "":
		p.add(field, "must not be empty")
	case len(v) > maxName:
		p.add(field, "must be at most %d bytes", maxName)
	}
}

func (p *problems) labels(field string, m map[string]string) {
	if len(m) > maxMapLen {
		p.add(field, "must have at most %d entries", maxMapLen)
	}
	for k, v := range m {
		if k == "" || len(k) > maxMapKey || len(v) > maxMapValue {
			p.add(field, "key %q: keys must be 1-%d bytes and values at most %d", k, maxMapKey, maxMapValue)
		}
	}
}

// ValidID reports whether s is an acceptable ID: [A-Za-z0-9_-]{1,64}.
func ValidID(s string) bool {
	if s == "" || len(s) > maxIDLen {
		return false
	}
	for _, c := range []byte(s) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
		if !ok {
			return false
		}
	}
	return true
}

// NormalizeEmail is the form in which emails are stored and looked up.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Validate checks a team before it is stored.
func (t *Team) Validate() error {
	var p problems
	p.id("id", t.ID, false)
	p.name("name", t.Name, true)
	p.labels("metadata", t.Metadata)
	return p.err("team")
}

// Validate checks a project before it is stored.
func (pr *Project) Validate() error {
	var p problems
	p.id("id", pr.ID, false)
	p.id("team_id", pr.TeamID, true)
	p.name("name", pr.Name, true)
	return p.err("project")
}

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool {
	return r == RoleAdmin || r == RoleTeamAdmin || r == RoleMember || r == RoleViewer
}

// Validate checks a user before it is stored. Email must already be normalized.
func (u *User) Validate() error {
	var p problems
	p.id("id", u.ID, false)
	switch at := strings.IndexByte(u.Email, '@'); {
	case at <= 0 || at == len(u.Email)-1 || strings.ContainsAny(u.Email, " \t\r\n"):
		p.add("email", "must look like name@domain")
	case len(u.Email) > maxEmail:
		p.add("email", "must be at most %d bytes", maxEmail)
	case u.Email != NormalizeEmail(u.Email):
		p.add("email", "must be normalized with NormalizeEmail")
	}
	p.name("name", u.Name, false)
	if !u.Role.Valid() {
		p.add("role", "must be one of admin, team_admin, member, viewer (got %q)", u.Role)
	}
	for i, id := range u.TeamIDs {
		p.id(fmt.Sprintf("team_ids[%d]", i), id, true)
		if slices.Index(u.TeamIDs, id) != i {
			p.add(fmt.Sprintf("team_ids[%d]", i), "duplicate %q", id)
		}
	}
	return p.err("user")
}

// Valid reports whether k is one of the defined owner kinds.
func (k OwnerKind) Valid() bool { return k == OwnerUser || k == OwnerTeam || k == OwnerProject }

// Validate checks a key before it is stored, including that its ownership fields agree.
func (k *APIKey) Validate() error {
	var p problems
	p.id("id", k.ID, false)
	if k.Prefix == "" || len(k.Prefix) > maxPrefix {
		p.add("prefix", "must be 1-%d bytes", maxPrefix)
	}
	if len(k.Hash) < minHash || len(k.Hash) > maxHash {
		p.add("hash", "must be %d-%d bytes (got %d)", minHash, maxHash, len(k.Hash))
	}
	p.name("name", k.Name, false)
	p.id("owner_id", k.OwnerID, true)
	p.id("team_id", k.TeamID, false)
	p.id("project_id", k.ProjectID, false)
	switch k.OwnerKind {
	case OwnerTeam:
		if k.TeamID != k.OwnerID || k.ProjectID != "" {
			p.add("owner_id", "a team key needs team_id == owner_id and no project_id")
		}
	case OwnerProject:
		if k.ProjectID != k.OwnerID {
			p.add("owner_id", "a project key needs project_id == owner_id")
		}
	case OwnerUser:
		if k.ProjectID != "" {
			p.add("project_id", "a user key has no project")
		}
	default:
		p.add("owner_kind", "must be one of user, team, project (got %q)", k.OwnerKind)
	}
	if len(k.Models) > maxModels {
		p.add("models", "must have at most %d entries", maxModels)
	}
	for i, m := range k.Models {
		if m == "" || len(m) > maxName || slices.Index(k.Models, m) != i {
			p.add(fmt.Sprintf("models[%d]", i), "must be 1-%d bytes and not repeated", maxName)
		}
	}
	if k.RPM < 0 || k.TPM < 0 {
		p.add("rpm/tpm", "must be >= 0 (0 means no key-level limit)")
	}
	p.id("budget_id", k.BudgetID, false)
	p.labels("tags", k.Tags)
	return p.err("api key")
}

// Validate checks a provider credential before it is stored.
func (c *ProviderCredential) Validate() error {
	var p problems
	p.id("id", c.ID, false)
	p.name("provider", c.Provider, true)
	p.name("name", c.Name, true)
	if len(c.Ciphertext) == 0 {
		p.add("ciphertext", "must not be empty")
	}
	if len(c.Nonce) == 0 {
		p.add("nonce", "must not be empty")
	}
	return p.err("provider credential")
}

// Validate checks a model route before it is stored. Whether its targets make sense is the
// gateway's to check; the store keeps any JSON object.
func (m *ModelRoute) Validate() error {
	var p problems
	p.id("id", m.ID, false)
	p.name("name", m.Name, true)
	var obj map[string]json.RawMessage
	if len(m.Spec) == 0 || json.Unmarshal(m.Spec, &obj) != nil {
		p.add("spec", "must be a JSON object")
	}
	return p.err("model route")
}

// Validate checks an audit event before it is stored.
func (e *AuditEvent) Validate() error {
	var p problems
	p.id("id", e.ID, false)
	p.name("action", e.Action, true)
	p.name("resource_kind", e.ResourceKind, true)
	p.name("actor", e.Actor, false)
	p.name("actor_kind", e.ActorKind, false)
	p.name("resource_id", e.ResourceID, false)
	p.name("source_ip", e.SourceIP, false)
	p.name("request_id", e.RequestID, false)
	if len(e.Before) > 0 && !json.Valid(e.Before) {
		p.add("before", "must be valid JSON")
	}
	if len(e.After) > 0 && !json.Valid(e.After) {
		p.add("after", "must be valid JSON")
	}
	return p.err("audit event")
}
