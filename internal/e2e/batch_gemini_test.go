package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
)

// Gemini's Batch Mode behind /v1/batches: "gemini" goes to a Gemini-format mock whose batches
// end after one poll, "slow-gemini" to one whose batches never end on their own, and
// "local-gemini" to one Sluice runs itself (batch.native off for it).
const geminiBatchConfig = `
providers:
  gem:
    type: gemini
    base_url: {{MOCK}}/v1beta
    api_key: ` + mockKey + `
    headers: {x-mock-batch-polls: "1"}
  gemslow:
    type: gemini
    base_url: {{MOCK}}/v1beta
    api_key: ` + mockKey + `
    headers: {x-mock-batch-polls: "100000"}
  gemlocal:
    type: gemini
    base_url: {{MOCK}}/v1beta
    api_key: ` + mockKey + `
models:
  - name: gemini
    targets: [{provider: gem, model: gemini-2.5-flash}]
  - name: slow-gemini
    targets: [{provider: gemslow, model: gemini-2.5-flash}]
  - name: local-gemini
    targets: [{provider: gemlocal, model: gemini-2.5-flash}]
batch:
  poll_interval: 20ms
  native: {gem: true, gemslow: true, gemlocal: false}
`

// gmSentBatch is the body Sluice posted to :batchGenerateContent.
type gmSentBatch struct {
	Batch struct {
		DisplayName string `json:"displayName"`
		InputConfig struct {
			Requests struct {
				Requests []struct {
					Request  map[string]any    `json:"request"`
					Metadata map[string]string `json:"metadata"`
				} `json:"requests"`
			} `json:"requests"`
		} `json:"inputConfig"`
	} `json:"batch"`
}

func TestBatchGeminiBatchModeAtTheBatchPrice(t *testing.T) {
	g := start(t, geminiBatchConfig, time.Minute)
	c := g.client()
	b := submitBatch(t, c, jsonl("/v1/chat/completions",
		[2]string{"gemini", "one"}, [2]string{"gemini", "two"}, [2]string{"gemini", "[[mock status=400]]"}))
	b = awaitBatch(t, c, b.ID)
	if b.Status != openai.BatchStatusCompleted || b.RequestCounts.Total != 3 || b.RequestCounts.Completed != 2 || b.RequestCounts.Failed != 1 {
		t.Fatalf("batch = %s %+v, want completed with 2 of 3 requests completed", b.Status, b.RequestCounts)
	}
	out, errs := readBatchFile(t, c, b.OutputFileID), readBatchFile(t, c, b.ErrorFileID)
	for _, id := range []string{"req-0", "req-1"} {
		l := out[id]
		var chat openai.ChatCompletion
		if l.Response == nil || l.Response.StatusCode != 200 || json.Unmarshal(l.Response.Body, &chat) != nil ||
			chat.Object != "chat.completion" || chat.Choices[0].Message.Content == "" || chat.Usage.CompletionTokens == 0 {
			t.Errorf("output line %s = %+v, want the Gemini response as a 200 chat completion with usage", id, l)
		}
	}
	// The per-line google.rpc.Status INVALID_ARGUMENT is the 400 :generateContent would have been.
	if l := errs["req-2"]; l.Response == nil || l.Response.StatusCode != 400 || !strings.Contains(string(l.Response.Body), "INVALID_ARGUMENT") {
		t.Errorf("error line req-2 = %+v, want the provider's 400 INVALID_ARGUMENT", l)
	}
	var sent gmSentBatch
	created := 0
	for _, r := range g.Mock.Server().Requests() {
		switch {
		case r.Method == "POST" && r.Path == "/v1beta/models/gemini-2.5-flash:batchGenerateContent":
			created++
			if err := json.Unmarshal(r.Body, &sent); err != nil {
				t.Fatal(err)
			}
		case strings.HasSuffix(r.Path, ":generateContent"):
			t.Errorf("a line went to %s instead of the provider's batch API", r.Path)
		}
	}
	reqs := sent.Batch.InputConfig.Requests.Requests
	if created != 1 || sent.Batch.DisplayName == "" || len(reqs) != 3 || reqs[0].Metadata["key"] != "r0" ||
		reqs[0].Request["contents"] == nil || reqs[0].Request["messages"] != nil {
		t.Fatalf("mock saw %d batches, the last %+v; want one with three translated GenerateContentRequests keyed r0...", created, sent)
	}
	recs := batchLogs(t, g, b.ID, 3)
	checkCosts(t, recs, 150, 1250, "native") // gemini-2.5-flash batch: $0.15 in, $1.25 out per M
	for _, r := range recs {
		if r["provider"] != "gem" {
			t.Errorf("record %v: provider %v, want gem", r["id"], r["provider"])
		}
	}
}

