package e2e

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3/option"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// TestEveryRequestIsLoggedWithUsageAndCost: each request leaves one record with who, what,
// tokens, cost and timing, written asynchronously and flushed on shutdown.
func TestEveryRequestIsLoggedWithUsageAndCost(t *testing.T) {
	db := filepath.Join(t.TempDir(), "logs.db")
	g := start(t, defaultConfig+"\nstore:\n  path: "+db+"\n", time.Minute)
	client := g.client()
	ctx := context.Background()

	var httpResp *http.Response
	params := userMsg("hello")
	params.Model = "mock/gpt-4o-mini"
	resp, err := client.Chat.Completions.New(ctx, params, option.WithHeader("X-Sluice-Metadata", `{"app":"billing"}`),
		option.WithResponseInto(&httpResp))
	if err != nil {
		t.Fatal(err)
	}
	if httpResp.Header.Get("X-Sluice-Cost-Usd") == "" {
		t.Errorf("no x-sluice-cost-usd header for a priced model")
	}
	// A stream's cost is known only at its end, so it comes as an HTTP trailer, read once the
	// body is (plain net/http here: SDKs stop reading at [DONE]).
	streamResp, err := post(g.URL+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"fast","stream":true,"messages":[{"role":"user","content":"[[mock tokens=5]]"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	streamBody, _ := io.ReadAll(streamResp.Body)
	streamResp.Body.Close()
	if !strings.HasSuffix(string(streamBody), "data: [DONE]\n\n") {
		t.Fatalf("stream did not end with [DONE]: %q", streamBody)
	}
	if v, err := strconv.ParseFloat(streamResp.Trailer.Get("X-Sluice-Cost-Usd"), 64); err != nil || v <= 0 {
		t.Errorf("stream trailer x-sluice-cost-usd = %q, want a positive cost", streamResp.Trailer.Get("X-Sluice-Cost-Usd"))
	}
	_, err = client.Chat.Completions.New(ctx, userMsg("[[mock status=400]]"))
	if apiError(t, err).StatusCode != 400 {
		t.Fatalf("want a 400")
	}
	g.stop(t) // a clean stop flushes the queue

	st, err := sqlite.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	page, err := st.ListRequestLogs(ctx, store.RequestLogFilter{}, store.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) != 3 {
		t.Fatalf("got %d request logs, want 3: %+v", len(page.Items), page.Items)
	}
	plain, streamed, failed := page.Items[0], page.Items[1], page.Items[2]
	if plain.Model != "mock/gpt-4o-mini" || plain.Provider != "mock" || plain.UpstreamModel != "gpt-4o-mini" || plain.Status != 200 ||
		plain.PromptTokens != int64(resp.Usage.PromptTokens) || plain.CompletionTokens != 16 || plain.CostMicroUSD <= 0 ||
		plain.Metadata["app"] != "billing" || plain.Attempts != 1 || plain.Stream {
		t.Errorf("non-streaming record = %+v", plain)
	}
	if !streamed.Stream || streamed.CompletionTokens != 5 || streamed.TTFTMs <= 0 || streamed.Route != "fast" || streamed.Status != 200 {
		t.Errorf("streaming record = %+v (the usage Sluice asked for must be logged even though the client did not ask)", streamed)
	}
	if failed.Status != 400 || failed.ErrorType == "" || failed.PromptTokens != 0 {
		t.Errorf("failed record = %+v", failed)
	}
	for _, rec := range page.Items {
		if rec.ID == "" || rec.KeyID != "" || rec.LatencyMs < 0 {
			t.Errorf("record identity = id %q key %q latency %d", rec.ID, rec.KeyID, rec.LatencyMs)
		}
	}
}

// TestCustomRatesChangeTheCost: a discount for one provider account halves its cost against the
// same model through another account.
func TestCustomRatesChangeTheCost(t *testing.T) {
	g := start(t, `
providers:
  list: {type: openai, base_url: "{{MOCK}}/v1", api_key: `+mockKey+`}
  deal: {type: openai, base_url: "{{MOCK}}/v1", api_key: `+mockKey+`}
pricing:
  rates:
    - {provider: deal, model: "gpt-4o*", discount: "50"}
`, time.Minute)
	client := g.client()
	cost := func(model string) float64 {
		var resp *http.Response
		params := userMsg("the same prompt, so the same usage")
		params.Model = model
		if _, err := client.Chat.Completions.New(context.Background(), params, option.WithResponseInto(&resp)); err != nil {
			t.Fatal(err)
		}
		v, err := strconv.ParseFloat(resp.Header.Get("X-Sluice-Cost-Usd"), 64)
		if err != nil || v <= 0 {
			t.Fatalf("%s: x-sluice-cost-usd = %q", model, resp.Header.Get("X-Sluice-Cost-Usd"))
		}
		return v
	}
	list, deal := cost("list/gpt-4o-mini"), cost("deal/gpt-4o-mini")
	if diff := list/2 - deal; diff > 0.000001 || diff < -0.000001 {
		t.Errorf("list price %.6f, discounted %.6f: want half, within a micro-dollar of rounding", list, deal)
	}
}

func TestPrometheusMetrics(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	client := g.client()
	if _, err := client.Chat.Completions.New(context.Background(), userMsg("count me")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(g.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, want := range []string{
		`sluice_requests_total{provider="mock",route="fast",status="200"} 1`,
		`sluice_tokens_total{kind="completion",provider="mock",route="fast"} 16`,
		`sluice_request_log_recorded_total 1`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestRequestLogQueryAndExport(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	client := g.client()
	if _, err := client.Chat.Completions.New(context.Background(), userMsg("one")); err != nil {
		t.Fatal(err)
	}
	_, _ = client.Chat.Completions.New(context.Background(), userMsg("[[mock status=400]]"))
	waitFor(t, "both requests to reach the log", func() bool {
		_, out := adminCall(t, g, clientKey, "GET", "/admin/v1/logs", nil)
		data, _ := out["data"].([]any)
		return len(data) == 2
	})
	out := mustAdmin(t, g, clientKey, "GET", "/admin/v1/logs?status=400", nil, 200)
	if data := out["data"].([]any); len(data) != 1 || data[0].(map[string]any)["status"] != float64(400) {
		t.Fatalf("status filter: %v", data)
	}
	for format, want := range map[string]string{"": "application/x-ndjson", "csv": "text/csv"} {
		req, _ := http.NewRequest("GET", g.URL+"/admin/v1/logs/export?format="+format, nil)
		req.Header.Set("Authorization", "Bearer "+clientKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		lines := strings.Split(strings.TrimSpace(string(body)), "\n")
		wantLines := 2
		if format == "csv" {
			wantLines = 3 // header
		}
		if resp.Header.Get("Content-Type") != want || len(lines) != wantLines {
			t.Errorf("export %q: %s, %d lines:\n%s", format, resp.Header.Get("Content-Type"), len(lines), body)
		}
	}
}
