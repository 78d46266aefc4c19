package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/sluicehq/sluice/internal/store"
)

var pagingTests = []test{
	{"Paging/SeveralPagesInIDOrder", testPagingOrder},
	{"Paging/StableUnderConcurrentInserts", testPagingStable},
	{"Paging/LimitDefaultsClampAndNegative", testPagingLimits},
	{"Paging/EveryListPages", testPagingEveryList},
}

// collect follows Next until the last page, checking each page's size.
func collect[T any](t *testing.T, name string, limit int, list func(store.ListOptions) (store.Page[T], error), id func(T) string) []string {
	t.Helper()
	var out []string
	opts := store.ListOptions{Limit: limit}
	for pages := 0; ; pages++ {
		if pages > 1000 {
			t.Fatalf("%s: more than 1000 pages; is Next advancing?", name)
		}
		p, err := list(opts)
		wantErr(t, fmt.Sprintf("%s(after %q)", name, opts.After), err, nil)
		if len(p.Items) > limit || p.Next != "" && len(p.Items) != limit {
			t.Fatalf("%s(after %q): %d items with Next %q, want full pages of %d before the last", name, opts.After, len(p.Items), p.Next, limit)
		}
		out = append(out, ids(p.Items, id)...)
		if p.Next == "" {
			return out
		}
		if p.Next != out[len(out)-1] {
			t.Fatalf("%s: Next = %q, want the last item's ID %q", name, p.Next, out[len(out)-1])
		}
		opts.After = p.Next
	}
}

func testPagingOrder(t *testing.T, s store.Store) {
	var want []string
	for i := range 20 {
		team := store.Team{Name: fmt.Sprintf("team-%02d", i)}
		if i%4 == 0 { // caller-chosen IDs interleave with generated ones
			team.ID = fmt.Sprintf("team_%c", 'z'-i)
		}
		created, err := s.CreateTeam(ctx(t), team)
		wantErr(t, "CreateTeam", err, nil)
		want = append(want, created.ID)
	}
	slices.Sort(want)
	list := func(o store.ListOptions) (store.Page[store.Team], error) { return s.ListTeams(ctx(t), o) }
	for _, limit := range []int{1, 5, 7, 20, 21} {
		got := collect(t, fmt.Sprintf("ListTeams(limit %d)", limit), limit, list, teamID)
		wantEqual(t, fmt.Sprintf("ListTeams(limit %d) IDs", limit), got, want)
	}
	// The same call returns the same page.
	a, err := s.ListTeams(ctx(t), store.ListOptions{Limit: 6, After: want[3]})
	wantErr(t, "ListTeams", err, nil)
	b, err := s.ListTeams(ctx(t), store.ListOptions{Limit: 6, After: want[3]})
	wantErr(t, "ListTeams again", err, nil)
	wantEqual(t, "ListTeams twice", a, b)
}

func testPagingStable(t *testing.T, s store.Store) {
	var all []string
	for i := range 9 {
		all = append(all, mkTeam(t, s, fmt.Sprintf("t%d", i)).ID)
	}
	p1, err := s.ListTeams(ctx(t), store.ListOptions{Limit: 4})
	wantErr(t, "ListTeams(page 1)", err, nil)
	// Between pages: one insert before the cursor, one after, and the cursor row deleted.
	_, err = s.CreateTeam(ctx(t), store.Team{ID: "team_00000", Name: "before"})
	wantErr(t, "CreateTeam(before cursor)", err, nil)
	late, err := s.CreateTeam(ctx(t), store.Team{ID: "team_zzzzz", Name: "after"})
	wantErr(t, "CreateTeam(after cursor)", err, nil)
	wantErr(t, "DeleteTeam(cursor row)", s.DeleteTeam(ctx(t), p1.Next), nil)

	got := ids(p1.Items, teamID)
	opts := store.ListOptions{Limit: 4, After: p1.Next}
	for opts.After != "" {
		p, err := s.ListTeams(ctx(t), opts)
		wantErr(t, "ListTeams(next page)", err, nil)
		got = append(got, ids(p.Items, teamID)...)
		opts.After = p.Next
	}
	wantEqual(t, "pages across inserts and a deleted cursor", got, append(all, late.ID))
}

func testPagingLimits(t *testing.T, s store.Store) {
	for i := range 3 {
		mkTeam(t, s, fmt.Sprintf("t%d", i))
	}
	p, err := s.ListTeams(ctx(t), store.ListOptions{})
	wantErr(t, "ListTeams(limit 0)", err, nil)
	if len(p.Items) != 3 || p.Next != "" {
		t.Fatalf("ListTeams(limit 0) = %d items, Next %q; want all 3 (default limit %d)", len(p.Items), p.Next, store.DefaultLimit)
	}
	_, err = s.ListTeams(ctx(t), store.ListOptions{Limit: store.MaxLimit * 10})
	wantErr(t, "ListTeams(limit over max)", err, nil)
	_, err = s.ListTeams(ctx(t), store.ListOptions{Limit: -1})
	wantErr(t, "ListTeams(limit -1)", err, store.ErrInvalid)
	_, err = s.ListAudit(ctx(t), store.AuditFilter{}, store.ListOptions{Limit: -1})
	wantErr(t, "ListAudit(limit -1)", err, store.ErrInvalid)
}

func testPagingEveryList(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "t")
	var projects, users, keys, creds, events []string
	for i := range 7 {
		n := fmt.Sprint(i)
		projects = append(projects, mkProject(t, s, team.ID, "p"+n).ID)
		users = append(users, mkUser(t, s, "u"+n+"@example.com", team.ID).ID)
		keys = append(keys, mkKey(t, s, teamKey(team.ID, "key"+n)).ID)
		c, err := s.CreateCredential(ctx(t), store.ProviderCredential{Provider: "openai", Name: n, Ciphertext: []byte{1}, Nonce: []byte{1}})
		wantErr(t, "CreateCredential", err, nil)
		creds = append(creds, c.ID)
		e, err := s.AppendAudit(ctx(t), store.AuditEvent{Action: "a", ResourceKind: "k"})
		wantErr(t, "AppendAudit", err, nil)
		events = append(events, e.ID)
	}
	wantEqual(t, "ListProjects pages", collect(t, "ListProjects", 3, func(o store.ListOptions) (store.Page[store.Project], error) {
		return s.ListProjects(ctx(t), team.ID, o)
	}, projectID), projects)
	wantEqual(t, "ListUsers pages", collect(t, "ListUsers", 3, func(o store.ListOptions) (store.Page[store.User], error) {
		return s.ListUsers(ctx(t), team.ID, o)
	}, userID), users)
	wantEqual(t, "ListKeys pages", collect(t, "ListKeys", 3, func(o store.ListOptions) (store.Page[store.APIKey], error) {
		return s.ListKeys(ctx(t), store.KeyFilter{TeamID: team.ID}, o)
	}, keyID), keys)
	wantEqual(t, "ListCredentials pages", collect(t, "ListCredentials", 3, func(o store.ListOptions) (store.Page[store.ProviderCredential], error) {
		return s.ListCredentials(ctx(t), "openai", o)
	}, credID), creds)
	wantEqual(t, "ListAudit pages", collect(t, "ListAudit", 3, func(o store.ListOptions) (store.Page[store.AuditEvent], error) {
		return s.ListAudit(ctx(t), store.AuditFilter{}, o)
	}, auditID), events)
}
