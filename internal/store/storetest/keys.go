package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

var keyTests = []test{
	{"Key/CreateGetAndLookupByHash", testKeyCreateGet},
	{"Key/ValidationReportsEveryProblem", testKeyValidation},
	{"Key/OwnerMustExistAndAgree", testKeyOwners},
	{"Key/DuplicateHashConflicts", testKeyDuplicateHash},
	{"Key/ListByTeamAndOwner", testKeyList},
}

func testKeyCreateGet(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "t")
	proj := mkProject(t, s, team.ID, "p")
	user := mkUser(t, s, "u@example.com", team.ID)
	exp := time.Date(2031, 1, 2, 3, 4, 5, 123456789, time.FixedZone("x", 3600))

	in := []store.APIKey{{
		Prefix: "sk-sluice-ab12", Hash: hash("team"), Name: "ci", OwnerKind: store.OwnerTeam, OwnerID: team.ID,
		Models: []string{"gpt-4o", "claude"}, ExpiresAt: &exp, RPM: 60, TPM: 100000, BudgetID: "budget_1",
		Tags: map[string]string{"env": "prod"},
	}, {
		Prefix: "sk-sluice-cd34", Hash: hash("project"), Name: "svc", OwnerKind: store.OwnerProject,
		OwnerID: proj.ID, ProjectID: proj.ID, // TeamID filled from the project
	}, {
		Prefix: "sk-sluice-ef56", Hash: hash("user"), Name: "laptop", OwnerKind: store.OwnerUser,
		OwnerID: user.ID, TeamID: team.ID,
	}}
	for _, k := range in {
		created := mkKey(t, s, k)
		if !strings.HasPrefix(created.ID, store.PrefixKey) || created.TeamID != team.ID {
			t.Fatalf("CreateKey(%s) = %+v, want a %q ID in team %q", k.Name, created, store.PrefixKey, team.ID)
		}
		wantRecent(t, "CreateKey CreatedAt", created.CreatedAt)
		if created.RevokedAt != nil || created.LastRotatedAt != nil {
			t.Fatalf("CreateKey(%s): RevokedAt/LastRotatedAt set on a new key: %+v", k.Name, created)
		}
		got, err := s.GetKey(ctx(t), created.ID)
		wantErr(t, "GetKey", err, nil)
		wantEqual(t, "GetKey("+k.Name+")", got, created)
		got, err = s.GetKeyByHash(ctx(t), k.Hash)
		wantErr(t, "GetKeyByHash", err, nil)
		wantEqual(t, "GetKeyByHash("+k.Name+")", got, created)
	}
	k, err := s.GetKeyByHash(ctx(t), hash("team"))
	wantErr(t, "GetKeyByHash(team)", err, nil)
	if want := exp.Truncate(time.Microsecond); !k.ExpiresAt.Equal(want) || k.ExpiresAt.Location() != time.UTC {
		t.Fatalf("GetKeyByHash(team).ExpiresAt = %v, want %v in UTC, to the microsecond", k.ExpiresAt, want)
	}
	_, err = s.GetKeyByHash(ctx(t), hash("nobody"))
	wantErr(t, "GetKeyByHash(unknown)", err, store.ErrNotFound)
	_, err = s.GetKey(ctx(t), "key_missing")
	wantErr(t, "GetKey(missing)", err, store.ErrNotFound)
}

func testKeyValidation(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "t")
	valid := teamKey(team.ID, "valid")
	cases := []struct {
		name  string
		edit  func(k *store.APIKey)
		words []string
	}{
		{"short hash", func(k *store.APIKey) { k.Hash = []byte("short") }, []string{"hash"}},
		{"no prefix", func(k *store.APIKey) { k.Prefix = "" }, []string{"prefix"}},
		{"long prefix", func(k *store.APIKey) { k.Prefix = strings.Repeat("p", 33) }, []string{"prefix"}},
		{"unknown owner kind", func(k *store.APIKey) { k.OwnerKind = "org" }, []string{"owner_kind"}},
		{"no owner", func(k *store.APIKey) { k.OwnerID, k.TeamID = "", "" }, []string{"owner_id"}},
		{"team key, other team", func(k *store.APIKey) { k.TeamID = "team_other" }, []string{"owner_id"}},
		{"project key without project", func(k *store.APIKey) { k.OwnerKind = store.OwnerProject }, []string{"project_id"}},
		{"user key with project", func(k *store.APIKey) { k.OwnerKind, k.ProjectID = store.OwnerUser, "proj_x" }, []string{"project_id"}},
		{"negative limits", func(k *store.APIKey) { k.RPM, k.TPM = -1, -1 }, []string{"rpm"}},
		{"repeated model", func(k *store.APIKey) { k.Models = []string{"a", "a"} }, []string{"models[1]"}},
		{"empty model", func(k *store.APIKey) { k.Models = []string{""} }, []string{"models[0]"}},
		{"bad budget id", func(k *store.APIKey) { k.BudgetID = "b b" }, []string{"budget_id"}},
		{"every problem", func(k *store.APIKey) { k.Hash, k.Prefix, k.RPM = nil, "", -5 }, []string{"hash", "prefix", "rpm"}},
	}
	v := version(t, s)
	for _, tc := range cases {
		k := valid
		tc.edit(&k)
		_, err := s.CreateKey(ctx(t), k)
		wantErrMentions(t, "CreateKey("+tc.name+")", err, store.ErrInvalid, tc.words...)
	}
	if got := version(t, s); got != v {
		t.Fatalf("Version after rejected keys = %d, want %d", got, v)
	}
	mkKey(t, s, valid)
}

