package usage_test

import (
	"context"
	"testing"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/usage"
)

// TestBodiesAreCapturedOnTheWriterAndStored: Capture runs on the writer, its result is
// stored with the log, and a Capture that panics costs only its own bodies.
func TestBodiesAreCapturedOnTheWriterAndStored(t *testing.T) {
	s := openSQLite(t)
	r := usage.NewRecorder(s, usage.Options{}, nil)
	stop := runRecorder(r)

	good := logRec(1)
	good.Bodies = &store.RequestBodies{Mode: store.BodiesFull, Capture: func(b *store.RequestBodies) {
		b.Request, b.Response = `{"messages":[]}`, `{"choices":[]}`
	}}
	bad := logRec(2)
	bad.Bodies = &store.RequestBodies{Mode: store.BodiesFull, Capture: func(*store.RequestBodies) { panic("encoder bug") }}
	if !r.Record(good) || !r.Record(bad) {
		t.Fatal("Record dropped a record from an empty queue")
	}
	stop()

	ctx := context.Background()
	got, err := s.GetRequestLog(ctx, good.ID)
	if err != nil {
		t.Fatalf("GetRequestLog(%s): %v", good.ID, err)
	}
	if b := got.Bodies; b == nil || b.Mode != store.BodiesFull || b.Request != `{"messages":[]}` || b.Response != `{"choices":[]}` {
		t.Errorf("stored bodies = %+v, want what Capture filled in", b)
	}
	got, err = s.GetRequestLog(ctx, bad.ID)
	if err != nil {
		t.Fatalf("GetRequestLog(%s) after its Capture panicked: %v; the log must still be written", bad.ID, err)
	}
	if got.Bodies != nil {
		t.Errorf("bodies of a failed capture = %+v, want none", got.Bodies)
	}
	if st := r.Stats(); st.Written != 2 || st.Failed != 0 {
		t.Errorf("Stats = %+v, want 2 written", st)
	}
}
