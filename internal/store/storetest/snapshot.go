package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

var snapshotTests = []test{
	{"Concurrency/KeysRevokesAndSnapshots", testConcurrency},
	{"Snapshot/HoldsAuthStateWithoutRevokedKeys", testSnapshotContents},
	{"Version/BumpsOncePerMutationOnly", testVersionBumps},
	{"Migrate/RerunIsANoOp", testMigrateIdempotent},
}

func testSnapshotContents(t *testing.T, s store.Store) {
	empty, err := s.Snapshot(ctx(t))
	wantErr(t, "Snapshot(empty)", err, nil)
	if len(empty.Teams)+len(empty.Projects)+len(empty.Users)+len(empty.Keys) != 0 {
		t.Fatalf("Snapshot(empty) = %+v, want nothing", empty)
	}

	team := mkTeam(t, s, "t")
	other := mkTeam(t, s, "o")
	proj := mkProject(t, s, team.ID, "p")
	user := mkUser(t, s, "u@example.com", team.ID, other.ID)
	active := mkKey(t, s, teamKey(team.ID, "active"))
	past := time.Now().Add(-time.Hour)
	expiredIn := store.APIKey{Prefix: "sk", Hash: hash("expired"), OwnerKind: store.OwnerProject, OwnerID: proj.ID, ProjectID: proj.ID, ExpiresAt: &past}
	expired := mkKey(t, s, expiredIn)
	userKey := mkKey(t, s, store.APIKey{Prefix: "sk", Hash: hash("user"), OwnerKind: store.OwnerUser, OwnerID: user.ID})
	revoked := mkKey(t, s, teamKey(team.ID, "revoked"))
	_, err = s.RevokeKey(ctx(t), revoked.ID)
	wantErr(t, "RevokeKey", err, nil)

	before := time.Now()
	snap, err := s.Snapshot(ctx(t))
	wantErr(t, "Snapshot", err, nil)
	wantRecent(t, "Snapshot TakenAt", snap.TakenAt)
	if v := version(t, s); snap.Version != v {
		t.Fatalf("Snapshot.Version = %d, want the current Version %d", snap.Version, v)
	}
	wantEqual(t, "Snapshot.Teams", snap.Teams, []store.Team{team, other})
	wantEqual(t, "Snapshot.Projects", snap.Projects, []store.Project{proj})
	wantEqual(t, "Snapshot.Users", snap.Users, []store.User{user})
	wantEqual(t, "Snapshot.Keys (revoked left out)", snap.Keys, []store.APIKey{active, expired, userKey})
	for _, k := range snap.Keys {
		if k.Expired(before) != (k.ID == expired.ID) {
			t.Errorf("Snapshot key %s: Expired(now) = %v, want %v", k.Name, k.Expired(before), k.ID == expired.ID)
		}
	}
}

func testVersionBumps(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "base")
	proj := mkProject(t, s, team.ID, "base")
	user := mkUser(t, s, "base@example.com", team.ID)
	key := mkKey(t, s, teamKey(team.ID, "base"))
	cred, err := s.CreateCredential(ctx(t), store.ProviderCredential{Provider: "p", Name: "n", Ciphertext: []byte{1}, Nonce: []byte{1}})
	wantErr(t, "CreateCredential", err, nil)

	for _, st := range versionSteps(t, s, team, proj, user, key, cred) {
		before := version(t, s)
		if err := st.call(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := version(t, s); got != before+st.bumps {
			t.Fatalf("%s: Version went %d -> %d, want +%d", st.name, before, got, st.bumps)
		}
	}
}

type versionStep struct {
	name  string
	bumps int64 // how much Version must grow
	call  func() error
}

