package storetest

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/store"
)

var teamTests = []test{
	{"Organization/DefaultExists", testDefaultOrganization},
	{"Team/CreateGetUpdateDelete", testTeamCRUD},
	{"Team/ValidationReportsEveryProblem", testTeamValidation},
	{"Team/DuplicateNameConflicts", testTeamConflicts},
	{"Team/DeleteBlockedWhileReferenced", testTeamDeleteReferenced},
}

var projectTests = []test{
	{"Project/CreateGetUpdateDelete", testProjectCRUD},
	{"Project/ValidationAndMissingTeam", testProjectValidation},
	{"Project/NameUniquePerTeam", testProjectConflicts},
}

func testDefaultOrganization(t *testing.T, s store.Store) {
	o, err := s.GetOrganization(ctx(t), store.DefaultOrgID)
	wantErr(t, "GetOrganization(default)", err, nil)
	if o.ID != store.DefaultOrgID || o.Name == "" || o.CreatedAt.IsZero() {
		t.Fatalf("GetOrganization(default) = %+v, want ID %q with a name and creation time", o, store.DefaultOrgID)
	}
	_, err = s.GetOrganization(ctx(t), "org_missing")
	wantErr(t, "GetOrganization(missing)", err, store.ErrNotFound)
}

func testTeamCRUD(t *testing.T, s store.Store) {
	created, err := s.CreateTeam(ctx(t), store.Team{Name: "ml", Metadata: map[string]string{"cost_center": "42"}})
	wantErr(t, "CreateTeam", err, nil)
	if !strings.HasPrefix(created.ID, store.PrefixTeam) || !store.ValidID(created.ID) {
		t.Fatalf("CreateTeam ID = %q, want a valid %q ID", created.ID, store.PrefixTeam)
	}
	wantRecent(t, "CreateTeam CreatedAt", created.CreatedAt)

	got, err := s.GetTeam(ctx(t), created.ID)
	wantErr(t, "GetTeam", err, nil)
	wantEqual(t, "GetTeam after create", got, created)

	upd := created
	upd.Name, upd.Metadata, upd.CreatedAt = "ml-platform", nil, created.CreatedAt.Add(-1e9) // CreatedAt is not updatable
	updated, err := s.UpdateTeam(ctx(t), upd)
	wantErr(t, "UpdateTeam", err, nil)
	want := created
	want.Name, want.Metadata = "ml-platform", nil
	wantEqual(t, "UpdateTeam result", updated, want)
	got, err = s.GetTeam(ctx(t), created.ID)
	wantErr(t, "GetTeam after update", err, nil)
	wantEqual(t, "GetTeam after update", got, want)

	wantErr(t, "DeleteTeam", s.DeleteTeam(ctx(t), created.ID), nil)
	_, err = s.GetTeam(ctx(t), created.ID)
	wantErr(t, "GetTeam after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteTeam again", s.DeleteTeam(ctx(t), created.ID), store.ErrNotFound)
	_, err = s.UpdateTeam(ctx(t), store.Team{ID: created.ID, Name: "x"})
	wantErr(t, "UpdateTeam missing", err, store.ErrNotFound)
}

func testTeamValidation(t *testing.T, s store.Store) {
	cases := []struct {
		name  string
		team  store.Team
		words []string
	}{
		{"empty name", store.Team{Name: " "}, []string{"name"}},
		{"long name", store.Team{Name: strings.Repeat("n", 129)}, []string{"name"}},
		{"bad id and empty name", store.Team{ID: "has space", Name: ""}, []string{"id", "name"}},
		{"empty metadata key", store.Team{Name: "a", Metadata: map[string]string{"": "v"}}, []string{"metadata"}},
	}
	v := version(t, s)
	for _, tc := range cases {
		_, err := s.CreateTeam(ctx(t), tc.team)
		wantErrMentions(t, "CreateTeam("+tc.name+")", err, store.ErrInvalid, tc.words...)
	}
	team := mkTeam(t, s, "ok")
	_, err := s.UpdateTeam(ctx(t), store.Team{ID: team.ID, Name: ""})
	wantErr(t, "UpdateTeam(empty name)", err, store.ErrInvalid)
	if got := version(t, s); got != v+1 {
		t.Fatalf("Version after invalid calls and one create = %d, want %d", got, v+1)
	}
}

func testTeamConflicts(t *testing.T, s store.Store) {
	a := mkTeam(t, s, "alpha")
	b := mkTeam(t, s, "beta")
	_, err := s.CreateTeam(ctx(t), store.Team{Name: "alpha"})
	wantErr(t, "CreateTeam(duplicate name)", err, store.ErrConflict)
	_, err = s.UpdateTeam(ctx(t), store.Team{ID: b.ID, Name: "alpha"})
	wantErr(t, "UpdateTeam(to taken name)", err, store.ErrConflict)
	_, err = s.CreateTeam(ctx(t), store.Team{ID: a.ID, Name: "gamma"})
	wantErr(t, "CreateTeam(duplicate id)", err, store.ErrConflict)
	_, err = s.UpdateTeam(ctx(t), store.Team{ID: a.ID, Name: "alpha"})
	wantErr(t, "UpdateTeam(keep own name)", err, nil)
}

