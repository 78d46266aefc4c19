package auth_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/secret"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

func TestLogBodiesComesFromKeyTagThenTeamMetadata(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := auth.New(auth.Config{Required: true, MasterKey: secret.New("sk-master"), Pepper: secret.New("pepper")}, slog.New(slog.DiscardHandler))
	withPolicy, err := st.CreateTeam(ctx, store.Team{Name: "legal", Metadata: map[string]string{auth.LogBodiesKey: "metadata"}})
	if err != nil {
		t.Fatal(err)
	}
	without, err := st.CreateTeam(ctx, store.Team{Name: "ml"})
	if err != nil {
		t.Fatal(err)
	}
	issue := func(team string, tags map[string]string) string {
		plain, prefix, err := auth.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateKey(ctx, store.APIKey{Prefix: prefix, Hash: a.Hasher().Hash(plain), OwnerKind: store.OwnerTeam,
			OwnerID: team, Tags: tags}); err != nil {
			t.Fatal(err)
		}
		return plain
	}
	cases := []struct {
		name, key, want string
	}{
		{"team metadata", issue(withPolicy.ID, nil), "metadata"},
		{"key tag over team metadata", issue(withPolicy.ID, map[string]string{auth.LogBodiesKey: "full"}), "full"},
		{"key tag off over team metadata", issue(withPolicy.ID, map[string]string{auth.LogBodiesKey: "off"}), "off"},
		{"neither", issue(without.ID, nil), ""},
	}
	if err := a.Sync(ctx, st); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		r := httptest.NewRequest("POST", "/v1/chat/completions", nil)
		r.Header.Set("Authorization", "Bearer "+tc.key)
		p, err := a.Authenticate(r)
		if err != nil {
			t.Fatalf("%s: Authenticate: %v", tc.name, err)
		}
		if got := p.LogBodies(); got != tc.want {
			t.Errorf("%s: LogBodies() = %q, want %q", tc.name, got, tc.want)
		}
	}
}
