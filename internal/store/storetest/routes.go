package storetest

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/store"
)

var routeTests = []test{
	{"ModelRoute/CreateGetUpdateDeleteBumpVersion", testRouteCRUD},
	{"ModelRoute/ValidationAndConflicts", testRouteValidation},
}

func testRouteCRUD(t *testing.T, s store.Store) {
	v0 := version(t, s)
	spec := `{"name":"fast","targets":[{"provider":"openai","model":"gpt-4o-mini"}]}`
	created, err := s.CreateModelRoute(ctx(t), store.ModelRoute{Name: "fast", Spec: []byte(spec)})
	wantErr(t, "CreateModelRoute", err, nil)
	if !strings.HasPrefix(created.ID, store.PrefixModelRoute) || string(created.Spec) != spec {
		t.Fatalf("CreateModelRoute = %+v", created)
	}
	wantRecent(t, "CreateModelRoute CreatedAt", created.CreatedAt)
	if v := version(t, s); v != v0+1 {
		t.Errorf("Version after CreateModelRoute = %d, want %d", v, v0+1)
	}
	got, err := s.GetModelRoute(ctx(t), created.ID)
	wantErr(t, "GetModelRoute", err, nil)
	wantEqual(t, "GetModelRoute", got, created)

	upd := created
	upd.Spec = []byte(`{"name":"fast","targets":[{"provider":"groq","model":"llama"}]}`)
	updated, err := s.UpdateModelRoute(ctx(t), upd)
	wantErr(t, "UpdateModelRoute", err, nil)
	if string(updated.Spec) != string(upd.Spec) || updated.UpdatedAt.Before(created.UpdatedAt) {
		t.Errorf("UpdateModelRoute = %+v", updated)
	}
	page, err := s.ListModelRoutes(ctx(t), store.ListOptions{})
	wantErr(t, "ListModelRoutes", err, nil)
	wantEqual(t, "ListModelRoutes", page, store.Page[store.ModelRoute]{Items: []store.ModelRoute{updated}})

	wantErr(t, "DeleteModelRoute", s.DeleteModelRoute(ctx(t), created.ID), nil)
	_, err = s.GetModelRoute(ctx(t), created.ID)
	wantErr(t, "GetModelRoute after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteModelRoute again", s.DeleteModelRoute(ctx(t), created.ID), store.ErrNotFound)
	if v := version(t, s); v != v0+3 {
		t.Errorf("Version after create, update, delete = %d, want %d", v, v0+3)
	}
}

func testRouteValidation(t *testing.T, s store.Store) {
	_, err := s.CreateModelRoute(ctx(t), store.ModelRoute{})
	wantErrMentions(t, "CreateModelRoute(empty)", err, store.ErrInvalid, "name", "spec")
	_, err = s.CreateModelRoute(ctx(t), store.ModelRoute{Name: "x", Spec: []byte(`[1]`)})
	wantErrMentions(t, "CreateModelRoute(array spec)", err, store.ErrInvalid, "spec")
	m := store.ModelRoute{Name: "x", Spec: []byte(`{}`)}
	_, err = s.CreateModelRoute(ctx(t), m)
	wantErr(t, "CreateModelRoute", err, nil)
	_, err = s.CreateModelRoute(ctx(t), m)
	wantErr(t, "CreateModelRoute(same name)", err, store.ErrConflict)
}
