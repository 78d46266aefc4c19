package auth

import (
	"path"
	"slices"

	"github.com/sluicehq/sluice/internal/store"
)

// Kind says how a principal authenticated.
type Kind string

// Principal kinds.
const (
	KindKey       Kind = "key"       // a virtual key
	KindJWT       Kind = "jwt"       // a bearer token from the configured OIDC issuer
	KindMaster    Kind = "master"    // the bootstrap master key from config
	KindAnonymous Kind = "anonymous" // auth.required is false and no credential was sent
)

// Principal is who a request acts for. Principals in a snapshot are shared, read-only.
type Principal struct {
	Kind      Kind
	KeyID     string
	KeyName   string
	UserID    string
	Email     string
	TeamID    string
	TeamName  string
	ProjectID string
	Role      store.Role
	// Teams are all teams the principal belongs to (a user's memberships, a JWT's groups).
	Teams []string

	// allow lists are patterns (path.Match syntax, e.g. "openai/*"); every non-nil list must
	// admit a model: the key's own restriction and its team's.
	keyModels  []string
	teamModels []string
	// teamLogBodies is the team's log_bodies metadata (logbodies.go).
	teamLogBodies string

	RPM, TPM int64
	BudgetID string
	Tags     map[string]string
}

// MayUse reports whether the principal may call a model (an alias or provider/model).
func (p *Principal) MayUse(model string) bool {
	return admits(p.keyModels, model) && admits(p.teamModels, model)
}

func admits(patterns []string, model string) bool {
	if patterns == nil {
		return true
	}
	return slices.ContainsFunc(patterns, func(p string) bool {
		ok, err := path.Match(p, model)
		return p == model || (err == nil && ok)
	})
}

// IsAdmin reports whether the principal administers the whole organization.
func (p *Principal) IsAdmin() bool { return p.Kind == KindMaster || p.Role == store.RoleAdmin }

// InTeam reports membership of a team by id.
func (p *Principal) InTeam(teamID string) bool {
	return teamID != "" && (p.TeamID == teamID || slices.Contains(p.Teams, teamID))
}

// Unrestricted reports whether the principal may use every model.
func (p *Principal) Unrestricted() bool { return p.keyModels == nil && p.teamModels == nil }
