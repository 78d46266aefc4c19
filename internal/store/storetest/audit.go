package storetest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

var credentialTests = []test{
	{"Credential/CreateGetUpdateDelete", testCredentialCRUD},
	{"Credential/ValidationAndConflicts", testCredentialValidation},
}

var auditTests = []test{
	{"Audit/AppendKeepsEveryFieldAndLeavesVersion", testAuditAppend},
	{"Audit/ListFilters", testAuditFilters},
}

func testCredentialCRUD(t *testing.T, s store.Store) {
	in := store.ProviderCredential{Provider: "openai", Name: "prod", Ciphertext: []byte{1, 2, 3}, Nonce: []byte{9, 9}}
	created, err := s.CreateCredential(ctx(t), in)
	wantErr(t, "CreateCredential", err, nil)
	if !strings.HasPrefix(created.ID, store.PrefixCredential) {
		t.Fatalf("CreateCredential ID = %q, want prefix %q", created.ID, store.PrefixCredential)
	}
	wantRecent(t, "CreateCredential CreatedAt", created.CreatedAt)
	got, err := s.GetCredential(ctx(t), created.ID)
	wantErr(t, "GetCredential", err, nil)
	wantEqual(t, "GetCredential", got, created)

	upd := created
	upd.Provider, upd.Name, upd.Ciphertext, upd.Nonce = "anthropic", "prod-2", []byte{4}, []byte{5}
	updated, err := s.UpdateCredential(ctx(t), upd)
	wantErr(t, "UpdateCredential", err, nil)
	want := created
	want.Name, want.Ciphertext, want.Nonce = "prod-2", []byte{4}, []byte{5} // Provider is fixed
	wantEqual(t, "UpdateCredential", updated, want)

	other, err := s.CreateCredential(ctx(t), store.ProviderCredential{Provider: "gemini", Name: "prod", Ciphertext: []byte{1}, Nonce: []byte{1}})
	wantErr(t, "CreateCredential(gemini)", err, nil)
	page, err := s.ListCredentials(ctx(t), "openai", store.ListOptions{})
	wantErr(t, "ListCredentials(openai)", err, nil)
	wantEqual(t, "ListCredentials(openai)", page, store.Page[store.ProviderCredential]{Items: []store.ProviderCredential{want}})
	page, err = s.ListCredentials(ctx(t), "", store.ListOptions{})
	wantErr(t, "ListCredentials(all)", err, nil)
	wantEqual(t, "ListCredentials(all)", page, store.Page[store.ProviderCredential]{Items: []store.ProviderCredential{want, other}})

	wantErr(t, "DeleteCredential", s.DeleteCredential(ctx(t), created.ID), nil)
	_, err = s.GetCredential(ctx(t), created.ID)
	wantErr(t, "GetCredential after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteCredential again", s.DeleteCredential(ctx(t), created.ID), store.ErrNotFound)
	_, err = s.UpdateCredential(ctx(t), want)
	wantErr(t, "UpdateCredential(missing)", err, store.ErrNotFound)
}

func testCredentialValidation(t *testing.T, s store.Store) {
	_, err := s.CreateCredential(ctx(t), store.ProviderCredential{})
	wantErrMentions(t, "CreateCredential(empty)", err, store.ErrInvalid, "provider", "name", "ciphertext", "nonce")
	c := store.ProviderCredential{Provider: "openai", Name: "a", Ciphertext: []byte{1}, Nonce: []byte{2}}
	_, err = s.CreateCredential(ctx(t), c)
	wantErr(t, "CreateCredential", err, nil)
	_, err = s.CreateCredential(ctx(t), c)
	wantErr(t, "CreateCredential(same provider and name)", err, store.ErrConflict)
	c.Provider = "azure"
	b, err := s.CreateCredential(ctx(t), c)
	wantErr(t, "CreateCredential(same name, other provider)", err, nil)
	b.Nonce = nil
	_, err = s.UpdateCredential(ctx(t), b)
	wantErr(t, "UpdateCredential(no nonce)", err, store.ErrInvalid)
}

