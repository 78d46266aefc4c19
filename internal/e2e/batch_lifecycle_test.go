package e2e

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	_ "modernc.org/sqlite" // the expiry test edits the store directly
)

// How batches end other than by completing: cancelled, expired, refused by a spent budget.

func TestBatchCancelStopsTheProviderJob(t *testing.T) {
	g := start(t, batchConfig, time.Minute)
	c := g.client()
	b := submitBatch(t, c, jsonl("/v1/chat/completions", [2]string{"slow-gpt", "one"}, [2]string{"slow-gpt", "two"}))
	waitFor(t, "the provider's batch to be created", func() bool {
		got, err := c.Batches.Get(context.Background(), b.ID)
		return err == nil && got.Status == openai.BatchStatusInProgress && upstreamBatchID(g) != ""
	})
	got, err := c.Batches.Cancel(context.Background(), b.ID)
	if err != nil || got.Status != openai.BatchStatusCancelling || got.CancellingAt == 0 {
		t.Fatalf("Batches.Cancel = %+v, %v; want cancelling", got, err)
	}
	b = awaitBatch(t, c, b.ID)
	if b.Status != openai.BatchStatusCancelled || b.CancelledAt == 0 || b.RequestCounts.Completed != 0 || b.RequestCounts.Failed != 0 {
		t.Fatalf("batch = %s %+v, want cancelled with nothing completed or failed", b.Status, b.RequestCounts)
	}
	cancelled := false
	for _, r := range g.Mock.Server().Requests() {
		cancelled = cancelled || (r.Method == "POST" && r.Path == "/v1/batches/"+upstreamBatchID(g)+"/cancel")
	}
	if !cancelled {
		t.Errorf("the provider's batch %s was not cancelled upstream", upstreamBatchID(g))
	}
	if errs := readBatchFile(t, c, b.ErrorFileID); errs["req-0"].Error == nil || errs["req-0"].Error.Code != "batch_cancelled" || len(errs) != 2 {
		t.Errorf("error file = %+v, want both lines batch_cancelled", errs)
	}
	_, err = c.Batches.Cancel(context.Background(), b.ID)
	if e := apiError(t, err); e.StatusCode != 409 || e.Code != "batch_not_cancellable" {
		t.Errorf("cancelling a cancelled batch: %d %s, want 409 batch_not_cancellable", e.StatusCode, e.Code)
	}
}

// upstreamBatchID is the id the mock gave the batch Sluice created there, "" before.
func upstreamBatchID(g *gateway) string {
	for _, r := range g.Mock.Server().Requests() {
		if r.Method == "GET" && strings.HasPrefix(r.Path, "/v1/batches/") {
			return strings.TrimPrefix(r.Path, "/v1/batches/")
		}
	}
	return ""
}

// A batch is admitted while the budget has room; its lines are charged when it finishes, and
// once they have spent the budget the next batch is refused.
func TestBatchChargesTheBudgetAndIsRefusedOnceItIsSpent(t *testing.T) {
	g := start(t, batchConfig+`
budgets:
  - id: org
    limit_tokens: 40
    period: daily
`, time.Minute)
	c := g.client()
	b := submitBatch(t, c, jsonl("/v1/chat/completions", [2]string{"native-gpt", "one"}, [2]string{"native-gpt", "two"}))
	b = awaitBatch(t, c, b.ID)
	if b.Status != openai.BatchStatusCompleted || b.Usage.TotalTokens <= 40 {
		t.Fatalf("batch = %s, usage %+v; want completed with more than the budget's 40 tokens", b.Status, b.Usage)
	}
	f, err := uploadBatchFile(t, c, jsonl("/v1/chat/completions", [2]string{"native-gpt", "three"}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Batches.New(context.Background(), openai.BatchNewParams{InputFileID: f.ID,
		Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions, CompletionWindow: openai.BatchNewParamsCompletionWindow24h})
	if e := apiError(t, err); e.StatusCode != 429 || e.Code != "budget_exceeded" {
		t.Fatalf("a batch after the budget was spent: %d %s, want 429 budget_exceeded", e.StatusCode, e.Code)
	}
}

// When the 24-hour window ends, Sluice cancels the provider's job and finishes the batch as
// expired, with the unrun lines in the error file as batch_expired.
func TestBatchExpiresAtTheEndOfItsWindow(t *testing.T) {
	db := filepath.Join(t.TempDir(), "sluice.db")
	g := start(t, batchConfig+"\nstore:\n  path: "+db+"\n", time.Minute)
	c := g.client()
	b := submitBatch(t, c, jsonl("/v1/chat/completions", [2]string{"slow-gpt", "one"}))
	waitFor(t, "the provider's batch to be created", func() bool { return upstreamBatchID(g) != "" })
	// Move the window's end into the past, as 24 hours would.
	conn, err := sql.Open("sqlite", db+"?_busy_timeout=5000")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec(`UPDATE batches SET record = json_set(record, '$.expires_at', 1) WHERE id = ?`, b.ID); err != nil {
		t.Fatal(err)
	}
	b = awaitBatch(t, c, b.ID)
	if b.Status != openai.BatchStatusExpired || b.ExpiredAt == 0 {
		t.Fatalf("batch = %s, want expired", b.Status)
	}
	if errs := readBatchFile(t, c, b.ErrorFileID); errs["req-0"].Error == nil || errs["req-0"].Error.Code != "batch_expired" {
		t.Errorf("error file = %+v, want req-0 batch_expired", errs)
	}
	cancelled := false
	for _, r := range g.Mock.Server().Requests() {
		cancelled = cancelled || r.Path == "/v1/batches/"+upstreamBatchID(g)+"/cancel"
	}
	if !cancelled {
		t.Errorf("the provider's job was not cancelled when the window ended")
	}
}
