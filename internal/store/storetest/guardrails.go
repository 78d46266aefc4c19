package storetest

import (
	"testing"

	"github.com/sluicehq/sluice/internal/store"
)

var guardrailTests = []test{
	{"GuardrailPolicy/VersionedCRUDBumpsVersion", testGuardrailCRUD},
	{"GuardrailPolicy/HistoryOutlivesDeleteAndPages", testGuardrailHistory},
	{"GuardrailPolicy/ValidationAndConflicts", testGuardrailValidation},
}

func testGuardrailCRUD(t *testing.T, s store.Store) {
	v0 := version(t, s)
	spec := `{"checks":[{"name":"k","kind":"keyword","action":"block","keywords":["x"]}]}`
	created, err := s.CreateGuardrailPolicy(ctx(t), store.GuardrailPolicy{Name: "strict", Spec: []byte(spec), UpdatedBy: "master"})
	wantErr(t, "CreateGuardrailPolicy", err, nil)
	if created.Version != 1 || string(created.Spec) != spec || created.UpdatedBy != "master" {
		t.Fatalf("CreateGuardrailPolicy = %+v, want version 1 with the spec and actor", created)
	}
	wantRecent(t, "CreateGuardrailPolicy UpdatedAt", created.UpdatedAt)
	got, err := s.GetGuardrailPolicy(ctx(t), "strict")
	wantErr(t, "GetGuardrailPolicy", err, nil)
	wantEqual(t, "GetGuardrailPolicy", got, created)

	spec2 := `{"restore":true,"checks":[{"name":"p","kind":"pii","action":"redact"}]}`
	updated, err := s.UpdateGuardrailPolicy(ctx(t), store.GuardrailPolicy{Name: "strict", Version: 1, Spec: []byte(spec2), UpdatedBy: "user_1"})
	wantErr(t, "UpdateGuardrailPolicy", err, nil)
	if updated.Version != 2 || string(updated.Spec) != spec2 || updated.UpdatedBy != "user_1" {
		t.Fatalf("UpdateGuardrailPolicy = %+v, want version 2 with the new spec and actor", updated)
	}
	_, err = s.UpdateGuardrailPolicy(ctx(t), store.GuardrailPolicy{Name: "strict", Version: 1, Spec: []byte(spec)})
	wantErr(t, "UpdateGuardrailPolicy(stale version 1)", err, store.ErrConflict)

	list, err := s.ListGuardrailPolicies(ctx(t))
	wantErr(t, "ListGuardrailPolicies", err, nil)
	wantEqual(t, "ListGuardrailPolicies", list, []store.GuardrailPolicy{updated})

	wantErr(t, "DeleteGuardrailPolicy", s.DeleteGuardrailPolicy(ctx(t), "strict"), nil)
	_, err = s.GetGuardrailPolicy(ctx(t), "strict")
	wantErr(t, "GetGuardrailPolicy after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteGuardrailPolicy again", s.DeleteGuardrailPolicy(ctx(t), "strict"), store.ErrNotFound)
	_, err = s.UpdateGuardrailPolicy(ctx(t), store.GuardrailPolicy{Name: "strict", Spec: []byte(spec)})
	wantErr(t, "UpdateGuardrailPolicy(deleted)", err, store.ErrNotFound)
	if v := version(t, s); v != v0+3 {
		t.Errorf("Version after create, update, delete = %d, want %d", v, v0+3)
	}
}

