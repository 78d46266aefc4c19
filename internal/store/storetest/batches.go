package storetest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

var batchTests = []test{
	{"File/PutGetContentListDelete", testFileLifecycle},
	{"File/OtherTenantSeesNothing", testFileTenants},
	{"File/ExpiredIsGoneAndPurged", testFileExpiry},
	{"Batch/CreateGetListNewestFirst", testBatchCreateList},
	{"Batch/CancelOnceAndNotWhenDone", testBatchCancel},
	{"Batch/ClaimIsExclusiveUntilTheLeaseExpires", testBatchClaim},
	{"Batch/SaveNeedsTheLeaseAndWritesFilesWithIt", testBatchSave},
}

func putFile(t testing.TB, s store.Store, f store.File) store.File {
	t.Helper()
	out, err := s.PutFile(ctx(t), f)
	if err != nil {
		t.Fatalf("PutFile(%q): %v", f.ID, err)
	}
	return out
}

func testFileLifecycle(t *testing.T, s store.Store) {
	v0 := version(t, s)
	content := []byte("{\"custom_id\":\"a\"}\n\x00binary\xff")
	got := putFile(t, s, store.File{ID: "file-1", Tenant: "team:a", Purpose: "batch", Filename: "in.jsonl", Content: content})
	if got.Bytes != int64(len(content)) || got.Content != nil {
		t.Errorf("PutFile = bytes %d, content %q; want %d and no content", got.Bytes, got.Content, len(content))
	}
	wantRecent(t, "CreatedAt", got.CreatedAt)
	read, err := s.GetFile(ctx(t), "team:a", "file-1")
	wantErr(t, "GetFile", err, nil)
	wantEqual(t, "GetFile", read, got)
	body, err := s.FileContent(ctx(t), "team:a", "file-1")
	wantErr(t, "FileContent", err, nil)
	if !bytes.Equal(body, content) {
		t.Errorf("FileContent = %q, want %q", body, content)
	}
	putFile(t, s, store.File{ID: "file-2", Tenant: "team:a", Purpose: "user_data", Filename: "notes.txt", Content: []byte("x")})
	putFile(t, s, store.File{ID: "file-3", Tenant: "team:a", Purpose: "batch", Filename: "in2.jsonl", Content: []byte("y")})
	_, err = s.PutFile(ctx(t), store.File{ID: "file-3", Tenant: "team:a", Purpose: "batch", Content: []byte("z")})
	wantErr(t, "PutFile(duplicate id)", err, store.ErrConflict)
	_, err = s.PutFile(ctx(t), store.File{ID: "file-4", Tenant: "team:a"})
	wantErrMentions(t, "PutFile(no purpose)", err, store.ErrInvalid, "purpose")

	page, err := s.ListFiles(ctx(t), "team:a", "", store.ListOptions{Limit: 2})
	wantErr(t, "ListFiles", err, nil)
	if ids := fileIDs(page.Items); ids != "file-3 file-2" || page.Next != "file-2" {
		t.Errorf("ListFiles(limit 2) = %q next %q, want newest first \"file-3 file-2\" next file-2", ids, page.Next)
	}
	page, err = s.ListFiles(ctx(t), "team:a", "", store.ListOptions{Limit: 2, After: page.Next})
	wantErr(t, "ListFiles(page 2)", err, nil)
	if ids := fileIDs(page.Items); ids != "file-1" || page.Next != "" {
		t.Errorf("ListFiles(page 2) = %q next %q, want \"file-1\" and no next", ids, page.Next)
	}
	page, err = s.ListFiles(ctx(t), "team:a", "batch", store.ListOptions{})
	wantErr(t, "ListFiles(purpose batch)", err, nil)
	if ids := fileIDs(page.Items); ids != "file-3 file-1" {
		t.Errorf("ListFiles(purpose batch) = %q, want \"file-3 file-1\"", ids)
	}

	wantErr(t, "DeleteFile", s.DeleteFile(ctx(t), "team:a", "file-1"), nil)
	_, err = s.GetFile(ctx(t), "team:a", "file-1")
	wantErr(t, "GetFile after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteFile twice", s.DeleteFile(ctx(t), "team:a", "file-1"), store.ErrNotFound)
	if v := version(t, s); v != v0 {
		t.Errorf("Version went from %d to %d: files are data, not configuration", v0, v)
	}
}

func fileIDs(fs []store.File) string {
	var b []byte
	for i, f := range fs {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, f.ID...)
	}
	return string(b)
}

func testFileTenants(t *testing.T, s store.Store) {
	putFile(t, s, store.File{ID: "file-a", Tenant: "team:a", Purpose: "batch", Content: []byte("secret")})
	_, err := s.GetFile(ctx(t), "team:b", "file-a")
	wantErr(t, "GetFile(other tenant)", err, store.ErrNotFound)
	_, err = s.FileContent(ctx(t), "team:b", "file-a")
	wantErr(t, "FileContent(other tenant)", err, store.ErrNotFound)
	wantErr(t, "DeleteFile(other tenant)", s.DeleteFile(ctx(t), "team:b", "file-a"), store.ErrNotFound)
	page, err := s.ListFiles(ctx(t), "team:b", "", store.ListOptions{})
	wantErr(t, "ListFiles(other tenant)", err, nil)
	if len(page.Items) != 0 {
		t.Errorf("ListFiles(other tenant) = %q, want nothing", fileIDs(page.Items))
	}
	_, err = s.GetFile(ctx(t), "team:a", "file-a")
	wantErr(t, "GetFile(owner)", err, nil)
}