func testKeyOwners(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "t")
	other := mkTeam(t, s, "o")
	proj := mkProject(t, s, team.ID, "p")
	user := mkUser(t, s, "u@example.com", team.ID)
	cases := []struct {
		name string
		key  store.APIKey
		want error
	}{
		{"missing team", store.APIKey{OwnerKind: store.OwnerTeam, OwnerID: "team_missing"}, store.ErrNotFound},
		{"missing project", store.APIKey{OwnerKind: store.OwnerProject, OwnerID: "proj_missing", ProjectID: "proj_missing"}, store.ErrNotFound},
		{"missing user", store.APIKey{OwnerKind: store.OwnerUser, OwnerID: "user_missing"}, store.ErrNotFound},
		{"user key, missing team", store.APIKey{OwnerKind: store.OwnerUser, OwnerID: user.ID, TeamID: "team_missing"}, store.ErrNotFound},
		{"user key, not a member", store.APIKey{OwnerKind: store.OwnerUser, OwnerID: user.ID, TeamID: other.ID}, store.ErrInvalid},
		{"project key, wrong team", store.APIKey{OwnerKind: store.OwnerProject, OwnerID: proj.ID, ProjectID: proj.ID, TeamID: other.ID}, store.ErrInvalid},
		{"user key, no team", store.APIKey{OwnerKind: store.OwnerUser, OwnerID: user.ID}, nil},
		{"project key, right team", store.APIKey{OwnerKind: store.OwnerProject, OwnerID: proj.ID, ProjectID: proj.ID, TeamID: team.ID}, nil},
	}
	for _, tc := range cases {
		tc.key.Prefix, tc.key.Hash = "sk", hash(tc.name)
		_, err := s.CreateKey(ctx(t), tc.key)
		wantErr(t, "CreateKey("+tc.name+")", err, tc.want)
	}
}

func testKeyDuplicateHash(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "t")
	first := mkKey(t, s, teamKey(team.ID, "same"))
	dup := teamKey(team.ID, "same")
	dup.Name = "second"
	_, err := s.CreateKey(ctx(t), dup)
	wantErr(t, "CreateKey(duplicate hash)", err, store.ErrConflict)
	_, err = s.CreateKey(ctx(t), store.APIKey{ID: first.ID, Prefix: "sk", Hash: hash("other"), OwnerKind: store.OwnerTeam, OwnerID: team.ID})
	wantErr(t, "CreateKey(duplicate id)", err, store.ErrConflict)
}

func testKeyList(t *testing.T, s store.Store) {
	a := mkTeam(t, s, "a")
	b := mkTeam(t, s, "b")
	u := mkUser(t, s, "u@example.com", a.ID)
	a1 := mkKey(t, s, teamKey(a.ID, "a1"))
	a2 := mkKey(t, s, teamKey(a.ID, "a2"))
	b1 := mkKey(t, s, teamKey(b.ID, "b1"))
	u1 := mkKey(t, s, store.APIKey{Prefix: "sk", Hash: hash("u1"), OwnerKind: store.OwnerUser, OwnerID: u.ID, TeamID: a.ID})
	revoked, err := s.RevokeKey(ctx(t), a2.ID)
	wantErr(t, "RevokeKey", err, nil)

	cases := []struct {
		name   string
		filter store.KeyFilter
		want   []store.APIKey
	}{
		{"all active", store.KeyFilter{}, []store.APIKey{a1, b1, u1}},
		{"all", store.KeyFilter{IncludeRevoked: true}, []store.APIKey{a1, revoked, b1, u1}},
		{"team a", store.KeyFilter{TeamID: a.ID}, []store.APIKey{a1, u1}},
		{"team a with revoked", store.KeyFilter{TeamID: a.ID, IncludeRevoked: true}, []store.APIKey{a1, revoked, u1}},
		{"owned by team a", store.KeyFilter{OwnerKind: store.OwnerTeam, OwnerID: a.ID}, []store.APIKey{a1}},
		{"owned by user", store.KeyFilter{OwnerKind: store.OwnerUser, OwnerID: u.ID}, []store.APIKey{u1}},
		{"user keys", store.KeyFilter{OwnerKind: store.OwnerUser}, []store.APIKey{u1}},
		{"nobody", store.KeyFilter{TeamID: "team_none"}, nil},
	}
	for _, tc := range cases {
		page, err := s.ListKeys(ctx(t), tc.filter, store.ListOptions{})
		wantErr(t, "ListKeys("+tc.name+")", err, nil)
		wantEqual(t, "ListKeys("+tc.name+")", page, store.Page[store.APIKey]{Items: tc.want})
	}
}