func testGuardrailHistory(t *testing.T, s store.Store) {
	for i, spec := range []string{`{"v":1}`, `{"v":2}`, `{"v":3}`} {
		var err error
		if i == 0 {
			_, err = s.CreateGuardrailPolicy(ctx(t), store.GuardrailPolicy{Name: "p", Spec: []byte(spec)})
		} else {
			_, err = s.UpdateGuardrailPolicy(ctx(t), store.GuardrailPolicy{Name: "p", Spec: []byte(spec)})
		}
		wantErr(t, "write version "+spec, err, nil)
	}
	wantErr(t, "DeleteGuardrailPolicy", s.DeleteGuardrailPolicy(ctx(t), "p"), nil)
	again, err := s.CreateGuardrailPolicy(ctx(t), store.GuardrailPolicy{Name: "p", Spec: []byte(`{"v":4}`)})
	wantErr(t, "CreateGuardrailPolicy after delete", err, nil)
	if again.Version != 4 {
		t.Errorf("CreateGuardrailPolicy after delete: version %d, want 4 (numbering goes on)", again.Version)
	}
	first, err := s.ListGuardrailPolicyVersions(ctx(t), "p", store.ListOptions{Limit: 3})
	wantErr(t, "ListGuardrailPolicyVersions(limit 3)", err, nil)
	if len(first.Items) != 3 || first.Items[0].Version != 4 || first.Items[2].Version != 2 || first.Next != "2" {
		t.Fatalf("ListGuardrailPolicyVersions(limit 3) = %+v, want versions 4,3,2 and next 2", first)
	}
	if string(first.Items[1].Spec) != `{"v":3}` {
		t.Errorf("version 3 spec = %s, want {\"v\":3}", first.Items[1].Spec)
	}
	rest, err := s.ListGuardrailPolicyVersions(ctx(t), "p", store.ListOptions{Limit: 3, After: first.Next})
	wantErr(t, "ListGuardrailPolicyVersions(after 2)", err, nil)
	if len(rest.Items) != 1 || rest.Items[0].Version != 1 || rest.Next != "" {
		t.Fatalf("ListGuardrailPolicyVersions(after 2) = %+v, want version 1 and no next", rest)
	}
	none, err := s.ListGuardrailPolicyVersions(ctx(t), "unknown", store.ListOptions{})
	wantErr(t, "ListGuardrailPolicyVersions(unknown)", err, nil)
	if len(none.Items) != 0 {
		t.Errorf("ListGuardrailPolicyVersions(unknown) = %+v, want empty", none)
	}
	_, err = s.ListGuardrailPolicyVersions(ctx(t), "p", store.ListOptions{After: "x"})
	wantErr(t, "ListGuardrailPolicyVersions(after x)", err, store.ErrInvalid)
}

func testGuardrailValidation(t *testing.T, s store.Store) {
	_, err := s.CreateGuardrailPolicy(ctx(t), store.GuardrailPolicy{})
	wantErrMentions(t, "CreateGuardrailPolicy(empty)", err, store.ErrInvalid, "name", "spec")
	_, err = s.CreateGuardrailPolicy(ctx(t), store.GuardrailPolicy{Name: "x", Spec: []byte(`[1]`)})
	wantErrMentions(t, "CreateGuardrailPolicy(array spec)", err, store.ErrInvalid, "spec")
	_, err = s.CreateGuardrailPolicy(ctx(t), store.GuardrailPolicy{Name: "a/b", Spec: []byte(`{}`)})
	wantErrMentions(t, "CreateGuardrailPolicy(name a/b)", err, store.ErrInvalid, "name")
	g := store.GuardrailPolicy{Name: "x", Spec: []byte(`{}`)}
	_, err = s.CreateGuardrailPolicy(ctx(t), g)
	wantErr(t, "CreateGuardrailPolicy", err, nil)
	v := version(t, s)
	_, err = s.CreateGuardrailPolicy(ctx(t), g)
	wantErr(t, "CreateGuardrailPolicy(same name)", err, store.ErrConflict)
	_, err = s.UpdateGuardrailPolicy(ctx(t), store.GuardrailPolicy{Name: "x", Spec: []byte(`"s"`)})
	wantErrMentions(t, "UpdateGuardrailPolicy(string spec)", err, store.ErrInvalid, "spec")
	if got := version(t, s); got != v {
		t.Errorf("Version after failed writes = %d, want %d", got, v)
	}
}