func testTeamDeleteReferenced(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "t")
	p := mkProject(t, s, team.ID, "p")
	wantErr(t, "DeleteTeam(with project)", s.DeleteTeam(ctx(t), team.ID), store.ErrConflict)
	wantErr(t, "DeleteProject", s.DeleteProject(ctx(t), p.ID), nil)

	k := mkKey(t, s, teamKey(team.ID, "k1"))
	wantErr(t, "DeleteTeam(with key)", s.DeleteTeam(ctx(t), team.ID), store.ErrConflict)
	wantErr(t, "DeleteKey", s.DeleteKey(ctx(t), k.ID), nil)

	u := mkUser(t, s, "a@example.com", team.ID)
	wantErr(t, "DeleteTeam(with member)", s.DeleteTeam(ctx(t), team.ID), nil)
	got, err := s.GetUser(ctx(t), u.ID)
	wantErr(t, "GetUser after team delete", err, nil)
	if len(got.TeamIDs) != 0 {
		t.Fatalf("GetUser after team delete: TeamIDs = %v, want none (membership goes with the team)", got.TeamIDs)
	}
}

func testProjectCRUD(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "t")
	other := mkTeam(t, s, "other")
	created := mkProject(t, s, team.ID, "search")
	mkProject(t, s, other.ID, "elsewhere")
	if !strings.HasPrefix(created.ID, store.PrefixProject) || created.TeamID != team.ID {
		t.Fatalf("CreateProject = %+v, want a %q ID in team %q", created, store.PrefixProject, team.ID)
	}
	wantRecent(t, "CreateProject CreatedAt", created.CreatedAt)
	got, err := s.GetProject(ctx(t), created.ID)
	wantErr(t, "GetProject", err, nil)
	wantEqual(t, "GetProject", got, created)

	updated, err := s.UpdateProject(ctx(t), store.Project{ID: created.ID, Name: "search-v2"})
	wantErr(t, "UpdateProject", err, nil)
	want := created
	want.Name = "search-v2"
	wantEqual(t, "UpdateProject", updated, want)

	page, err := s.ListProjects(ctx(t), team.ID, store.ListOptions{})
	wantErr(t, "ListProjects(team)", err, nil)
	wantEqual(t, "ListProjects(team)", page, store.Page[store.Project]{Items: []store.Project{want}})
	page, err = s.ListProjects(ctx(t), "", store.ListOptions{})
	wantErr(t, "ListProjects(all)", err, nil)
	if len(page.Items) != 2 {
		t.Fatalf("ListProjects(all) = %d projects, want 2", len(page.Items))
	}

	wantErr(t, "DeleteProject", s.DeleteProject(ctx(t), created.ID), nil)
	_, err = s.GetProject(ctx(t), created.ID)
	wantErr(t, "GetProject after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteProject again", s.DeleteProject(ctx(t), created.ID), store.ErrNotFound)
}

func testProjectValidation(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "t")
	other := mkTeam(t, s, "o")
	_, err := s.CreateProject(ctx(t), store.Project{Name: ""})
	wantErrMentions(t, "CreateProject(empty)", err, store.ErrInvalid, "team_id", "name")
	_, err = s.CreateProject(ctx(t), store.Project{TeamID: "team_missing", Name: "p"})
	wantErr(t, "CreateProject(missing team)", err, store.ErrNotFound)

	p := mkProject(t, s, team.ID, "p")
	_, err = s.UpdateProject(ctx(t), store.Project{ID: p.ID, TeamID: other.ID, Name: "p"})
	wantErrMentions(t, "UpdateProject(move team)", err, store.ErrInvalid, "team_id")
	_, err = s.UpdateProject(ctx(t), store.Project{ID: p.ID, Name: ""})
	wantErr(t, "UpdateProject(empty name)", err, store.ErrInvalid)
	_, err = s.UpdateProject(ctx(t), store.Project{ID: "proj_missing", Name: "x"})
	wantErr(t, "UpdateProject(missing)", err, store.ErrNotFound)
	k := mkKey(t, s, store.APIKey{Prefix: "sk", Hash: hash("pk"), OwnerKind: store.OwnerProject, OwnerID: p.ID, ProjectID: p.ID})
	wantErr(t, "DeleteProject(with key)", s.DeleteProject(ctx(t), p.ID), store.ErrConflict)
	wantErr(t, "DeleteKey", s.DeleteKey(ctx(t), k.ID), nil)
	wantErr(t, "DeleteProject(no keys)", s.DeleteProject(ctx(t), p.ID), nil)
}

func testProjectConflicts(t *testing.T, s store.Store) {
	a := mkTeam(t, s, "a")
	b := mkTeam(t, s, "b")
	mkProject(t, s, a.ID, "shared")
	_, err := s.CreateProject(ctx(t), store.Project{TeamID: a.ID, Name: "shared"})
	wantErr(t, "CreateProject(same team, same name)", err, store.ErrConflict)
	mkProject(t, s, b.ID, "shared") // another team may reuse the name
	p := mkProject(t, s, a.ID, "second")
	_, err = s.UpdateProject(ctx(t), store.Project{ID: p.ID, Name: "shared"})
	wantErr(t, "UpdateProject(to taken name)", err, store.ErrConflict)
}
