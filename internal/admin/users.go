package admin

import (
	"net/http"

	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/store"
)

type userInput struct {
	Email   string   `json:"email"`
	Name    string   `json:"name"`
	Role    string   `json:"role"`
	TeamIDs []string `json:"team_ids"`
}

func (a *API) listUsers(r *http.Request, p *auth.Principal) (int, any, error) {
	opts, err := listOptions(r)
	if err != nil {
		return 0, nil, err
	}
	team := r.URL.Query().Get("team_id")
	switch {
	case p.IsAdmin():
	case p.Role == store.RoleTeamAdmin && team != "" && p.InTeam(team):
	default:
		return 0, nil, forbidden("listing users needs admin, or team_admin with ?team_id= of your team")
	}
	pg, err := a.store.ListUsers(r.Context(), team, opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(pg, viewUser), nil
}

func (a *API) getUser(r *http.Request, p *auth.Principal) (int, any, error) {
	u, err := a.store.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if !p.IsAdmin() && p.UserID != u.ID {
		return 0, nil, forbidden("reading another user needs admin")
	}
	return http.StatusOK, viewUser(u), nil
}

func (a *API) createUser(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	in := userInput{Role: string(store.RoleMember)}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	u, err := a.store.CreateUser(r.Context(), store.User{Email: in.Email, Name: in.Name, Role: store.Role(in.Role), TeamIDs: in.TeamIDs})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewUser(u), a.audit(r, p, "user.create", "user", u.ID, nil, viewUser(u))
}

func (a *API) updateUser(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	before, err := a.store.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	in := userInput{Email: before.Email, Name: before.Name, Role: string(before.Role), TeamIDs: before.TeamIDs}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	u, err := a.store.UpdateUser(r.Context(), store.User{ID: before.ID, Email: in.Email, Name: in.Name, Role: store.Role(in.Role), TeamIDs: in.TeamIDs})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewUser(u), a.audit(r, p, "user.update", "user", u.ID, viewUser(before), viewUser(u))
}

func (a *API) deleteUser(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	before, err := a.store.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if err := a.store.DeleteUser(r.Context(), before.ID); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.audit(r, p, "user.delete", "user", before.ID, viewUser(before), nil)
}
