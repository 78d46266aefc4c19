package batch_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/app"
	"github.com/sluicehq/sluice/internal/batch"
	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/mockllm"
	"github.com/sluicehq/sluice/internal/pricing"
	"github.com/sluicehq/sluice/internal/router"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// crashAtFinish is the real store, except that the final save of a batch (the one that
// writes its files) fails while crash is set: a node dying between writing the request log
// and committing the batch.
type crashAtFinish struct {
	*sqlite.Store
	crash atomic.Bool
}

func (s *crashAtFinish) SaveBatch(ctx context.Context, b store.Batch, owner string, files ...store.File) (store.Batch, error) {
	if len(files) > 0 && s.crash.Load() {
		return store.Batch{}, errors.New("node lost before the final commit")
	}
	return s.Store.SaveBatch(ctx, b, owner, files...)
}

func table(t *testing.T, mockURL string) *router.Table {
	t.Helper()
	cfg, src, err := config.Parse([]byte(`
providers:
  p: {type: openai, base_url: "`+mockURL+`/v1", api_key: k}
models:
  - name: fast
    targets: [{provider: p, model: gpt-4o-mini}]
`), "test.yaml", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	tb, err := router.Compile(cfg, src, app.Registry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tb.Close)
	return tb
}

// A worker that dies after writing a finished batch's request log but before committing it
// leaves the batch to the next worker, which finishes it: every line is logged and charged
// exactly once.
func TestFinishingTwiceAfterACrashLogsAndChargesOnce(t *testing.T) {
	ctx := t.Context()
	mock, err := mockllm.Listen("127.0.0.1:0", mockllm.Options{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mock.Close(context.Background()) })
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "s.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	st := &crashAtFinish{Store: db}
	st.crash.Store(true)
	tb := table(t, mock.URL())

	var lines strings.Builder
	for i := range 3 {
		fmt.Fprintf(&lines, `{"custom_id":"c%d","method":"POST","url":"/v1/chat/completions","body":{"model":"fast","messages":[{"role":"user","content":"hi %d"}]}}`+"\n", i, i)
	}
	if _, err := st.PutFile(ctx, store.File{ID: "file-in", Tenant: "t", Purpose: "batch", Content: []byte(lines.String())}); err != nil {
		t.Fatal(err)
	}
	stateJSON, _ := batch.NewState(batch.Owner{KeyID: "key_1"})
	obj := batch.NewObject("batch_x", "/v1/chat/completions", "file-in", 3, nil, time.Now())
	rec, _ := jsonx.Marshal(obj)
	if _, err := st.CreateBatch(ctx, store.Batch{ID: "batch_x", Tenant: "t", Status: obj.Status, Record: rec, State: stateJSON}); err != nil {
		t.Fatal(err)
	}
	bs, err := budget.Compile([]config.Budget{{ID: "org", Scope: "org", LimitTokens: 1_000_000, Period: "daily"}})
	if err != nil {
		t.Fatal(err)
	}
	ledger := budget.New(bs, budget.Options{})
	worker := func(owner string) *batch.Worker {
		return batch.NewWorker(st, func() *router.Table { return tb }, func() batch.Pricer { return pricing.Default() }, ledger,
			batch.Options{PollInterval: 5 * time.Millisecond, Lease: 200 * time.Millisecond, Owner: owner}, nil)
	}
	runUntil := func(w *batch.Worker, done func() bool) {
		wctx, cancel := context.WithCancel(ctx)
		stopped := make(chan struct{})
		go func() { w.Run(wctx); close(stopped) }()
		deadline := time.Now().Add(10 * time.Second)
		for !done() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
		<-stopped
	}
	logs := func() []store.RequestLog {
		page, err := st.ListRequestLogs(ctx, store.RequestLogFilter{Metadata: map[string]string{"batch_id": "batch_x"}}, store.ListOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return page.Items
	}
	runUntil(worker("first"), func() bool { return len(logs()) == 3 }) // logged, never committed
	if b, _ := st.GetBatch(ctx, "t", "batch_x"); store.BatchDone(b.Status) {
		t.Fatalf("the batch finished although its final commit failed: %s", b.Status)
	}
	if s, _ := ledger.Status("org"); s.Spent != 0 {
		t.Fatalf("budget charged %d before the batch was committed", s.Spent)
	}

	st.crash.Store(false)
	runUntil(worker("second"), func() bool {
		b, _ := st.GetBatch(ctx, "t", "batch_x")
		return store.BatchDone(b.Status)
	})
	b, _ := st.GetBatch(ctx, "t", "batch_x")
	o, err := batch.Decode(&b)
	if err != nil || o.Status != store.BatchCompleted || o.RequestCounts.Completed != 3 || o.OutputFileID == nil {
		t.Fatalf("batch after the second worker = %+v, %v; want completed with an output file", o, err)
	}
	got := logs()
	if len(got) != 3 {
		t.Fatalf("request log holds %d records of the batch, want 3 (one per line)", len(got))
	}
	var tokens int64
	for _, l := range got {
		tokens += l.PromptTokens + l.CompletionTokens
	}
	if s, _ := ledger.Status("org"); s.Spent != tokens || tokens == 0 {
		t.Errorf("budget spent %d, want the batch's %d tokens once", s.Spent, tokens)
	}
	chats := 0
	for _, r := range mock.Server().Requests() {
		if r.Path == "/v1/chat/completions" {
			chats++
		}
	}
	if chats != 3 {
		t.Errorf("the provider received %d requests for 3 lines: the retried finish ran lines again", chats)
	}
}
