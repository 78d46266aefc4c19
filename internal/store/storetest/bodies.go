package storetest

import (
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

var bodyTests = []test{
	{"RequestBodies/InsertedWithTheirLogAndReadBackByGet", testBodiesInsertAndGet},
	{"RequestBodies/DeleteBeforeKeepsTheLogs", testBodiesRetention},
}

func getLog(t testing.TB, s store.Store, id string) store.RequestLog {
	t.Helper()
	l, err := s.GetRequestLog(ctx(t), id)
	if err != nil {
		t.Fatalf("GetRequestLog(%q): %v", id, err)
	}
	return l
}

func testBodiesInsertAndGet(t *testing.T, s store.Store) {
	v0 := version(t, s)
	full := mkLog(1)
	full.Bodies = &store.RequestBodies{Mode: store.BodiesFull, Truncated: true,
		Request:  `{"model":"gpt-4o","messages":[{"role":"user","content":"héllo [EMAIL_1] 日本"}]}`,
		Response: `{"choices":[{"message":{"role":"assistant","content":"hi`}
	meta := mkLog(2)
	meta.Bodies = &store.RequestBodies{Mode: store.BodiesMetadata, Request: `{"messages":1}`, Response: `{"choices":1}`}
	none := mkLog(3)
	off := mkLog(4)
	off.Bodies = &store.RequestBodies{Mode: store.BodiesOff, Request: "must not be stored"}
	insertLogs(t, s, full, meta, none, off)
	// A retried batch (its reply lost after the commit) changes nothing.
	retry := full
	retry.Bodies = &store.RequestBodies{Mode: store.BodiesFull, Request: "second write"}
	insertLogs(t, s, retry)
	if v := version(t, s); v != v0 {
		t.Fatalf("Version after inserting bodies = %d, want %d unchanged", v, v0)
	}

	for _, l := range []store.RequestLog{full, meta} {
		got := getLog(t, s, l.ID)
		want := l
		want.At = l.At.UTC().Truncate(time.Microsecond)
		wantEqual(t, "GetRequestLog("+l.ID+")", got, want)
	}
	for _, l := range []store.RequestLog{none, off} {
		if got := getLog(t, s, l.ID); got.Bodies != nil {
			t.Fatalf("GetRequestLog(%s).Bodies = %+v, want nil (mode %v)", l.ID, got.Bodies, l.Bodies)
		}
	}
	for _, l := range listLogs(t, s, store.RequestLogFilter{}) {
		if l.Bodies != nil {
			t.Fatalf("ListRequestLogs returned bodies for %s; the list never reads them", l.ID)
		}
	}
	_, err := s.GetRequestLog(ctx(t), "req_missing")
	wantErr(t, "GetRequestLog(missing)", err, store.ErrNotFound)
}

func testBodiesRetention(t *testing.T, s store.Store) {
	var logs []store.RequestLog
	for i := range 5 {
		l := mkLog(i)
		l.Bodies = &store.RequestBodies{Mode: store.BodiesFull, Request: "request", Response: "response"}
		logs = append(logs, l)
	}
	insertLogs(t, s, logs...)
	n, err := s.DeleteRequestBodiesBefore(ctx(t), logBase.Add(2*time.Second))
	if err != nil || n != 2 {
		t.Fatalf("DeleteRequestBodiesBefore(base+2s) = %d, %v; want 2", n, err)
	}
	for i, l := range logs {
		got := getLog(t, s, l.ID) // the log itself stays
		if kept := got.Bodies != nil; kept != (i >= 2) {
			t.Errorf("after the purge, log %s has bodies = %v, want %v", l.ID, kept, i >= 2)
		}
	}
	n, err = s.DeleteRequestBodiesBefore(ctx(t), logBase.Add(2*time.Second))
	if err != nil || n != 0 {
		t.Fatalf("DeleteRequestBodiesBefore again = %d, %v; want 0", n, err)
	}
	if got := len(listLogs(t, s, store.RequestLogFilter{})); got != 5 {
		t.Fatalf("ListRequestLogs after the body purge = %d logs, want 5", got)
	}
}
