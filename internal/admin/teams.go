package admin

import (
	"net/http"
	"slices"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/store"
)

func rawJSON(b []byte) jsonx.Value { return jsonx.Value(b) }

type teamInput struct {
	Name     string            `json:"name"`
	Metadata map[string]string `json:"metadata"`
}

func (a *API) listTeams(r *http.Request, p *auth.Principal) (int, any, error) {
	opts, err := listOptions(r)
	if err != nil {
		return 0, nil, err
	}
	pg, err := a.store.ListTeams(r.Context(), opts)
	if err != nil {
		return 0, nil, err
	}
	if !p.IsAdmin() { // others see only their own teams
		pg.Items = slices.DeleteFunc(pg.Items, func(t store.Team) bool { return !p.InTeam(t.ID) })
	}
	return http.StatusOK, newPage(pg, viewTeam), nil
}

func (a *API) getTeam(r *http.Request, p *auth.Principal) (int, any, error) {
	id := r.PathValue("id")
	if !canReadTeam(p, id) {
		return 0, nil, forbidden("you are not a member of team %s", id)
	}
	t, err := a.store.GetTeam(r.Context(), id)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewTeam(t), nil
}

func (a *API) createTeam(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	var in teamInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	t, err := a.store.CreateTeam(r.Context(), store.Team{Name: in.Name, Metadata: in.Metadata})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewTeam(t), a.audit(r, p, "team.create", "team", t.ID, nil, viewTeam(t))
}

func (a *API) updateTeam(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	before, err := a.store.GetTeam(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	in := teamInput{Name: before.Name, Metadata: before.Metadata}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	t, err := a.store.UpdateTeam(r.Context(), store.Team{ID: before.ID, Name: in.Name, Metadata: in.Metadata})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewTeam(t), a.audit(r, p, "team.update", "team", t.ID, viewTeam(before), viewTeam(t))
}

func (a *API) deleteTeam(r *http.Request, p *auth.Principal) (int, any, error) {
	if err := requireAdmin(p); err != nil {
		return 0, nil, err
	}
	before, err := a.store.GetTeam(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if err := a.store.DeleteTeam(r.Context(), before.ID); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.audit(r, p, "team.delete", "team", before.ID, viewTeam(before), nil)
}

type projectInput struct {
	TeamID string `json:"team_id"`
	Name   string `json:"name"`
}

func (a *API) listProjects(r *http.Request, p *auth.Principal) (int, any, error) {
	opts, err := listOptions(r)
	if err != nil {
		return 0, nil, err
	}
	team := r.URL.Query().Get("team_id")
	if team == "" && !p.IsAdmin() {
		team = p.TeamID
	}
	if team != "" && !canReadTeam(p, team) {
		return 0, nil, forbidden("you are not a member of team %s", team)
	}
	pg, err := a.store.ListProjects(r.Context(), team, opts)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, newPage(pg, viewProject), nil
}

func (a *API) createProject(r *http.Request, p *auth.Principal) (int, any, error) {
	var in projectInput
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if !canManageTeam(p, in.TeamID) {
		return 0, nil, forbidden("creating projects in team %q needs admin or that team's team_admin", in.TeamID)
	}
	pr, err := a.store.CreateProject(r.Context(), store.Project{TeamID: in.TeamID, Name: in.Name})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, viewProject(pr), a.audit(r, p, "project.create", "project", pr.ID, nil, viewProject(pr))
}

func (a *API) getProject(r *http.Request, p *auth.Principal) (int, any, error) {
	pr, err := a.store.GetProject(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if !canReadTeam(p, pr.TeamID) {
		return 0, nil, forbidden("you are not a member of team %s", pr.TeamID)
	}
	return http.StatusOK, viewProject(pr), nil
}

func (a *API) updateProject(r *http.Request, p *auth.Principal) (int, any, error) {
	before, err := a.store.GetProject(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if !canManageTeam(p, before.TeamID) {
		return 0, nil, forbidden("renaming projects of team %s needs admin or team_admin", before.TeamID)
	}
	in := projectInput{TeamID: before.TeamID, Name: before.Name}
	if err := decode(r, &in); err != nil {
		return 0, nil, err
	}
	if in.TeamID != before.TeamID {
		return 0, nil, api.Errorf("invalid_request", "a project cannot move to another team")
	}
	pr, err := a.store.UpdateProject(r.Context(), store.Project{ID: before.ID, TeamID: before.TeamID, Name: in.Name})
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, viewProject(pr), a.audit(r, p, "project.update", "project", pr.ID, viewProject(before), viewProject(pr))
}

func (a *API) deleteProject(r *http.Request, p *auth.Principal) (int, any, error) {
	before, err := a.store.GetProject(r.Context(), r.PathValue("id"))
	if err != nil {
		return 0, nil, err
	}
	if !canManageTeam(p, before.TeamID) {
		return 0, nil, forbidden("deleting projects of team %s needs admin or team_admin", before.TeamID)
	}
	if err := a.store.DeleteProject(r.Context(), before.ID); err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, a.audit(r, p, "project.delete", "project", before.ID, viewProject(before), nil)
}
