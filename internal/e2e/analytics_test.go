package e2e

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// TestRefusedAndMediaRequestsAreLogged: a request refused before routing (bad key, bad
// JSON, a body over the limit) and an image generation each leave a record with their
// status and error, and the body's "user" field is recorded as a tag.
func TestRefusedAndMediaRequestsAreLogged(t *testing.T) {
	db := filepath.Join(t.TempDir(), "logs.db")
	g := start(t, defaultConfig+"\nstore:\n  path: "+db+"\n", time.Minute)
	ctx := context.Background()
	client := g.client()
	params := userMsg("hello")
	params.User = openai.String("end-user-7")
	if _, err := client.Chat.Completions.New(ctx, params); err != nil {
		t.Fatal(err)
	}
	bad := g.client(option.WithAPIKey("sk-wrong"))
	if _, err := bad.Chat.Completions.New(ctx, userMsg("hi")); apiError(t, err).StatusCode != 401 {
		t.Fatalf("want a 401 for a wrong key")
	}
	resp, err := post(g.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":`))
	if err != nil || resp.StatusCode != 400 {
		t.Fatalf("malformed JSON: %v %v, want 400", resp, err)
	}
	resp.Body.Close()
	resp, err = post(g.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"model":"fast","x":"`+strings.Repeat("a", 70<<10)+`"}`))
	if err != nil || resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %v %v, want 413", resp, err)
	}
	resp.Body.Close()
	if _, err := client.Images.Generate(ctx, openai.ImageGenerateParams{Model: "mock/gpt-image-1", Prompt: "a lighthouse"}); err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get(g.URL + "/no/such/path")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	g.stop(t)

	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.ListRequestLogs(ctx, store.RequestLogFilter{}, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range page.Items {
		got = append(got, l.ErrorCode)
		if l.ID == "" || l.LatencyMs < 0 {
			t.Errorf("record without id or latency: %+v", l)
		}
	}
	if len(page.Items) != 5 {
		t.Fatalf("got %d records (error codes %q), want 5: chat, 401, 400, 413, image; no record for the unknown path", len(page.Items), got)
	}
	chat, unauth, malformed, tooBig, image := page.Items[0], page.Items[1], page.Items[2], page.Items[3], page.Items[4]
	if chat.Status != 200 || chat.Metadata["user"] != "end-user-7" {
		t.Errorf("chat record = %+v, want status 200 and metadata user=end-user-7", chat)
	}
	if unauth.Status != 401 || unauth.ErrorType == "" || unauth.KeyID != "" {
		t.Errorf("unauthenticated record = %+v, want 401 with an error type", unauth)
	}
	if malformed.Status != 400 || malformed.ErrorType != "invalid_request_error" {
		t.Errorf("malformed-JSON record = %+v, want 400 invalid_request_error", malformed)
	}
	if tooBig.Status != 413 {
		t.Errorf("oversized record = %+v, want 413", tooBig)
	}
	if image.Status != 200 || image.ErrorType != "" {
		t.Errorf("image record = %+v, want 200", image)
	}
}

// TestAnalyticsAPI: usage by model and metadata tag, by day, top N, and latency percentiles
// per model, over requests made through the gateway.
func TestAnalyticsAPI(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	for i, app := range []string{"billing", "billing", "search"} {
		params := userMsg("hello")
		if i == 2 {
			params.Model = "mock/gpt-4o-mini"
		}
		if _, err := client.Chat.Completions.New(ctx, params, option.WithHeader("X-Sluice-Metadata", `{"app":"`+app+`"}`)); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = client.Chat.Completions.New(ctx, userMsg("[[mock status=400]]"), option.WithHeader("X-Sluice-Metadata", `{"app":"billing"}`))
	waitFor(t, "4 requests in the log", func() bool {
		_, out := adminCall(t, g, clientKey, "GET", "/admin/v1/logs", nil)
		data, _ := out["data"].([]any)
		return len(data) == 4
	})
	out := mustAdmin(t, g, clientKey, "GET", "/admin/v1/analytics/usage?group_by=metadata.app&order_by=requests", nil, 200)
	data := out["data"].([]any)
	first := data[0].(map[string]any)
	if len(data) != 2 || first["group"].(map[string]any)["metadata.app"] != "billing" || first["requests"] != 3.0 ||
		first["errors"] != 1.0 || first["error_rate"].(float64) < 0.33 || first["error_rate"].(float64) > 0.34 {
		t.Errorf("usage by metadata.app = %v, want billing first with 3 requests, 1 error", data)
	}
	out = mustAdmin(t, g, clientKey, "GET", "/admin/v1/analytics/usage?group_by=model&bucket=day&top=1&metadata.app=billing", nil, 200)
	data = out["data"].([]any)
	if len(data) != 1 || data[0].(map[string]any)["group"].(map[string]any)["model"] != "fast" || data[0].(map[string]any)["bucket"] == nil {
		t.Errorf("top 1 model by day among app=billing = %v, want fast with a bucket", data)
	}
	out = mustAdmin(t, g, clientKey, "GET", "/admin/v1/analytics/latency", nil, 200)
	data = out["data"].([]any)
	if len(data) != 2 || data[0].(map[string]any)["model"] != "fast" || data[0].(map[string]any)["requests"] != 3.0 {
		t.Errorf("latency per model = %v, want fast (3 requests) and mock/gpt-4o-mini", data)
	}
	resp, err := http.Get(g.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		`sluice_upstream_responses_total{provider="mock",status="200"} 3`,
		`sluice_upstream_responses_total{provider="mock",status="400"} 1`,
		`sluice_requests_in_flight 0`,
		`sluice_request_log_queue_depth 0`,
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if status, out := adminCall(t, g, clientKey, "GET", "/admin/v1/analytics/usage?group_by=password", nil); status != 400 ||
		!strings.Contains(out["error"].(map[string]any)["message"].(string), "dimension") {
		t.Errorf("unknown dimension: %d %v, want a 400 naming the dimension", status, out)
	}
}
