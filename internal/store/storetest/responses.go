package storetest

import (
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

var responseTests = []test{
	{"Response/PutGetKeepsEveryFieldAndLeavesVersion", testResponsePutGet},
	{"Response/OtherTenantSeesNothing", testResponseTenants},
	{"Response/ExpiredIsGoneAndPurged", testResponseExpiry},
	{"Response/DuplicateIDAndInvalidInput", testResponseInvalid},
}

func mkResponse(id, tenant string, expires time.Time) store.StoredResponse {
	return store.StoredResponse{ID: id, Tenant: tenant, ExpiresAt: expires,
		Response: []byte(`{"id":"` + id + `","object":"response","output":[{"type":"message"}]}`),
		Items:    []byte(`[{"type":"message","role":"user","content":[{"type":"input_text","text":"héllo"}]}]`)}
}

func putResponse(t testing.TB, s store.Store, r store.StoredResponse) {
	t.Helper()
	if err := s.PutResponse(ctx(t), r); err != nil {
		t.Fatalf("PutResponse(%q): %v", r.ID, err)
	}
}

func testResponsePutGet(t *testing.T, s store.Store) {
	v0 := version(t, s)
	want := mkResponse("resp_1", "team_a", time.Now().Add(time.Hour))
	want.CreatedAt = logBase
	putResponse(t, s, want)
	got, err := s.GetResponse(ctx(t), "team_a", "resp_1")
	wantErr(t, "GetResponse", err, nil)
	want.ExpiresAt = want.ExpiresAt.UTC().Truncate(time.Microsecond)
	wantEqual(t, "GetResponse", got, want)
	if v := version(t, s); v != v0 {
		t.Errorf("Version went from %d to %d: responses are data, not configuration", v0, v)
	}

	stamped := mkResponse("resp_2", "", time.Now().Add(time.Hour))
	putResponse(t, s, stamped)
	got, err = s.GetResponse(ctx(t), "", "resp_2")
	wantErr(t, "GetResponse(no tenant)", err, nil)
	wantRecent(t, "CreatedAt", got.CreatedAt)
}

func testResponseTenants(t *testing.T, s store.Store) {
	putResponse(t, s, mkResponse("resp_a", "team_a", time.Now().Add(time.Hour)))
	_, err := s.GetResponse(ctx(t), "team_b", "resp_a")
	wantErr(t, "GetResponse(other tenant)", err, store.ErrNotFound)
	wantErr(t, "DeleteResponse(other tenant)", s.DeleteResponse(ctx(t), "team_b", "resp_a"), store.ErrNotFound)
	_, err = s.GetResponse(ctx(t), "team_a", "resp_a")
	wantErr(t, "GetResponse(owner) after the other tenant's delete", err, nil)

	wantErr(t, "DeleteResponse(owner)", s.DeleteResponse(ctx(t), "team_a", "resp_a"), nil)
	_, err = s.GetResponse(ctx(t), "team_a", "resp_a")
	wantErr(t, "GetResponse after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteResponse twice", s.DeleteResponse(ctx(t), "team_a", "resp_a"), store.ErrNotFound)
}

func testResponseExpiry(t *testing.T, s store.Store) {
	now := time.Now()
	putResponse(t, s, mkResponse("resp_old1", "team_a", now.Add(-time.Minute)))
	putResponse(t, s, mkResponse("resp_old2", "team_b", now.Add(-time.Second)))
	putResponse(t, s, mkResponse("resp_live", "team_a", now.Add(time.Hour)))

	_, err := s.GetResponse(ctx(t), "team_a", "resp_old1")
	wantErr(t, "GetResponse(expired)", err, store.ErrNotFound)
	wantErr(t, "DeleteResponse(expired)", s.DeleteResponse(ctx(t), "team_a", "resp_old1"), store.ErrNotFound)

	n, err := s.DeleteExpiredResponses(ctx(t), now)
	wantErr(t, "DeleteExpiredResponses", err, nil)
	if n != 2 {
		t.Errorf("DeleteExpiredResponses removed %d, want the 2 expired", n)
	}
	if n, err := s.DeleteExpiredResponses(ctx(t), now); err != nil || n != 0 {
		t.Errorf("DeleteExpiredResponses again = %d, %v; want 0, nil", n, err)
	}
	_, err = s.GetResponse(ctx(t), "team_a", "resp_live")
	wantErr(t, "GetResponse(live) after purge", err, nil)
}

func testResponseInvalid(t *testing.T, s store.Store) {
	r := mkResponse("resp_dup", "team_a", time.Now().Add(time.Hour))
	putResponse(t, s, r)
	wantErr(t, "PutResponse(same id)", s.PutResponse(ctx(t), r), store.ErrConflict)
	r.ID = ""
	wantErrMentions(t, "PutResponse(no id)", s.PutResponse(ctx(t), r), store.ErrInvalid, "id")
	r.ID, r.ExpiresAt = "resp_x", time.Time{}
	wantErrMentions(t, "PutResponse(no expiry)", s.PutResponse(ctx(t), r), store.ErrInvalid, "expires_at")
}