// versionSteps lists every mutation, each expected to bump Version once, then calls that
// must not bump it: a no-op, the audit log, reads and failures.
func versionSteps(t *testing.T, s store.Store, team store.Team, proj store.Project, user store.User,
	key store.APIKey, cred store.ProviderCredential) []versionStep {
	var tmp struct {
		team store.Team
		proj store.Project
		user store.User
		key  store.APIKey
		cred store.ProviderCredential
	}
	return []versionStep{
		{"CreateTeam", 1, func() (err error) { tmp.team, err = s.CreateTeam(ctx(t), store.Team{Name: "x"}); return err }},
		{"UpdateTeam", 1, func() error { _, err := s.UpdateTeam(ctx(t), store.Team{ID: tmp.team.ID, Name: "y"}); return err }},
		{"CreateProject", 1, func() (err error) {
			tmp.proj, err = s.CreateProject(ctx(t), store.Project{TeamID: tmp.team.ID, Name: "p"})
			return err
		}},
		{"UpdateProject", 1, func() error { _, err := s.UpdateProject(ctx(t), store.Project{ID: tmp.proj.ID, Name: "q"}); return err }},
		{"CreateUser", 1, func() (err error) {
			tmp.user, err = s.CreateUser(ctx(t), store.User{Email: "x@y.z", Role: store.RoleAdmin})
			return err
		}},
		{"UpdateUser", 1, func() error {
			tmp.user.TeamIDs = []string{tmp.team.ID}
			_, err := s.UpdateUser(ctx(t), tmp.user)
			return err
		}},
		{"CreateKey", 1, func() (err error) { tmp.key, err = s.CreateKey(ctx(t), teamKey(tmp.team.ID, "x")); return err }},
		{"UpdateKey", 1, func() error { tmp.key.RPM = 9; _, err := s.UpdateKey(ctx(t), tmp.key); return err }},
		{"RotateKey", 1, func() error { _, err := s.RotateKey(ctx(t), tmp.key.ID, "sk", hash("rotated")); return err }},
		{"RevokeKey", 1, func() error { _, err := s.RevokeKey(ctx(t), tmp.key.ID); return err }},
		{"RevokeKey (already revoked)", 0, func() error { _, err := s.RevokeKey(ctx(t), tmp.key.ID); return err }},
		{"DeleteKey", 1, func() error { return s.DeleteKey(ctx(t), tmp.key.ID) }},
		{"CreateCredential", 1, func() (err error) {
			tmp.cred, err = s.CreateCredential(ctx(t), store.ProviderCredential{Provider: "p", Name: "m", Ciphertext: []byte{1}, Nonce: []byte{1}})
			return err
		}},
		{"UpdateCredential", 1, func() error { tmp.cred.Name = "o"; _, err := s.UpdateCredential(ctx(t), tmp.cred); return err }},
		{"DeleteCredential", 1, func() error { return s.DeleteCredential(ctx(t), tmp.cred.ID) }},
		{"DeleteUser", 1, func() error { return s.DeleteUser(ctx(t), tmp.user.ID) }},
		{"DeleteProject", 1, func() error { return s.DeleteProject(ctx(t), tmp.proj.ID) }},
		{"DeleteTeam", 1, func() error { return s.DeleteTeam(ctx(t), tmp.team.ID) }},
		{"AppendAudit", 0, func() error {
			_, err := s.AppendAudit(ctx(t), store.AuditEvent{Action: "a", ResourceKind: "r"})
			return err
		}},
		{"reads", 0, func() error { return reads(t, s, team, proj, user, key, cred) }},
		{"failed CreateTeam (conflict)", 0, func() error { return ignore(s.CreateTeam(ctx(t), store.Team{Name: "base"})) }},
		{"failed DeleteTeam (referenced)", 0, func() error { return ignore(0, s.DeleteTeam(ctx(t), team.ID)) }},
		{"failed CreateKey (invalid)", 0, func() error { return ignore(s.CreateKey(ctx(t), store.APIKey{})) }},
		{"failed UpdateUser (missing)", 0, func() error {
			return ignore(s.UpdateUser(ctx(t), store.User{ID: "user_none", Email: "a@b.c", Role: store.RoleAdmin}))
		}},
	}
}

// ignore drops an expected failure, so a step can assert only on Version.
func ignore[T any](_ T, _ error) error { return nil }

// errOf keeps only the error of a call.
func errOf[T any](_ T, err error) error { return err }

// reads calls every read method once.
func reads(t *testing.T, s store.Store, team store.Team, proj store.Project, user store.User, key store.APIKey, cred store.ProviderCredential) error {
	c := ctx(t)
	page := store.ListOptions{}
	for i, err := range []error{
		errOf(s.GetOrganization(c, store.DefaultOrgID)), errOf(s.GetTeam(c, team.ID)), errOf(s.ListTeams(c, page)),
		errOf(s.GetProject(c, proj.ID)), errOf(s.ListProjects(c, "", page)),
		errOf(s.GetUser(c, user.ID)), errOf(s.GetUserByEmail(c, user.Email)), errOf(s.ListUsers(c, "", page)),
		errOf(s.GetKey(c, key.ID)), errOf(s.GetKeyByHash(c, key.Hash)), errOf(s.ListKeys(c, store.KeyFilter{}, page)),
		errOf(s.GetCredential(c, cred.ID)), errOf(s.ListCredentials(c, "", page)),
		errOf(s.ListAudit(c, store.AuditFilter{}, page)), errOf(s.Snapshot(c)), errOf(s.Version(c)),
	} {
		if err != nil {
			return fmt.Errorf("read %d: %w", i, err)
		}
	}
	return nil
}

func testMigrateIdempotent(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "kept")
	v := version(t, s)
	for i := range 2 {
		wantErr(t, fmt.Sprintf("Migrate (run %d)", i+2), s.Migrate(ctx(t)), nil)
	}
	if got := version(t, s); got != v {
		t.Fatalf("Version after re-running Migrate = %d, want %d", got, v)
	}
	got, err := s.GetTeam(ctx(t), team.ID)
	wantErr(t, "GetTeam after Migrate", err, nil)
	wantEqual(t, "GetTeam after Migrate", got, team)
}
