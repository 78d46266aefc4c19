package mockllm

import (
	"bufio"
	"encoding/json"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go"
	anoption "github.com/anthropics/anthropic-sdk-go/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// The batch APIs, checked with the official SDKs.

func TestOpenAIBatchRunsLinesAndReleasesResultsAfterThePolls(t *testing.T) {
	inst := start(t, Options{APIKey: "test-key", Tokens: 3})
	c := newClient(inst, option.WithHeader(batchPollsHeader, "1"))
	ctx := t.Context()
	input := `{"custom_id":"ok","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}}
{"custom_id":"bad","method":"POST","url":"/v1/chat/completions","body":{"model":"gpt-4o","messages":[{"role":"user","content":"[[mock status=400]]"}]}}
{"custom_id":"wrong-url","method":"POST","url":"/v1/embeddings","body":{"model":"e","input":"x"}}
`
	f, err := c.Files.New(ctx, openai.FileNewParams{File: openai.File(strings.NewReader(input), "in.jsonl", "application/jsonl"),
		Purpose: openai.FilePurposeBatch})
	if err != nil || f.Bytes != int64(len(input)) || f.Purpose != openai.FileObjectPurposeBatch {
		t.Fatalf("Files.New = %+v, %v", f, err)
	}
	b, err := c.Batches.New(ctx, openai.BatchNewParams{InputFileID: f.ID, Endpoint: openai.BatchNewParamsEndpointV1ChatCompletions,
		CompletionWindow: openai.BatchNewParamsCompletionWindow24h})
	if err != nil || b.Status != openai.BatchStatusValidating || b.RequestCounts.Total != 3 {
		t.Fatalf("Batches.New = %+v, %v; want validating with 3 requests", b, err)
	}
	var statuses []openai.BatchStatus
	for range 2 {
		got, err := c.Batches.Get(ctx, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		statuses, b = append(statuses, got.Status), got
	}
	if statuses[0] != openai.BatchStatusInProgress || statuses[1] != openai.BatchStatusCompleted {
		t.Fatalf("statuses over two polls = %v, want in_progress then completed", statuses)
	}
	if b.RequestCounts.Completed != 1 || b.RequestCounts.Failed != 2 || b.OutputFileID == "" || b.ErrorFileID == "" {
		t.Fatalf("completed batch = %+v", b)
	}
	read := func(id string) map[string]map[string]any {
		resp, err := c.Files.Content(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out := map[string]map[string]any{}
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			var l map[string]any
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				t.Fatal(err)
			}
			out[l["custom_id"].(string)] = l
		}
		return out
	}
	out, errs := read(b.OutputFileID), read(b.ErrorFileID)
	if resp, _ := out["ok"]["response"].(map[string]any); resp["status_code"] != float64(200) || resp["body"].(map[string]any)["object"] != "chat.completion" {
		t.Errorf("output line = %v, want a 200 chat completion", out["ok"])
	}
	if resp, _ := errs["bad"]["response"].(map[string]any); resp["status_code"] != float64(400) {
		t.Errorf("error line bad = %v, want status 400", errs["bad"])
	}
	if e, _ := errs["wrong-url"]["error"].(map[string]any); e["code"] != "invalid_url" || errs["wrong-url"]["response"] != nil {
		t.Errorf("error line wrong-url = %v, want error invalid_url without a response", errs["wrong-url"])
	}
	if _, err := c.Batches.Cancel(ctx, b.ID); err == nil {
		t.Errorf("cancelling a completed batch succeeded")
	}
}

func TestAnthropicMessageBatchLifecycle(t *testing.T) {
	inst := start(t, Options{APIKey: anKey, Tokens: 3})
	c := anClient(inst, anoption.WithHeader(batchPollsHeader, "1"))
	ctx := t.Context()
	req := func(id, text string) anthropic.MessageBatchNewParamsRequest {
		return anthropic.MessageBatchNewParamsRequest{CustomID: id, Params: anthropic.MessageBatchNewParamsRequestParams{
			Model: "claude-sonnet-4-5", MaxTokens: 64,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(text))}}}
	}
	b, err := c.Messages.Batches.New(ctx, anthropic.MessageBatchNewParams{Requests: []anthropic.MessageBatchNewParamsRequest{
		req("one", "hello"), req("two", "[[mock status=400]]")}})
	if err != nil || b.ProcessingStatus != anthropic.MessageBatchProcessingStatusInProgress || b.RequestCounts.Processing != 2 {
		t.Fatalf("Batches.New = %+v, %v", b, err)
	}
	if b, err = c.Messages.Batches.Get(ctx, b.ID, anthropic.MessageBatchGetParams{}); err != nil || b.ProcessingStatus != "in_progress" {
		t.Fatalf("first poll = %+v, %v; want in_progress", b, err)
	}
	if b, err = c.Messages.Batches.Get(ctx, b.ID, anthropic.MessageBatchGetParams{}); err != nil || b.ProcessingStatus != "ended" ||
		b.RequestCounts.Succeeded != 1 || b.RequestCounts.Errored != 1 || !strings.HasSuffix(b.ResultsURL, "/v1/messages/batches/"+b.ID+"/results") {
		t.Fatalf("second poll = %+v, %v; want ended with one success, one error and a results_url", b, err)
	}
	results := map[string]anthropic.MessageBatchIndividualResponse{}
	stream := c.Messages.Batches.ResultsStreaming(ctx, b.ID, anthropic.MessageBatchResultsParams{})
	for stream.Next() {
		r := stream.Current()
		results[r.CustomID] = r
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if r := results["one"]; r.Result.Type != "succeeded" || r.Result.Message.Content[0].Text == "" || r.Result.Message.Usage.OutputTokens == 0 {
		t.Errorf("result one = %+v, want a succeeded message", r.Result)
	}
	if r := results["two"]; r.Result.Type != "errored" || r.Result.Error.Error.Type != "invalid_request_error" {
		t.Errorf("result two = %+v, want errored invalid_request_error", r.Result)
	}

	// A cancelled batch ends with every request canceled.
	b, err = c.Messages.Batches.New(ctx, anthropic.MessageBatchNewParams{Requests: []anthropic.MessageBatchNewParamsRequest{req("x", "hi")}})
	if err != nil {
		t.Fatal(err)
	}
	if b, err = c.Messages.Batches.Cancel(ctx, b.ID, anthropic.MessageBatchCancelParams{}); err != nil || b.ProcessingStatus != "canceling" || b.CancelInitiatedAt.IsZero() {
		t.Fatalf("Cancel = %+v, %v; want canceling", b, err)
	}
	if b, err = c.Messages.Batches.Get(ctx, b.ID, anthropic.MessageBatchGetParams{}); err != nil || b.ProcessingStatus != "ended" || b.RequestCounts.Canceled != 1 {
		t.Fatalf("poll after cancel = %+v, %v; want ended with one canceled", b, err)
	}

	_, err = c.Messages.Batches.New(ctx, anthropic.MessageBatchNewParams{Requests: []anthropic.MessageBatchNewParamsRequest{req("bad id!", "hi")}})
	if err == nil || !strings.Contains(err.Error(), "custom_id") {
		t.Errorf("a custom_id outside [a-zA-Z0-9_-]: %v, want a 400 naming custom_id", err)
	}
}
