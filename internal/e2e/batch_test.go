package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// batchConfig routes "fast" to an OpenAI-compatible mock whose lines Sluice runs itself,
// "native-gpt" to the same mock as an account whose OpenAI batch API Sluice uses, "slow-gpt"
// to one whose batches never finish on their own, and "claude" to Anthropic's Message Batches.
const batchConfig = `
server:
  max_body_bytes: 64KiB
providers:
  mock:
    type: openai
    base_url: {{MOCK}}/v1
    api_key: ` + mockKey + `
    timeout: {{TIMEOUT}}
  oai:
    type: openai
    base_url: {{MOCK}}/v1
    api_key: ` + mockKey + `
    headers: {x-mock-batch-polls: "1"}
  slow:
    type: openai
    base_url: {{MOCK}}/v1
    api_key: ` + mockKey + `
    headers: {x-mock-batch-polls: "100000"}
  claude:
    type: anthropic
    base_url: {{MOCK}}/v1
    api_key: ` + mockKey + `
    headers: {x-mock-batch-polls: "1"}
  az:
    type: azure
    base_url: {{MOCK}}
    api_key: ` + mockKey + `
    api_version: "2024-10-21"
    headers: {x-mock-batch-polls: "1"}
models:
  - name: fast
    targets: [{provider: mock, model: gpt-4o-mini}]
  - name: native-gpt
    targets: [{provider: oai, model: gpt-4o-mini}]
  - name: slow-gpt
    targets: [{provider: slow, model: gpt-4o-mini}]
  - name: claude
    targets: [{provider: claude, model: claude-sonnet-4-6}]
  - name: azure-gpt
    targets: [{provider: az, model: gpt-4o-mini}]
batch:
  poll_interval: 20ms
  native: {oai: true, slow: true, az: true}
`

// jsonl builds a batch input file: one chat request per model/prompt pair, custom ids req-0...
func jsonl(endpoint string, lines ...[2]string) []byte {
	var b bytes.Buffer
	for i, l := range lines {
		body := map[string]any{"model": l[0], "messages": []map[string]string{{"role": "user", "content": l[1]}}}
		if endpoint == "/v1/embeddings" {
			body = map[string]any{"model": l[0], "input": l[1]}
		}
		line, _ := json.Marshal(map[string]any{"custom_id": fmt.Sprintf("req-%d", i), "method": "POST", "url": endpoint, "body": body})
		b.Write(append(line, '\n'))
	}
	return b.Bytes()
}

func uploadBatchFile(t *testing.T, c openai.Client, content []byte) (*openai.FileObject, error) {
	t.Helper()
	return c.Files.New(context.Background(), openai.FileNewParams{
		File: openai.File(bytes.NewReader(content), "input.jsonl", "application/jsonl"), Purpose: openai.FilePurposeBatch})
}

// submitBatch uploads content and creates a chat completions batch on it.
func submitBatch(t *testing.T, c openai.Client, content []byte) *openai.Batch {
	t.Helper()
	f, err := uploadBatchFile(t, c, content)
	if err != nil {
		t.Fatalf("Files.New: %v", err)
	}
	if f.Purpose != openai.FileObjectPurposeBatch || f.Bytes != int64(len(content)) || !strings.HasPrefix(f.ID, "file-") {
		t.Fatalf("Files.New = %+v, want a batch file of %d bytes", f, len(content))
	}
	b, err := c.Batches.New(context.Background(), openai.BatchNewParams{InputFileID: f.ID,
		Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions, CompletionWindow: openai.BatchNewParamsCompletionWindow24h,
		Metadata: map[string]string{"job": "nightly"}})
	if err != nil {
		t.Fatalf("Batches.New: %v", err)
	}
	if b.Status != openai.BatchStatusValidating || b.InputFileID != f.ID || b.Metadata["job"] != "nightly" {
		t.Fatalf("Batches.New = %+v, want a validating batch of %s", b, f.ID)
	}
	return b
}

