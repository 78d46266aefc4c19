package cluster

import (
	"context"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// Every store mutation of control-plane data notifies: a new one added to store.Store
// without a method here would otherwise pass through silently (promoted from the embedded
// store, in compiler-generated code).
func TestEveryControlPlaneMutationNotifies(t *testing.T) {
	notControlPlane := []string{"Batch", "File", "Response", "Request", "Expired", "Rollup"}
	ty := reflect.TypeFor[store.Store]()
	own := reflect.TypeFor[*NotifyingStore]()
	for i := range ty.NumMethod() {
		name := ty.Method(i).Name
		if !hasAnyPrefix(name, "Create", "Update", "Delete", "Revoke", "Rotate") ||
			slices.ContainsFunc(notControlPlane, func(s string) bool { return strings.Contains(name, s) }) {
			continue
		}
		m, _ := own.MethodByName(name)
		pc := m.Func.Pointer()
		file, _ := runtime.FuncForPC(pc).FileLine(pc)
		if !strings.HasSuffix(file, "cluster/store.go") {
			t.Errorf("(*NotifyingStore).%s is promoted (%s), want a method that notifies", name, file)
		}
	}
}

func hasAnyPrefix(s string, ps ...string) bool {
	return slices.ContainsFunc(ps, func(p string) bool { return strings.HasPrefix(s, p) })
}

type notice struct {
	version int64
	kind    string
}

// A committed change notifies with the counter it left; a failed one does not.
func TestNotifyingStoreNotifiesAfterCommit(t *testing.T) {
	ctx := t.Context()
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	var got []notice
	s := WrapStore(st, func(_ context.Context, v int64, kind string) { got = append(got, notice{v, kind}) })

	team, err := s.CreateTeam(ctx, store.Team{Name: "ml"})
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.CreateKey(ctx, store.APIKey{Prefix: "sk-sluice-ab", Hash: []byte("0123456789abcdef0123456789abcdef"), OwnerKind: store.OwnerTeam, OwnerID: team.ID, TeamID: team.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RevokeKey(ctx, key.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteTeam(ctx, "no-such-team"); err == nil {
		t.Fatal("DeleteTeam(no-such-team) succeeded")
	}
	v, _ := st.Version(ctx)
	want := []notice{{v - 2, KindTeam}, {v - 1, KindKey}, {v, KindKey}}
	if !slices.Equal(got, want) {
		t.Fatalf("notices = %v, want %v (none for the failed delete)", got, want)
	}
}
