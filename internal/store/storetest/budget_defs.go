package storetest

import (
	"testing"

	"github.com/sluicehq/sluice/internal/store"
)

var budgetDefTests = []test{
	{"StoredBudget/CRUDBumpsVersion", testStoredBudgetCRUD},
	{"StoredBudget/ValidationAndConflicts", testStoredBudgetValidation},
}

func teamBudget(id string) store.StoredBudget {
	return store.StoredBudget{ID: id, Name: "ML monthly", Scope: "team", ScopeID: "ml", LimitUSD: 12.5,
		Period: "monthly", Timezone: "Europe/Berlin", Thresholds: []int{50, 80, 100}, OnExceed: "block",
		ReserveTokens: 4096, UpdatedBy: "master"}
}

func testStoredBudgetCRUD(t *testing.T, s store.Store) {
	v0 := version(t, s)
	in := teamBudget("ml-monthly")
	created, err := s.CreateStoredBudget(ctx(t), in)
	wantErr(t, "CreateStoredBudget", err, nil)
	if created.Version != 1 || created.LimitUSD != 12.5 || created.ScopeID != "ml" || len(created.Thresholds) != 3 {
		t.Fatalf("CreateStoredBudget = %+v, want version 1 with the fields given", created)
	}
	wantRecent(t, "CreateStoredBudget CreatedAt", created.CreatedAt)
	got, err := s.GetStoredBudget(ctx(t), "ml-monthly")
	wantErr(t, "GetStoredBudget", err, nil)
	wantEqual(t, "GetStoredBudget", got, created)

	change := created
	change.LimitUSD, change.LimitTokens = 0, 5000
	change.Period, change.Thresholds, change.OnExceed, change.RerouteTo = "daily", []int{90}, "reroute", "cheap"
	change.UpdatedBy = "user_1"
	updated, err := s.UpdateStoredBudget(ctx(t), change)
	wantErr(t, "UpdateStoredBudget", err, nil)
	if updated.Version != 2 || updated.LimitTokens != 5000 || updated.LimitUSD != 0 || updated.RerouteTo != "cheap" ||
		!updated.CreatedAt.Equal(created.CreatedAt) || updated.UpdatedBy != "user_1" {
		t.Fatalf("UpdateStoredBudget = %+v, want version 2, the new fields, the original CreatedAt", updated)
	}
	_, err = s.UpdateStoredBudget(ctx(t), change) // change.Version is still 1
	wantErr(t, "UpdateStoredBudget(stale version 1)", err, store.ErrConflict)

	_, err = s.CreateStoredBudget(ctx(t), teamBudget("a-first"))
	wantErr(t, "CreateStoredBudget(a-first)", err, nil)
	list, err := s.ListStoredBudgets(ctx(t))
	wantErr(t, "ListStoredBudgets", err, nil)
	if len(list) != 2 || list[0].ID != "a-first" {
		t.Fatalf("ListStoredBudgets = %+v, want a-first then ml-monthly", list)
	}
	wantEqual(t, "ListStoredBudgets[1]", list[1], updated)

	wantErr(t, "DeleteStoredBudget", s.DeleteStoredBudget(ctx(t), "ml-monthly"), nil)
	_, err = s.GetStoredBudget(ctx(t), "ml-monthly")
	wantErr(t, "GetStoredBudget after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteStoredBudget again", s.DeleteStoredBudget(ctx(t), "ml-monthly"), store.ErrNotFound)
	_, err = s.UpdateStoredBudget(ctx(t), change)
	wantErr(t, "UpdateStoredBudget(deleted)", err, store.ErrNotFound)
	if v := version(t, s); v != v0+4 {
		t.Errorf("Version after create, update, create, delete = %d, want %d", v, v0+4)
	}
}

func testStoredBudgetValidation(t *testing.T, s store.Store) {
	_, err := s.CreateStoredBudget(ctx(t), store.StoredBudget{})
	wantErrMentions(t, "CreateStoredBudget(empty)", err, store.ErrInvalid, "id", "scope", "limit")
	bad := teamBudget("a/b")
	_, err = s.CreateStoredBudget(ctx(t), bad)
	wantErrMentions(t, "CreateStoredBudget(id a/b)", err, store.ErrInvalid, "id")
	both := teamBudget("both")
	both.LimitTokens = 10
	_, err = s.CreateStoredBudget(ctx(t), both)
	wantErrMentions(t, "CreateStoredBudget(both limits)", err, store.ErrInvalid, "limit_usd and limit_tokens")
	_, err = s.CreateStoredBudget(ctx(t), teamBudget("x"))
	wantErr(t, "CreateStoredBudget", err, nil)
	v := version(t, s)
	_, err = s.CreateStoredBudget(ctx(t), teamBudget("x"))
	wantErr(t, "CreateStoredBudget(same id)", err, store.ErrConflict)
	neg := teamBudget("x")
	neg.LimitUSD = -1
	_, err = s.UpdateStoredBudget(ctx(t), neg)
	wantErrMentions(t, "UpdateStoredBudget(negative limit)", err, store.ErrInvalid, "limit")
	if got := version(t, s); got != v {
		t.Errorf("Version after failed writes = %d, want %d", got, v)
	}
}
