package storetest

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/store"
)

var userTests = []test{
	{"User/CreateGetUpdateDelete", testUserCRUD},
	{"User/ValidationReportsEveryProblem", testUserValidation},
	{"User/MissingTeamIsNotFoundAndAtomic", testUserMissingTeam},
	{"User/EmailUniqueIgnoringCase", testUserEmailConflict},
	{"User/DeleteBlockedByOwnedKeys", testUserDeleteWithKeys},
}

func testUserCRUD(t *testing.T, s store.Store) {
	a := mkTeam(t, s, "a")
	b := mkTeam(t, s, "b")
	teams := []string{a.ID, b.ID}
	if teams[0] < teams[1] {
		teams[0], teams[1] = teams[1], teams[0] // pass them unsorted
	}
	created, err := s.CreateUser(ctx(t), store.User{
		Email: " Ada@Example.COM ", Name: "Ada", Role: store.RoleTeamAdmin, TeamIDs: teams,
	})
	wantErr(t, "CreateUser", err, nil)
	if !strings.HasPrefix(created.ID, store.PrefixUser) || created.Email != "ada@example.com" {
		t.Fatalf("CreateUser = %+v, want a %q ID and the email normalized", created, store.PrefixUser)
	}
	wantEqual(t, "CreateUser TeamIDs (sorted)", created.TeamIDs, []string{teams[1], teams[0]})
	wantRecent(t, "CreateUser CreatedAt", created.CreatedAt)

	got, err := s.GetUser(ctx(t), created.ID)
	wantErr(t, "GetUser", err, nil)
	wantEqual(t, "GetUser", got, created)
	got, err = s.GetUserByEmail(ctx(t), "ADA@example.com")
	wantErr(t, "GetUserByEmail(other case)", err, nil)
	wantEqual(t, "GetUserByEmail", got, created)

	upd := created
	upd.Email, upd.Name, upd.Role, upd.TeamIDs = "ada@sluice.dev", "Ada L.", store.RoleViewer, []string{b.ID}
	updated, err := s.UpdateUser(ctx(t), upd)
	wantErr(t, "UpdateUser", err, nil)
	wantEqual(t, "UpdateUser", updated, upd)
	got, err = s.GetUser(ctx(t), created.ID)
	wantErr(t, "GetUser after update", err, nil)
	wantEqual(t, "GetUser after update", got, upd)
	_, err = s.GetUserByEmail(ctx(t), "ada@example.com")
	wantErr(t, "GetUserByEmail(old email)", err, store.ErrNotFound)

	bob := mkUser(t, s, "bob@example.com", a.ID)
	page, err := s.ListUsers(ctx(t), b.ID, store.ListOptions{})
	wantErr(t, "ListUsers(team b)", err, nil)
	wantEqual(t, "ListUsers(team b)", page, store.Page[store.User]{Items: []store.User{upd}})
	page, err = s.ListUsers(ctx(t), "", store.ListOptions{})
	wantErr(t, "ListUsers(all)", err, nil)
	wantEqual(t, "ListUsers(all)", page, store.Page[store.User]{Items: []store.User{upd, bob}})

	wantErr(t, "DeleteUser", s.DeleteUser(ctx(t), created.ID), nil)
	_, err = s.GetUser(ctx(t), created.ID)
	wantErr(t, "GetUser after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteUser again", s.DeleteUser(ctx(t), created.ID), store.ErrNotFound)
	_, err = s.UpdateUser(ctx(t), upd)
	wantErr(t, "UpdateUser(deleted)", err, store.ErrNotFound)
}

func testUserValidation(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "t")
	cases := []struct {
		name  string
		user  store.User
		words []string
	}{
		{"no at sign", store.User{Email: "nobody", Role: store.RoleMember}, []string{"email"}},
		{"empty domain", store.User{Email: "a@", Role: store.RoleMember}, []string{"email"}},
		{"unknown role", store.User{Email: "a@b.c", Role: "owner"}, []string{"role"}},
		{"email and role", store.User{Email: "", Role: ""}, []string{"email", "role"}},
		{"duplicate team", store.User{Email: "a@b.c", Role: store.RoleAdmin, TeamIDs: []string{team.ID, team.ID}}, []string{"duplicate"}},
		{"bad team id", store.User{Email: "a@b.c", Role: store.RoleAdmin, TeamIDs: []string{"a b"}}, []string{"team_ids[0]"}},
	}
	for _, tc := range cases {
		_, err := s.CreateUser(ctx(t), tc.user)
		wantErrMentions(t, "CreateUser("+tc.name+")", err, store.ErrInvalid, tc.words...)
	}
	u := mkUser(t, s, "ok@example.com")
	u.Role = "root"
	_, err := s.UpdateUser(ctx(t), u)
	wantErr(t, "UpdateUser(bad role)", err, store.ErrInvalid)
}

func testUserMissingTeam(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "t")
	v := version(t, s)
	_, err := s.CreateUser(ctx(t), store.User{Email: "x@example.com", Role: store.RoleMember, TeamIDs: []string{team.ID, "team_missing"}})
	wantErr(t, "CreateUser(missing team)", err, store.ErrNotFound)
	_, err = s.GetUserByEmail(ctx(t), "x@example.com")
	wantErr(t, "GetUserByEmail after failed create", err, store.ErrNotFound)
	if got := version(t, s); got != v {
		t.Fatalf("Version after failed create = %d, want %d (rolled back)", got, v)
	}

	u := mkUser(t, s, "y@example.com", team.ID)
	u.TeamIDs = []string{"team_missing"}
	_, err = s.UpdateUser(ctx(t), u)
	wantErr(t, "UpdateUser(missing team)", err, store.ErrNotFound)
	got, err := s.GetUser(ctx(t), u.ID)
	wantErr(t, "GetUser after failed update", err, nil)
	wantEqual(t, "GetUser after failed update: TeamIDs", got.TeamIDs, []string{team.ID})
}

func testUserEmailConflict(t *testing.T, s store.Store) {
	mkUser(t, s, "alice@example.com")
	_, err := s.CreateUser(ctx(t), store.User{Email: "Alice@Example.com", Role: store.RoleViewer})
	wantErr(t, "CreateUser(same email, other case)", err, store.ErrConflict)
	b := mkUser(t, s, "bob@example.com")
	b.Email = "ALICE@example.com"
	_, err = s.UpdateUser(ctx(t), b)
	wantErr(t, "UpdateUser(to taken email)", err, store.ErrConflict)
}

func testUserDeleteWithKeys(t *testing.T, s store.Store) {
	u := mkUser(t, s, "owner@example.com")
	k := mkKey(t, s, store.APIKey{Prefix: "sk", Hash: hash("uk"), OwnerKind: store.OwnerUser, OwnerID: u.ID})
	wantErr(t, "DeleteUser(owns key)", s.DeleteUser(ctx(t), u.ID), store.ErrConflict)
	_, err := s.RevokeKey(ctx(t), k.ID)
	wantErr(t, "RevokeKey", err, nil)
	wantErr(t, "DeleteUser(owns revoked key)", s.DeleteUser(ctx(t), u.ID), store.ErrConflict)
	wantErr(t, "DeleteKey", s.DeleteKey(ctx(t), k.ID), nil)
	wantErr(t, "DeleteUser(no keys)", s.DeleteUser(ctx(t), u.ID), nil)
}
