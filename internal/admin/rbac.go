package admin

import (
	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/store"
)

// Roles, from most to least powerful:
//   - admin: everything, organization-wide (also the master key).
//   - team_admin: manages the projects and keys of the teams they belong to, reads their users.
//   - member: reads their teams, creates and retires their own keys.
//   - viewer: reads their teams, projects and their own keys; changes nothing.
// Keys owned by a team or project act as members of that team.

func forbidden(format string, args ...any) error { return api.Errorf("forbidden", format, args...) }

func requireAdmin(p *auth.Principal) error {
	if p.IsAdmin() {
		return nil
	}
	return forbidden("this action needs the admin role")
}

func canReadTeam(p *auth.Principal, teamID string) bool { return p.IsAdmin() || p.InTeam(teamID) }

func canManageTeam(p *auth.Principal, teamID string) bool {
	return p.IsAdmin() || (p.Role == store.RoleTeamAdmin && p.InTeam(teamID))
}

// canManageKey: admins any key, team admins their teams' keys, others their own user keys
// (viewers never change anything).
func canManageKey(p *auth.Principal, k store.APIKey) bool {
	if canManageTeam(p, k.TeamID) {
		return true
	}
	return p.Role != store.RoleViewer && ownsKey(p, k)
}

func canReadKey(p *auth.Principal, k store.APIKey) bool {
	return canManageTeam(p, k.TeamID) || ownsKey(p, k)
}

func ownsKey(p *auth.Principal, k store.APIKey) bool {
	return p.UserID != "" && k.OwnerKind == store.OwnerUser && k.OwnerID == p.UserID
}