func testFileExpiry(t *testing.T, s store.Store) {
	now := time.Now()
	putFile(t, s, store.File{ID: "file-old", Tenant: "t", Purpose: "batch_output", ExpiresAt: now.Add(-time.Second), Content: []byte("a")})
	putFile(t, s, store.File{ID: "file-live", Tenant: "t", Purpose: "batch_output", ExpiresAt: now.Add(time.Hour), Content: []byte("b")})
	putFile(t, s, store.File{ID: "file-forever", Tenant: "t", Purpose: "batch", Content: []byte("c")})
	_, err := s.FileContent(ctx(t), "t", "file-old")
	wantErr(t, "FileContent(expired)", err, store.ErrNotFound)
	n, err := s.DeleteExpiredFiles(ctx(t), now)
	if err != nil || n != 1 {
		t.Errorf("DeleteExpiredFiles = %d, %v; want 1, nil", n, err)
	}
	page, err := s.ListFiles(ctx(t), "t", "", store.ListOptions{})
	wantErr(t, "ListFiles", err, nil)
	if ids := fileIDs(page.Items); ids != "file-live file-forever" {
		t.Errorf("ListFiles after purge = %q, want \"file-live file-forever\"", ids)
	}
}

func mkBatch(t testing.TB, s store.Store, id, tenant string) store.Batch {
	t.Helper()
	b, err := s.CreateBatch(ctx(t), store.Batch{ID: id, Tenant: tenant, Status: store.BatchValidating,
		Record: []byte(`{"id":"` + id + `","object":"batch"}`)})
	if err != nil {
		t.Fatalf("CreateBatch(%q): %v", id, err)
	}
	return b
}

func testBatchCreateList(t *testing.T, s store.Store) {
	v0 := version(t, s)
	want := mkBatch(t, s, "batch_1", "team:a")
	wantRecent(t, "CreatedAt", want.CreatedAt)
	got, err := s.GetBatch(ctx(t), "team:a", "batch_1")
	wantErr(t, "GetBatch", err, nil)
	wantEqual(t, "GetBatch", got, want)
	_, err = s.GetBatch(ctx(t), "team:b", "batch_1")
	wantErr(t, "GetBatch(other tenant)", err, store.ErrNotFound)
	mkBatch(t, s, "batch_2", "team:a")
	mkBatch(t, s, "batch_3", "team:a")
	mkBatch(t, s, "batch_4", "team:b")
	_, err = s.CreateBatch(ctx(t), store.Batch{ID: "batch_1", Tenant: "team:a", Status: "validating", Record: []byte("{}")})
	wantErr(t, "CreateBatch(duplicate)", err, store.ErrConflict)

	page, err := s.ListBatches(ctx(t), "team:a", store.ListOptions{Limit: 2})
	wantErr(t, "ListBatches", err, nil)
	if len(page.Items) != 2 || page.Items[0].ID != "batch_3" || page.Items[1].ID != "batch_2" || page.Next != "batch_2" {
		t.Errorf("ListBatches(limit 2) = %+v next %q, want batch_3, batch_2", page.Items, page.Next)
	}
	page, err = s.ListBatches(ctx(t), "team:a", store.ListOptions{After: "batch_2"})
	wantErr(t, "ListBatches(after)", err, nil)
	if len(page.Items) != 1 || page.Items[0].ID != "batch_1" || page.Next != "" {
		t.Errorf("ListBatches(after batch_2) = %+v, want batch_1 only", page.Items)
	}
	if v := version(t, s); v != v0 {
		t.Errorf("Version went from %d to %d: batches are data, not configuration", v0, v)
	}
}

