package batch_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/app"
	"github.com/sluicehq/sluice/internal/batch"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/mockllm"
	"github.com/sluicehq/sluice/internal/pricing"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/router"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// Gemini takes inlined batches up to 20 MB; the lines of a larger one are run by Sluice, at the
// standard price, rather than failed.
func TestGeminiBatchTooLargeToInlineRunsLocally(t *testing.T) {
	defer batch.SetGeminiInlineLimit(64)()
	ctx := t.Context()
	mock, err := mockllm.Listen("127.0.0.1:0", mockllm.Options{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mock.Close(context.Background()) })
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	cfg, src, err := config.Parse([]byte(`
providers:
  gem: {type: gemini, base_url: "`+mock.URL()+`/v1beta", api_key: k}
models:
  - name: g
    targets: [{provider: gem, model: gemini-2.5-flash}]
`), "test.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	tb, err := router.Compile(cfg, src, app.Registry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tb.Close)

	var lines strings.Builder
	for i := range 2 {
		fmt.Fprintf(&lines, `{"custom_id":"c%d","method":"POST","url":"/v1/chat/completions","body":{"model":"g","messages":[{"role":"user","content":"hi %d"}]}}`+"\n", i, i)
	}
	if _, err := st.PutFile(ctx, store.File{ID: "file-in", Tenant: "t", Purpose: "batch", Content: []byte(lines.String())}); err != nil {
		t.Fatal(err)
	}
	stateJSON, _ := batch.NewState(batch.Owner{KeyID: "key_1"})
	obj := batch.NewObject("batch_g", "/v1/chat/completions", "file-in", 2, nil, time.Now())
	rec, _ := jsonx.Marshal(obj)
	if _, err := st.CreateBatch(ctx, store.Batch{ID: "batch_g", Tenant: "t", Status: obj.Status, Record: rec, State: stateJSON}); err != nil {
		t.Fatal(err)
	}
	w := batch.NewWorker(st, func() *router.Table { return tb }, func() batch.Pricer { return pricing.Default() }, nil,
		batch.Options{PollInterval: 5 * time.Millisecond, Native: func(*provider.Target) bool { return true }}, nil)
	wctx, cancel := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { w.Run(wctx); close(stopped) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if b, _ := st.GetBatch(ctx, "t", "batch_g"); store.BatchDone(b.Status) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-stopped

	b, _ := st.GetBatch(ctx, "t", "batch_g")
	if o, err := batch.Decode(&b); err != nil || o.Status != store.BatchCompleted || o.RequestCounts.Completed != 2 {
		t.Fatalf("batch = %+v, %v; want completed with both lines", o, err)
	}
	page, err := st.ListRequestLogs(ctx, store.RequestLogFilter{Metadata: map[string]string{"batch_id": "batch_g"}}, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range page.Items {
		if l.Metadata["batch_mode"] != "local" || l.Provider != "gem" {
			t.Errorf("record %s: batch_mode %q provider %q, want local on gem", l.ID, l.Metadata["batch_mode"], l.Provider)
		}
	}
	seen := map[string]int{}
	for _, r := range mock.Server().Requests() {
		seen[r.Path]++
	}
	if seen["/v1beta/models/gemini-2.5-flash:batchGenerateContent"] != 0 || seen["/v1beta/models/gemini-2.5-flash:generateContent"] != 2 || len(page.Items) != 2 {
		t.Errorf("mock saw %v and the log %d records; want two :generateContent requests, no batch, two records", seen, len(page.Items))
	}
}
