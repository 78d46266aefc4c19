package storetest

import (
	"context"
	"crypto/sha256"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

type test struct {
	name string
	fn   func(t *testing.T, s store.Store)
}

// Run runs every conformance test in parallel, each against its own store from open,
// which must return a new, empty, migrated store and register its Close (and any cleanup
// of its database) with t.Cleanup.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	var tests []test
	for _, group := range [][]test{
		teamTests, projectTests, userTests, keyTests, keyLifecycleTests,
		credentialTests, routeTests, auditTests, pagingTests, snapshotTests, requestLogTests, budgetTests,
		responseTests, analyticsTests, rollupTests, guardrailTests, budgetDefTests, bodyTests, batchTests,
	} {
		tests = append(tests, group...)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tc.fn(t, open(t))
		})
	}
}

// Helpers shared by the tests. Each fails the test on an unexpected error.

func ctx(t testing.TB) context.Context { return t.Context() }

// hash derives a distinct 32-byte key hash from seed.
func hash(seed string) []byte {
	h := sha256.Sum256([]byte(seed))
	return h[:]
}

func mkTeam(t testing.TB, s store.Store, name string) store.Team {
	t.Helper()
	team, err := s.CreateTeam(ctx(t), store.Team{Name: name})
	if err != nil {
		t.Fatalf("CreateTeam(%q): %v", name, err)
	}
	return team
}

func mkProject(t testing.TB, s store.Store, teamID, name string) store.Project {
	t.Helper()
	p, err := s.CreateProject(ctx(t), store.Project{TeamID: teamID, Name: name})
	if err != nil {
		t.Fatalf("CreateProject(%q, %q): %v", teamID, name, err)
	}
	return p
}

func mkUser(t testing.TB, s store.Store, email string, teamIDs ...string) store.User {
	t.Helper()
	u, err := s.CreateUser(ctx(t), store.User{Email: email, Name: email, Role: store.RoleMember, TeamIDs: teamIDs})
	if err != nil {
		t.Fatalf("CreateUser(%q): %v", email, err)
	}
	return u
}

// teamKey returns a valid team key for teamID; seed makes its hash unique.
func teamKey(teamID, seed string) store.APIKey {
	return store.APIKey{
		Prefix: "sk-sluice-" + seed[:min(4, len(seed))], Hash: hash(seed), Name: seed,
		OwnerKind: store.OwnerTeam, OwnerID: teamID,
	}
}

func mkKey(t testing.TB, s store.Store, k store.APIKey) store.APIKey {
	t.Helper()
	out, err := s.CreateKey(ctx(t), k)
	if err != nil {
		t.Fatalf("CreateKey(%q): %v", k.Name, err)
	}
	return out
}

func version(t testing.TB, s store.Store) int64 {
	t.Helper()
	v, err := s.Version(ctx(t))
	if err != nil {
		t.Fatalf("Version: %v", err)
	}
	return v
}

// wantErr fails unless err matches target (nil means success is wanted).
func wantErr(t testing.TB, call string, err, target error) {
	t.Helper()
	switch {
	case target == nil && err != nil:
		t.Fatalf("%s: unexpected error: %v", call, err)
	case target != nil && !errors.Is(err, target):
		t.Fatalf("%s: error = %v, want errors.Is(%v)", call, err, target)
	}
}

// wantErrMentions also checks that the message names each of words, e.g. every field
// that failed validation.
func wantErrMentions(t testing.TB, call string, err, target error, words ...string) {
	t.Helper()
	wantErr(t, call, err, target)
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: error %q does not mention %q", call, err, w)
		}
	}
}

func wantEqual[T any](t testing.TB, call string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got  %+v\n want %+v", call, got, want)
	}
}

func wantRecent(t testing.TB, what string, got time.Time) {
	t.Helper()
	if got.Location() != time.UTC || time.Since(got) > time.Minute || time.Until(got) > time.Second {
		t.Fatalf("%s = %v, want about now, in UTC", what, got)
	}
}

// ids returns the IDs of items, via id.
func ids[T any](items []T, id func(T) string) []string {
	if len(items) == 0 {
		return nil
	}
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func teamID(t store.Team) string               { return t.ID }
func keyID(k store.APIKey) string              { return k.ID }
func userID(u store.User) string               { return u.ID }
func auditID(e store.AuditEvent) string        { return e.ID }
func projectID(p store.Project) string         { return p.ID }
func credID(c store.ProviderCredential) string { return c.ID }