// awaitBatch polls the batch until it reaches a final status.
func awaitBatch(t *testing.T, c openai.Client, id string) *openai.Batch {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		b, err := c.Batches.Get(context.Background(), id)
		if err != nil {
			t.Fatalf("Batches.Get(%s): %v", id, err)
		}
		switch b.Status {
		case openai.BatchStatusCompleted, openai.BatchStatusFailed, openai.BatchStatusExpired, openai.BatchStatusCancelled:
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("batch %s still %s", id, b.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// batchLine is a line of an output or error file.
type batchLine struct {
	ID       string `json:"id"`
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int             `json:"status_code"`
		Body       json.RawMessage `json:"body"`
	} `json:"response"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// readBatchFile reads a produced file through the SDK, by custom_id.
func readBatchFile(t *testing.T, c openai.Client, id string) map[string]batchLine {
	t.Helper()
	out := map[string]batchLine{}
	if id == "" {
		return out
	}
	resp, err := c.Files.Content(context.Background(), id)
	if err != nil {
		t.Fatalf("Files.Content(%s): %v", id, err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l batchLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("file %s: line %q: %v", id, sc.Text(), err)
		}
		out[l.CustomID] = l
	}
	return out
}

// batchLogs waits for the request log to hold want records of the batch and returns them.
func batchLogs(t *testing.T, g *gateway, batchID string, want int) []map[string]any {
	t.Helper()
	var data []any
	waitFor(t, "the batch's request-log records", func() bool {
		_, out := adminCall(t, g, clientKey, "GET", "/admin/v1/logs?metadata.batch_id="+batchID, nil)
		data, _ = out["data"].([]any)
		return len(data) >= want
	})
	if len(data) != want {
		t.Fatalf("request log has %d records of batch %s, want %d", len(data), batchID, want)
	}
	recs := make([]map[string]any, len(data))
	for i, d := range data {
		recs[i] = d.(map[string]any)
	}
	return recs
}

// checkCosts asserts each successful record's cost is its tokens at the given rates, in USD
// per million tokens written as thousandths (0.075 -> 75).
func checkCosts(t *testing.T, recs []map[string]any, inMilli, outMilli int64, mode string) {
	t.Helper()
	for _, r := range recs {
		meta, _ := r["metadata"].(map[string]any)
		if meta["batch_mode"] != mode {
			t.Errorf("record %v: batch_mode %v, want %s", r["id"], meta["batch_mode"], mode)
		}
		if r["status"] != float64(200) {
			continue
		}
		p, c := int64(r["prompt_tokens"].(float64)), int64(r["completion_tokens"].(float64))
		// micro-dollars = tokens x USD/M; the rates are in thousandths, so divide by 1000, half up.
		want := (p*inMilli + c*outMilli + 500) / 1000
		if p == 0 || c == 0 || int64(r["cost_micro_usd"].(float64)) != want {
			t.Errorf("record %v: %d prompt + %d completion tokens cost %v micro-USD, want %d", r["id"], p, c, r["cost_micro_usd"], want)
		}
	}
}

func TestBatchOpenAIUpstreamAtTheBatchPrice(t *testing.T) {
	g := start(t, batchConfig, time.Minute)
	c := g.client()
	b := submitBatch(t, c, jsonl("/v1/chat/completions",
		[2]string{"native-gpt", "one"}, [2]string{"native-gpt", "two"}, [2]string{"native-gpt", "[[mock status=400]]"}))
	b = awaitBatch(t, c, b.ID)
	if b.Status != openai.BatchStatusCompleted || b.RequestCounts.Total != 3 || b.RequestCounts.Completed != 2 || b.RequestCounts.Failed != 1 {
		t.Fatalf("batch = %s %+v, want completed with 2 of 3 requests completed", b.Status, b.RequestCounts)
	}
	out, errs := readBatchFile(t, c, b.OutputFileID), readBatchFile(t, c, b.ErrorFileID)
	for _, id := range []string{"req-0", "req-1"} {
		l := out[id]
		var chat openai.ChatCompletion
		if l.Response == nil || l.Response.StatusCode != 200 || json.Unmarshal(l.Response.Body, &chat) != nil || chat.Choices[0].Message.Content == "" {
			t.Errorf("output line %s = %+v, want a 200 chat completion", id, l)
		}
	}
	if l := errs["req-2"]; l.Response == nil || l.Response.StatusCode != 400 || !strings.Contains(string(l.Response.Body), `"error"`) {
		t.Errorf("error line req-2 = %+v, want the provider's 400", l)
	}
	// The mock received one upload with the lines translated for the target, and one batch.
	var uploaded, created int
	for _, r := range g.Mock.Server().Requests() {
		switch r.Path {
		case "/v1/files":
			uploaded++
			if !strings.Contains(string(r.Body), `"model":"gpt-4o-mini"`) || !strings.Contains(string(r.Body), `"custom_id":"r0"`) {
				t.Errorf("uploaded batch file lacks the rewritten model or line keys: %s", r.Body)
			}
		case "/v1/batches":
			created++
		case "/v1/chat/completions":
			t.Errorf("a line went to /v1/chat/completions instead of the provider's batch API")
		}
	}
	if uploaded != 1 || created != 1 {
		t.Errorf("mock saw %d uploads and %d batches, want 1 and 1", uploaded, created)
	}
	recs := batchLogs(t, g, b.ID, 3)
	checkCosts(t, recs, 75, 300, "native") // gpt-4o-mini batch: $0.075 in, $0.30 out per M
}

func TestBatchAnthropicMessageBatches(t *testing.T) {
	g := start(t, batchConfig, time.Minute)
	c := g.client()
	b := submitBatch(t, c, jsonl("/v1/chat/completions",
		[2]string{"claude", "hello"}, [2]string{"claude", "[[mock status=400]]"}))
	b = awaitBatch(t, c, b.ID)
	if b.Status != openai.BatchStatusCompleted || b.RequestCounts.Completed != 1 || b.RequestCounts.Failed != 1 {
		t.Fatalf("batch = %s %+v, want completed with 1 of 2 completed", b.Status, b.RequestCounts)
	}
	out, errs := readBatchFile(t, c, b.OutputFileID), readBatchFile(t, c, b.ErrorFileID)
	var chat openai.ChatCompletion
	if l := out["req-0"]; l.Response == nil || json.Unmarshal(l.Response.Body, &chat) != nil ||
		chat.Object != "chat.completion" || chat.Choices[0].Message.Content == "" || chat.Usage.PromptTokens == 0 {
		t.Errorf("output line req-0 = %+v, want the Anthropic message as a chat completion", l)
	}
	if l := errs["req-1"]; l.Response == nil || l.Response.StatusCode != 400 {
		t.Errorf("error line req-1 = %+v, want a 400", l)
	}
	var sent struct {
		Requests []struct {
			CustomID string         `json:"custom_id"`
			Params   map[string]any `json:"params"`
		} `json:"requests"`
	}
	for _, r := range g.Mock.Server().Requests() {
		if r.Path == "/v1/messages/batches" && r.Method == "POST" {
			if err := json.Unmarshal(r.Body, &sent); err != nil {
				t.Fatal(err)
			}
		}
	}
	if len(sent.Requests) != 2 || sent.Requests[0].CustomID != "r0" || sent.Requests[0].Params["model"] != "claude-sonnet-4-6" ||
		sent.Requests[0].Params["max_tokens"] == nil || sent.Requests[0].Params["messages"] == nil {
		t.Fatalf("mock received message batch %+v, want two requests with translated Messages params", sent)
	}
	recs := batchLogs(t, g, b.ID, 2)
	checkCosts(t, recs, 1500, 7500, "native") // claude-sonnet-4-6 batch: $1.50 in, $7.50 out per M
}

func TestBatchRunsLocallyWithoutAProviderBatchAPI(t *testing.T) {
	g := start(t, batchConfig, time.Minute)
	c := g.client(option.WithHeader("X-Sluice-Metadata", `{"project":"nightly-evals"}`))
	b := submitBatch(t, c, jsonl("/v1/chat/completions",
		[2]string{"fast", "a"}, [2]string{"fast", "b"}, [2]string{"fast", "c"}, [2]string{"fast", "[[mock status=400]]"}))
	b = awaitBatch(t, c, b.ID)
	if b.Status != openai.BatchStatusCompleted || b.RequestCounts.Completed != 3 || b.RequestCounts.Failed != 1 {
		t.Fatalf("batch = %s %+v, want completed with 3 of 4 completed", b.Status, b.RequestCounts)
	}
	if out := readBatchFile(t, c, b.OutputFileID); len(out) != 3 {
		t.Errorf("output file has %d lines, want 3", len(out))
	}
	if errs := readBatchFile(t, c, b.ErrorFileID); errs["req-3"].Response == nil || errs["req-3"].Response.StatusCode != 400 {
		t.Errorf("error file = %+v, want req-3's 400", errs)
	}
	chats := 0
	for _, r := range g.Mock.Server().Requests() {
		switch r.Path {
		case "/v1/chat/completions":
			chats++
		case "/v1/batches", "/v1/files":
			t.Errorf("mock saw %s: a provider without a batch API got a batch", r.Path)
		}
	}
	if chats != 4 {
		t.Errorf("mock saw %d chat requests, want one per line (4)", chats)
	}
	recs := batchLogs(t, g, b.ID, 4)
	checkCosts(t, recs, 150, 600, "local") // standard gpt-4o-mini: $0.15 in, $0.60 out per M
	for _, r := range recs {
		if meta := r["metadata"].(map[string]any); meta["project"] != "nightly-evals" || meta["batch_custom_id"] == nil {
			t.Errorf("record %v: metadata %v, want the batch's client tags and the line's custom_id", r["id"], meta)
		}
	}
}

// teamKey creates a team allowed models and returns a team key.
func batchTeamKey(t *testing.T, g *gateway, name string, models ...string) string {
	t.Helper()
	team := mustAdmin(t, g, clientKey, "POST", "/admin/v1/teams", map[string]any{"name": name}, 201)
	out := mustAdmin(t, g, clientKey, "POST", "/admin/v1/keys", map[string]any{"owner_kind": "team", "owner_id": team["id"], "models": models}, 201)
	return out["key"].(string)
}

func TestBatchInvalidFilesAreRefusedNamingTheLine(t *testing.T) {
	g := start(t, batchConfig, time.Minute)
	c := keyClient(g, batchTeamKey(t, g, "ml", "fast"))
	good := `{"custom_id":"a","method":"POST","url":"/v1/chat/completions","body":{"model":"fast","messages":[{"role":"user","content":"x"}]}}`
	master := g.client()
	for _, tc := range []struct {
		name, file string
		want       []string
	}{
		{"bad JSON line", good + "\n{\"custom_id\": \"b\",\n", []string{"line 2", "not a JSON object"}},
		{"duplicate custom_id", good + "\n" + good + "\n", []string{"line 2", `custom_id "a"`, "line 1"}},
		{"unknown model", strings.Replace(good, `"fast"`, `"no-such-model"`, 1), []string{"line 1", "no-such-model", "does not exist"}},
		{"model not allowed for the key", strings.Replace(good, `"fast"`, `"claude"`, 1), []string{"line 1", "claude", "not allowed"}},
		{"wrong method", strings.Replace(good, `"POST"`, `"GET"`, 1), []string{"line 1", "method must be POST"}},
		{"missing body.model", strings.Replace(good, `"model":"fast",`, ``, 1), []string{"line 1", "body.model is required"}},
		{"empty file", "\n\n", []string{"no requests"}},
	} {
		by := c
		if tc.name == "unknown model" { // the team's key may not name it at all
			by = master
		}
		_, err := uploadBatchFile(t, by, []byte(tc.file))
		if err == nil {
			t.Errorf("%s: upload succeeded, want a 400", tc.name)
			continue
		}
		e := apiError(t, err)
		if e.StatusCode != 400 {
			t.Errorf("%s: status %d, want 400", tc.name, e.StatusCode)
		}
		for _, w := range tc.want {
			if !strings.Contains(e.Message, w) {
				t.Errorf("%s: message %q lacks %q", tc.name, e.Message, w)
			}
		}
	}
	// The batch is checked again against the endpoint it is created for.
	f, err := uploadBatchFile(t, c, []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Batches.New(context.Background(), openai.BatchNewParams{InputFileID: f.ID,
		Endpoint: openai.BatchNewParamsEndpointV1Embeddings, CompletionWindow: openai.BatchNewParamsCompletionWindow24h})
	if e := apiError(t, err); e.StatusCode != 400 || !strings.Contains(e.Message, "line 1") || !strings.Contains(e.Message, "/v1/embeddings") {
		t.Errorf("batch on the wrong endpoint: %d %q, want a 400 naming line 1 and the endpoint", e.StatusCode, e.Message)
	}
	_, err = c.Batches.New(context.Background(), openai.BatchNewParams{InputFileID: "file-nope",
		Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions, CompletionWindow: openai.BatchNewParamsCompletionWindow24h})
	if e := apiError(t, err); e.StatusCode != 404 || e.Code != "file_not_found" {
		t.Errorf("batch of a missing file: %d %s, want 404 file_not_found", e.StatusCode, e.Code)
	}
}

func TestBatchFilesAndBatchesAreInvisibleToOtherTeams(t *testing.T) {
	g := start(t, batchConfig, time.Minute)
	ctx := context.Background()
	a := keyClient(g, batchTeamKey(t, g, "a", "fast"))
	other := keyClient(g, batchTeamKey(t, g, "b", "fast"))
	b := submitBatch(t, a, jsonl("/v1/chat/completions", [2]string{"fast", "mine"}))
	b = awaitBatch(t, a, b.ID)
	notFound := func(what string, err error) {
		t.Helper()
		if e := apiError(t, err); e.StatusCode != 404 {
			t.Errorf("%s by another team: %d, want 404", what, e.StatusCode)
		}
	}
	_, err := other.Files.Get(ctx, b.InputFileID)
	notFound("Files.Get", err)
	_, err = other.Files.Content(ctx, b.OutputFileID)
	notFound("Files.Content", err)
	_, err = other.Files.Delete(ctx, b.InputFileID)
	notFound("Files.Delete", err)
	_, err = other.Batches.Get(ctx, b.ID)
	notFound("Batches.Get", err)
	_, err = other.Batches.Cancel(ctx, b.ID)
	notFound("Batches.Cancel", err)
	_, err = other.Batches.New(ctx, openai.BatchNewParams{InputFileID: b.InputFileID,
		Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions, CompletionWindow: openai.BatchNewParamsCompletionWindow24h})
	notFound("Batches.New on the file", err)
	if files, err := other.Files.List(ctx, openai.FileListParams{}); err != nil || len(files.Data) != 0 {
		t.Errorf("Files.List by another team = %v, %v; want nothing", files, err)
	}
	if batches, err := other.Batches.List(ctx, openai.BatchListParams{}); err != nil || len(batches.Data) != 0 {
		t.Errorf("Batches.List by another team = %v, %v; want nothing", batches, err)
	}
	// The owner sees both, newest file first, and can delete its input file.
	files, err := a.Files.List(ctx, openai.FileListParams{})
	if err != nil || len(files.Data) != 2 || files.Data[0].ID != b.OutputFileID || files.Data[0].Purpose != openai.FileObjectPurposeBatchOutput {
		t.Fatalf("Files.List by the owner = %+v, %v; want the output file, then the input", files, err)
	}
	batches, err := a.Batches.List(ctx, openai.BatchListParams{})
	if err != nil || len(batches.Data) != 1 || batches.Data[0].ID != b.ID {
		t.Fatalf("Batches.List by the owner = %+v, %v", batches, err)
	}
	if del, err := a.Files.Delete(ctx, b.InputFileID); err != nil || !del.Deleted {
		t.Fatalf("Files.Delete by the owner = %+v, %v", del, err)
	}
	_, err = a.Files.Get(ctx, b.InputFileID)
	notFound("Files.Get after delete (owner)", err)
}

func TestBatchOfEmbeddingsThroughOpenAIAndLocally(t *testing.T) {
	g := start(t, batchConfig, time.Minute)
	c := g.client()
	for _, model := range []string{"oai/text-embedding-3-small", "mock/text-embedding-3-small"} {
		f, err := uploadBatchFile(t, c, jsonl("/v1/embeddings", [2]string{model, "first"}, [2]string{model, "second"}))
		if err != nil {
			t.Fatalf("%s: Files.New: %v", model, err)
		}
		b, err := c.Batches.New(context.Background(), openai.BatchNewParams{InputFileID: f.ID,
			Endpoint: openai.BatchNewParamsEndpointV1Embeddings, CompletionWindow: openai.BatchNewParamsCompletionWindow24h})
		if err != nil {
			t.Fatalf("%s: Batches.New: %v", model, err)
		}
		b = awaitBatch(t, c, b.ID)
		if b.Status != openai.BatchStatusCompleted || b.RequestCounts.Completed != 2 || b.Usage.InputTokens == 0 {
			t.Fatalf("%s: batch = %s %+v usage %+v, want both embedded", model, b.Status, b.RequestCounts, b.Usage)
		}
		for id, l := range readBatchFile(t, c, b.OutputFileID) {
			var emb openai.CreateEmbeddingResponse
			if l.Response == nil || json.Unmarshal(l.Response.Body, &emb) != nil || len(emb.Data) != 1 || len(emb.Data[0].Embedding) == 0 {
				t.Errorf("%s: output line %s = %+v, want an embedding", model, id, l)
			}
		}
		mode := map[string]string{"oai/text-embedding-3-small": "native", "mock/text-embedding-3-small": "local"}[model]
		for _, r := range batchLogs(t, g, b.ID, 2) {
			if meta := r["metadata"].(map[string]any); meta["batch_mode"] != mode || r["prompt_tokens"] == float64(0) {
				t.Errorf("%s: record %v, want batch_mode %s with prompt tokens", model, r, mode)
			}
		}
	}
}

func TestBatchAzureGlobalBatch(t *testing.T) {
	g := start(t, batchConfig, time.Minute)
	c := g.client()
	b := submitBatch(t, c, jsonl("/v1/chat/completions", [2]string{"azure-gpt", "one"}, [2]string{"azure-gpt", "two"}))
	b = awaitBatch(t, c, b.ID)
	if b.Status != openai.BatchStatusCompleted || b.RequestCounts.Completed != 2 {
		t.Fatalf("batch = %s %+v, want both completed", b.Status, b.RequestCounts)
	}
	var uploaded, created bool
	for _, r := range g.Mock.Server().Requests() {
		switch r.Path {
		case "/openai/files":
			uploaded = strings.Contains(string(r.Body), `"url":"/chat/completions"`) && strings.Contains(string(r.Body), `"model":"gpt-4o-mini"`)
		case "/openai/batches":
			created = strings.Contains(string(r.Body), `"endpoint":"/chat/completions"`)
		}
		if strings.HasPrefix(r.Path, "/openai/deployments/") {
			t.Errorf("a line went to %s instead of Azure's batch API", r.Path)
		}
	}
	if !uploaded || !created {
		t.Errorf("Azure saw upload %v, batch %v; want the lines under /openai/files with Azure's URLs and a batch on /chat/completions", uploaded, created)
	}
	checkCosts(t, batchLogs(t, g, b.ID, 2), 75, 300, "native")
}

// Responses API lines run through Sluice (no adapter speaks the Responses API outbound), even
// for a provider whose batch API takes chat lines, and come back as response objects.
func TestBatchOfResponsesRunsLocally(t *testing.T) {
	g := start(t, batchConfig, time.Minute)
	c := g.client()
	var in bytes.Buffer
	for i, text := range []string{"one", "two"} {
		fmt.Fprintf(&in, `{"custom_id":"r-%d","method":"POST","url":"/v1/responses","body":{"model":"native-gpt","input":%q}}`+"\n", i, text)
	}
	fmt.Fprintf(&in, `{"custom_id":"r-2","method":"POST","url":"/v1/responses","body":{"model":"native-gpt","input":"x","previous_response_id":"resp_1"}}`+"\n")
	f, err := uploadBatchFile(t, c, in.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Batches.New(context.Background(), openai.BatchNewParams{InputFileID: f.ID,
		Endpoint: openai.BatchNewParamsEndpointV1Responses, CompletionWindow: openai.BatchNewParamsCompletionWindow24h})
	if err != nil {
		t.Fatal(err)
	}
	b = awaitBatch(t, c, b.ID)
	if b.Status != openai.BatchStatusCompleted || b.RequestCounts.Completed != 2 || b.RequestCounts.Failed != 1 {
		t.Fatalf("batch = %s %+v, want 2 of 3 completed; errors: %s", b.Status, b.RequestCounts, readBatchFile(t, c, b.ErrorFileID)["r-0"].Response.Body)
	}
	for id, l := range readBatchFile(t, c, b.OutputFileID) {
		var resp struct {
			Object string `json:"object"`
			Status string `json:"status"`
			Output []struct {
				Type string `json:"type"`
			} `json:"output"`
		}
		if l.Response == nil || json.Unmarshal(l.Response.Body, &resp) != nil || resp.Object != "response" || resp.Status != "completed" ||
			len(resp.Output) == 0 || resp.Output[0].Type != "message" {
			t.Errorf("output line %s = %s, want a completed response object", id, l.Response.Body)
		}
	}
	if errs := readBatchFile(t, c, b.ErrorFileID); errs["r-2"].Response == nil || !strings.Contains(string(errs["r-2"].Response.Body), "previous_response_id") {
		t.Errorf("error file = %+v, want r-2 refused for previous_response_id", errs)
	}
	for _, r := range g.Mock.Server().Requests() {
		if r.Path == "/v1/batches" {
			t.Errorf("Responses lines went to the provider's batch API")
		}
	}
	batchLogs(t, g, b.ID, 3)
}

// One batch whose lines go to three targets: each group runs its own way, and the output
// file and the request log bring them back together.
func TestBatchMixingTargetsRunsEachGroupItsOwnWay(t *testing.T) {
	g := start(t, batchConfig, time.Minute)
	c := g.client()
	b := submitBatch(t, c, jsonl("/v1/chat/completions",
		[2]string{"native-gpt", "a"}, [2]string{"claude", "b"}, [2]string{"fast", "c"}, [2]string{"native-gpt", "d"}))
	b = awaitBatch(t, c, b.ID)
	if b.Status != openai.BatchStatusCompleted || b.RequestCounts.Completed != 4 {
		t.Fatalf("batch = %s %+v, want all 4 completed", b.Status, b.RequestCounts)
	}
	if out := readBatchFile(t, c, b.OutputFileID); len(out) != 4 {
		t.Errorf("output file has %d lines, want 4", len(out))
	}
	seen := map[string]int{}
	for _, r := range g.Mock.Server().Requests() {
		if r.Method == "POST" {
			seen[r.Path]++
		}
	}
	if seen["/v1/batches"] != 1 || seen["/v1/messages/batches"] != 1 || seen["/v1/chat/completions"] != 1 {
		t.Errorf("mock saw %v, want one OpenAI batch (2 lines), one message batch and one chat request", seen)
	}
	modes := map[string]string{}
	for _, r := range batchLogs(t, g, b.ID, 4) {
		meta := r["metadata"].(map[string]any)
		modes[meta["batch_custom_id"].(string)] = meta["batch_mode"].(string) + "/" + r["provider"].(string)
	}
	want := map[string]string{"req-0": "native/oai", "req-1": "native/claude", "req-2": "local/mock", "req-3": "native/oai"}
	for id, m := range want {
		if modes[id] != m {
			t.Errorf("line %s ran as %q, want %q", id, modes[id], m)
		}
	}
}