func testBatchCancel(t *testing.T, s store.Store) {
	mkBatch(t, s, "batch_c", "team:a")
	at := time.Now().Add(-time.Minute).UTC().Truncate(time.Microsecond)
	_, err := s.RequestBatchCancel(ctx(t), "team:b", "batch_c", at)
	wantErr(t, "RequestBatchCancel(other tenant)", err, store.ErrNotFound)
	b, err := s.RequestBatchCancel(ctx(t), "team:a", "batch_c", at)
	wantErr(t, "RequestBatchCancel", err, nil)
	if b.CancelRequestedAt == nil || !b.CancelRequestedAt.Equal(at) {
		t.Fatalf("CancelRequestedAt = %v, want %v", b.CancelRequestedAt, at)
	}
	b, err = s.RequestBatchCancel(ctx(t), "team:a", "batch_c", time.Now())
	wantErr(t, "RequestBatchCancel again", err, nil)
	if !b.CancelRequestedAt.Equal(at) {
		t.Errorf("a second cancel moved CancelRequestedAt to %v, want it kept at %v", b.CancelRequestedAt, at)
	}

	claimed, err := s.ClaimBatch(ctx(t), "w1", time.Now(), time.Now().Add(time.Minute))
	wantErr(t, "ClaimBatch", err, nil)
	claimed.Status = store.BatchCompleted
	if _, err := s.SaveBatch(ctx(t), claimed, "w1"); err != nil {
		t.Fatalf("SaveBatch(completed): %v", err)
	}
	mkBatch(t, s, "batch_d", "team:a")
	claimed, err = s.ClaimBatch(ctx(t), "w1", time.Now(), time.Now().Add(time.Minute))
	wantErr(t, "ClaimBatch(second)", err, nil)
	claimed.Status = store.BatchCompleted
	if _, err := s.SaveBatch(ctx(t), claimed, "w1"); err != nil {
		t.Fatalf("SaveBatch(completed): %v", err)
	}
	_, err = s.RequestBatchCancel(ctx(t), "team:a", "batch_d", time.Now())
	wantErr(t, "RequestBatchCancel(completed)", err, store.ErrConflict)
}

func testBatchClaim(t *testing.T, s store.Store) {
	mkBatch(t, s, "batch_x", "team:a")
	now := time.Now()
	var wg sync.WaitGroup
	var mu sync.Mutex
	winners := map[string]string{}
	for _, owner := range []string{"w1", "w2", "w3", "w4"} {
		wg.Go(func() {
			b, err := s.ClaimBatch(ctx(t), owner, now, now.Add(time.Minute))
			if err == nil {
				mu.Lock()
				winners[owner] = b.ID
				mu.Unlock()
			} else {
				wantErr(t, "ClaimBatch("+owner+")", err, store.ErrNotFound)
			}
		})
	}
	wg.Wait()
	if len(winners) != 1 {
		t.Fatalf("ClaimBatch by four workers at once: winners %v, want exactly one", winners)
	}
	_, err := s.ClaimBatch(ctx(t), "w5", now.Add(30*time.Second), now.Add(2*time.Minute))
	wantErr(t, "ClaimBatch(while leased)", err, store.ErrNotFound)
	b, err := s.ClaimBatch(ctx(t), "w5", now.Add(2*time.Minute), now.Add(3*time.Minute))
	wantErr(t, "ClaimBatch(after the lease expired)", err, nil)
	if b.ID != "batch_x" || b.LeaseOwner != "w5" {
		t.Errorf("ClaimBatch after expiry = %q owned by %q, want batch_x owned by w5", b.ID, b.LeaseOwner)
	}
}

func testBatchSave(t *testing.T, s store.Store) {
	mkBatch(t, s, "batch_s", "team:a")
	now := time.Now()
	b, err := s.ClaimBatch(ctx(t), "w1", now, now.Add(time.Minute))
	wantErr(t, "ClaimBatch", err, nil)
	b.Status, b.State, b.Record = store.BatchInProgress, []byte(`{"done":[1]}`), []byte(`{"id":"batch_s","status":"in_progress"}`)
	_, err = s.SaveBatch(ctx(t), b, "w2")
	wantErr(t, "SaveBatch(not the lease owner)", err, store.ErrConflict)

	if _, err := s.RequestBatchCancel(ctx(t), "team:a", "batch_s", now); err != nil {
		t.Fatalf("RequestBatchCancel: %v", err)
	}
	out := store.File{ID: "file-out", Tenant: "team:a", Purpose: "batch_output", Filename: "batch_s_output.jsonl", Content: []byte("{}\n")}
	saved, err := s.SaveBatch(ctx(t), b, "w1", out)
	wantErr(t, "SaveBatch", err, nil)
	if saved.Status != store.BatchInProgress || saved.State != nil || saved.CancelRequestedAt == nil {
		t.Errorf("SaveBatch = status %q state %s cancel %v; want in_progress, no state, and the client's cancel", saved.Status, saved.State, saved.CancelRequestedAt)
	}
	body, err := s.FileContent(ctx(t), "team:a", "file-out")
	wantErr(t, "FileContent(saved with the batch)", err, nil)
	if string(body) != "{}\n" {
		t.Errorf("FileContent = %q", body)
	}
	// A failed save (the file ID is taken) writes nothing, state included.
	b.State = []byte(`{"done":[1,2]}`)
	_, err = s.SaveBatch(ctx(t), b, "w1", out)
	wantErr(t, "SaveBatch(duplicate file)", err, store.ErrConflict)
	later := now.Add(2 * time.Minute) // past the lease of the last successful save
	got, err := s.ClaimBatch(ctx(t), "w2", later, later.Add(time.Minute))
	wantErr(t, "ClaimBatch(after the lease ended)", err, nil)
	if string(got.State) != `{"done":[1]}` {
		t.Errorf("State after a failed save = %s, want the previous state", got.State)
	}
	if g, _ := s.GetBatch(ctx(t), "team:a", "batch_s"); g.State != nil {
		t.Errorf("GetBatch returned the worker's state %s, want none", g.State)
	}
}