func TestBatchGeminiCancelStopsTheProviderJob(t *testing.T) {
	g := start(t, geminiBatchConfig, time.Minute)
	c := g.client()
	b := submitBatch(t, c, jsonl("/v1/chat/completions", [2]string{"slow-gemini", "one"}, [2]string{"slow-gemini", "two"}))
	var job string
	waitFor(t, "the provider's batch to be created", func() bool {
		got, err := c.Batches.Get(context.Background(), b.ID)
		job = gmUpstreamBatch(g)
		return err == nil && got.Status == openai.BatchStatusInProgress && job != ""
	})
	if _, err := c.Batches.Cancel(context.Background(), b.ID); err != nil {
		t.Fatalf("Batches.Cancel: %v", err)
	}
	b = awaitBatch(t, c, b.ID)
	if b.Status != openai.BatchStatusCancelled || b.RequestCounts.Completed != 0 || b.RequestCounts.Failed != 0 {
		t.Fatalf("batch = %s %+v, want cancelled with nothing completed or failed", b.Status, b.RequestCounts)
	}
	cancelled := false
	for _, r := range g.Mock.Server().Requests() {
		cancelled = cancelled || (r.Method == "POST" && r.Path == "/v1beta/"+job+":cancel")
	}
	if !cancelled {
		t.Errorf("the provider's batch %s was not cancelled upstream", job)
	}
	if errs := readBatchFile(t, c, b.ErrorFileID); len(errs) != 2 || errs["req-0"].Error == nil || errs["req-0"].Error.Code != "batch_cancelled" {
		t.Errorf("error file = %+v, want both lines batch_cancelled", errs)
	}
}

// gmUpstreamBatch is the name ("batches/...") of the batch Sluice polls at the mock, "" before.
func gmUpstreamBatch(g *gateway) string {
	for _, r := range g.Mock.Server().Requests() {
		if name, ok := strings.CutPrefix(r.Path, "/v1beta/"); ok && r.Method == "GET" && strings.HasPrefix(name, "batches/") {
			return name
		}
	}
	return ""
}

// With batch.native off for its provider, a Gemini target's lines run one by one through
// :generateContent, at the standard price.
func TestBatchGeminiOptedOutRunsLocally(t *testing.T) {
	g := start(t, geminiBatchConfig, time.Minute)
	c := g.client()
	b := submitBatch(t, c, jsonl("/v1/chat/completions", [2]string{"local-gemini", "a"}, [2]string{"local-gemini", "b"}))
	b = awaitBatch(t, c, b.ID)
	if b.Status != openai.BatchStatusCompleted || b.RequestCounts.Completed != 2 {
		t.Fatalf("batch = %s %+v, want both completed", b.Status, b.RequestCounts)
	}
	seen := map[string]int{}
	for _, r := range g.Mock.Server().Requests() {
		seen[r.Path]++
	}
	if seen["/v1beta/models/gemini-2.5-flash:generateContent"] != 2 || seen["/v1beta/models/gemini-2.5-flash:batchGenerateContent"] != 0 {
		t.Errorf("mock saw %v, want two :generateContent requests and no batch", seen)
	}
	checkCosts(t, batchLogs(t, g, b.ID, 2), 300, 2500, "local") // standard gemini-2.5-flash: $0.30 in, $2.50 out per M
}
