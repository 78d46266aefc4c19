package mockllm

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"

	"google.golang.org/genai"
)

// Gemini's Batch Mode, checked with the official Go SDK's Batches client.

func gmBatchClient(t *testing.T, inst *Instance, polls string) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey:  gmTestKey,
		Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: inst.URL(), APIVersion: "v1beta",
			Headers: http.Header{batchPollsHeader: {polls}}},
		HTTPClient: &http.Client{},
	})
	if err != nil {
		t.Fatalf("genai.NewClient: %v", err)
	}
	return c
}

const gmTestKey = "gm-batch-key"

func gmInline(key, text string) *genai.InlinedRequest {
	return &genai.InlinedRequest{Contents: genai.Text(text), Metadata: map[string]string{"key": key}}
}

func TestGeminiBatchRunsInlinedRequestsAndReleasesThemAfterThePolls(t *testing.T) {
	inst := start(t, Options{APIKey: gmTestKey, Tokens: 3})
	c := gmBatchClient(t, inst, "1")
	ctx := t.Context()
	src := &genai.BatchJobSource{InlinedRequests: []*genai.InlinedRequest{gmInline("one", "hello"), gmInline("two", "[[mock status=400]]")}}
	job, err := c.Batches.Create(ctx, gmTestModel, src, &genai.CreateBatchJobConfig{DisplayName: "nightly"})
	if err != nil || !strings.HasPrefix(job.Name, "batches/") || job.State != genai.JobStatePending ||
		job.DisplayName != "nightly" || job.Model != "models/"+gmTestModel {
		t.Fatalf("Batches.Create = %+v, %v; want a pending batches/... job", job, err)
	}
	if job, err = c.Batches.Get(ctx, job.Name, nil); err != nil || job.State != genai.JobStateRunning || job.Dest != nil {
		t.Fatalf("first Get = %+v, %v; want running without output", job, err)
	}
	if job, err = c.Batches.Get(ctx, job.Name, nil); err != nil || job.State != genai.JobStateSucceeded || job.Dest == nil {
		t.Fatalf("second Get = %+v, %v; want succeeded with output", job, err)
	}
	got := job.Dest.InlinedResponses
	if len(got) != 2 {
		t.Fatalf("inlined responses = %d, want 2 in request order", len(got))
	}
	if r := got[0]; r.Metadata["key"] != "one" || r.Error != nil || r.Response == nil || r.Response.Text() == "" ||
		r.Response.UsageMetadata == nil || r.Response.UsageMetadata.CandidatesTokenCount == 0 {
		t.Errorf("response one = %+v, want a GenerateContentResponse with usage and the request's metadata", r)
	}
	if r := got[1]; r.Metadata["key"] != "two" || r.Response != nil || r.Error == nil || r.Error.Code == nil ||
		*r.Error.Code != 3 || r.Error.Message == "" {
		t.Errorf("response two = %+v, want a google.rpc.Status with code 3 (INVALID_ARGUMENT)", r)
	}

	// Cancelled before it ends: the next Get finds it cancelled, without output.
	job, err = c.Batches.Create(ctx, gmTestModel, &genai.BatchJobSource{InlinedRequests: []*genai.InlinedRequest{gmInline("x", "hi")}},
		&genai.CreateBatchJobConfig{DisplayName: "to cancel"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Batches.Cancel(ctx, job.Name, nil); err != nil {
		t.Fatalf("Batches.Cancel: %v", err)
	}
	if job, err = c.Batches.Get(ctx, job.Name, nil); err != nil || job.State != genai.JobStateCancelled || job.Dest != nil {
		t.Fatalf("Get after cancel = %+v, %v; want cancelled without output", job, err)
	}

	if _, err := c.Batches.Get(ctx, "batches/nope", nil); apiErr(t, err).Code != 404 {
		t.Errorf("Get of an unknown batch: %v, want 404", err)
	}
}

// The REST API takes snake_case member names too, and refuses a batch without its required
// display name.
func TestGeminiBatchAcceptsSnakeCaseAndRequiresADisplayName(t *testing.T) {
	inst := start(t, Options{})
	post := func(body string) (int, string) {
		resp, err := http.Post(inst.URL()+"/v1beta/models/"+gmTestModel+":batchGenerateContent", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	status, body := post(`{"batch":{"display_name":"s","input_config":{"requests":{"requests":[` +
		`{"request":{"contents":[{"role":"user","parts":[{"text":"hi"}]}]},"metadata":{"key":"k"}}]}}}}`)
	if status != 200 || !strings.Contains(body, `"name":"batches/`) || !strings.Contains(body, `"state":"BATCH_STATE_PENDING"`) {
		t.Errorf("snake_case create = %d %s, want the pending Operation", status, body)
	}
	status, body = post(`{"batch":{"inputConfig":{"requests":{"requests":[{"request":{"contents":[{"parts":[{"text":"hi"}]}]}}]}}}}`)
	if status != 400 || !strings.Contains(body, "INVALID_ARGUMENT") || !strings.Contains(body, "display_name") {
		t.Errorf("create without displayName = %d %s, want 400 INVALID_ARGUMENT naming display_name", status, body)
	}
}