func testAuditAppend(t *testing.T, s store.Store) {
	v := version(t, s)
	in := store.AuditEvent{
		Actor: "user_1", ActorKind: "user", Action: "key.create", ResourceKind: "key", ResourceID: "key_1",
		Before: nil, After: json.RawMessage(`{"name": "ci",  "models":["a"]}`), SourceIP: "10.1.2.3", RequestID: "req-1",
	}
	got, err := s.AppendAudit(ctx(t), in)
	wantErr(t, "AppendAudit", err, nil)
	if !strings.HasPrefix(got.ID, store.PrefixAudit) {
		t.Fatalf("AppendAudit ID = %q, want prefix %q", got.ID, store.PrefixAudit)
	}
	wantRecent(t, "AppendAudit At", got.At)
	page, err := s.ListAudit(ctx(t), store.AuditFilter{}, store.ListOptions{})
	wantErr(t, "ListAudit", err, nil)
	wantEqual(t, "ListAudit (JSON kept byte for byte)", page, store.Page[store.AuditEvent]{Items: []store.AuditEvent{got}})
	if version(t, s) != v {
		t.Fatalf("Version changed on AppendAudit; the audit log is not governance state")
	}

	_, err = s.AppendAudit(ctx(t), store.AuditEvent{Action: "x", ResourceKind: "key", Before: json.RawMessage(`{`)})
	wantErrMentions(t, "AppendAudit(bad JSON)", err, store.ErrInvalid, "before")
	_, err = s.AppendAudit(ctx(t), store.AuditEvent{})
	wantErrMentions(t, "AppendAudit(empty)", err, store.ErrInvalid, "action", "resource_kind")
}

func testAuditFilters(t *testing.T, s store.Store) {
	base := time.Date(2030, 5, 1, 12, 0, 0, 0, time.UTC)
	var evs []store.AuditEvent
	for i, e := range []store.AuditEvent{
		{Actor: "alice", Action: "team.create", ResourceKind: "team", ResourceID: "team_1"},
		{Actor: "alice", Action: "key.create", ResourceKind: "key", ResourceID: "key_1"},
		{Actor: "bob", Action: "key.revoke", ResourceKind: "key", ResourceID: "key_1"},
		{Actor: "bob", Action: "key.create", ResourceKind: "key", ResourceID: "key_2"},
		{Actor: "system", Action: "key.revoke", ResourceKind: "key", ResourceID: "key_2"},
	} {
		e.At = base.Add(time.Duration(i) * time.Hour)
		got, err := s.AppendAudit(ctx(t), e)
		wantErr(t, "AppendAudit", err, nil)
		evs = append(evs, got)
	}
	cases := []struct {
		name string
		f    store.AuditFilter
		want []int
	}{
		{"none", store.AuditFilter{}, []int{0, 1, 2, 3, 4}},
		{"actor", store.AuditFilter{Actor: "alice"}, []int{0, 1}},
		{"action", store.AuditFilter{Action: "key.revoke"}, []int{2, 4}},
		{"resource kind", store.AuditFilter{ResourceKind: "key"}, []int{1, 2, 3, 4}},
		{"resource", store.AuditFilter{ResourceKind: "key", ResourceID: "key_2"}, []int{3, 4}},
		{"resource id alone", store.AuditFilter{ResourceID: "key_1"}, []int{1, 2}},
		{"since (inclusive)", store.AuditFilter{Since: base.Add(3 * time.Hour)}, []int{3, 4}},
		{"until (exclusive)", store.AuditFilter{Until: base.Add(2 * time.Hour)}, []int{0, 1}},
		{"window", store.AuditFilter{Since: base.Add(time.Hour), Until: base.Add(3 * time.Hour)}, []int{1, 2}},
		{"since, other zone", store.AuditFilter{Since: base.Add(4 * time.Hour).In(time.FixedZone("x", -7*3600))}, []int{4}},
		{"combined", store.AuditFilter{Actor: "bob", Action: "key.create", Since: base}, []int{3}},
		{"no match", store.AuditFilter{Actor: "mallory"}, nil},
	}
	for _, tc := range cases {
		page, err := s.ListAudit(ctx(t), tc.f, store.ListOptions{})
		wantErr(t, "ListAudit("+tc.name+")", err, nil)
		var want []string
		for _, i := range tc.want {
			want = append(want, evs[i].ID)
		}
		wantEqual(t, "ListAudit("+tc.name+") IDs", ids(page.Items, auditID), want)
	}
	// Filters and paging together.
	p1, err := s.ListAudit(ctx(t), store.AuditFilter{ResourceKind: "key"}, store.ListOptions{Limit: 3})
	wantErr(t, "ListAudit(key, limit 3)", err, nil)
	p2, err := s.ListAudit(ctx(t), store.AuditFilter{ResourceKind: "key"}, store.ListOptions{Limit: 3, After: p1.Next})
	wantErr(t, "ListAudit(key, page 2)", err, nil)
	wantEqual(t, "ListAudit pages", append(ids(p1.Items, auditID), ids(p2.Items, auditID)...),
		[]string{evs[1].ID, evs[2].ID, evs[3].ID, evs[4].ID})
	if p2.Next != "" {
		t.Fatalf("ListAudit last page Next = %q, want empty", p2.Next)
	}
}
