package e2e

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3/option"

	"github.com/sluicehq/sluice/internal/cli"
)

// TestAnalyticsAnswersFromRollupsLikeTheLog: requests through the gateway land in the
// hourly rollups with their log batch; the usage and latency APIs answer from them when
// they can and say so, give the same totals as the raw log, fall back to the log for tags
// and minute ranges, and `sluice rollups rebuild` recomputes them to the same figures.
func TestAnalyticsAnswersFromRollupsLikeTheLog(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	client := g.client()
	ctx := context.Background()
	for i := range 5 {
		params := userMsg("hello")
		if i%2 == 1 {
			params.Model = "mock/gpt-4o-mini"
		}
		if _, err := client.Chat.Completions.New(ctx, params, option.WithHeader("X-Sluice-Metadata", `{"app":"a"}`)); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = client.Chat.Completions.New(ctx, userMsg("[[mock status=400]]"))
	waitFor(t, "6 requests in the log", func() bool {
		_, out := adminCall(t, g, clientKey, "GET", "/admin/v1/logs", nil)
		data, _ := out["data"].([]any)
		return len(data) == 6
	})
	usage := func(query, wantSource string) []any {
		t.Helper()
		out := mustAdmin(t, g, clientKey, "GET", "/admin/v1/analytics/usage?"+query, nil, 200)
		if out["source"] != wantSource {
			t.Errorf("usage?%s: source %v, want %s", query, out["source"], wantSource)
		}
		return out["data"].([]any)
	}
	for _, q := range []string{"group_by=model,key,status", "group_by=provider,upstream_model&bucket=hour&order_by=cost", "bucket=day"} {
		fromRollup, fromLog := usage(q, "rollup"), usage(q+"&source=log", "log")
		if len(fromRollup) == 0 || !reflect.DeepEqual(fromRollup, fromLog) {
			t.Errorf("usage?%s:\n rollup %v\n log    %v\nwant the same rows", q, fromRollup, fromLog)
		}
	}
	if data := usage("group_by=model&order_by=requests", "rollup"); data[0].(map[string]any)["requests"] != 4.0 {
		t.Errorf("usage by model = %v, want fast first with 4 requests (one failed)", data)
	}
	usage("group_by=metadata.app", "log")
	usage("group_by=model&from="+time.Now().UTC().Truncate(time.Hour).Add(-59*time.Minute).Format(time.RFC3339), "log")
	if status, out := adminCall(t, g, clientKey, "GET", "/admin/v1/analytics/usage?metadata.app=a&source=rollup", nil); status != 400 ||
		!strings.Contains(out["error"].(map[string]any)["message"].(string), "metadata") {
		t.Errorf("source=rollup with a tag filter: %d %v, want a 400 naming metadata", status, out)
	}
	lat := mustAdmin(t, g, clientKey, "GET", "/admin/v1/analytics/latency", nil, 200)
	exact := mustAdmin(t, g, clientKey, "GET", "/admin/v1/analytics/latency?source=log", nil, 200)
	if lat["source"] != "rollup" || exact["source"] != "log" || len(lat["data"].([]any)) != 2 ||
		lat["data"].([]any)[0].(map[string]any)["requests"] != exact["data"].([]any)[0].(map[string]any)["requests"] {
		t.Errorf("latency:\n rollup %v\n log    %v\nwant the same models and counts", lat, exact)
	}

	var out bytes.Buffer
	from := time.Now().UTC().Add(-2 * time.Hour).Format(time.RFC3339)
	args := []string{"rollups", "rebuild", "--from", from, "--url", g.URL, "--key", clientKey}
	if err := cli.Run(ctx, args, &out); err != nil || !strings.Contains(out.String(), "rebuilt") {
		t.Fatalf("sluice rollups rebuild: %v\n%s", err, out.String())
	}
	q := "group_by=model,key,status"
	if fromRollup, fromLog := usage(q, "rollup"), usage(q+"&source=log", "log"); !reflect.DeepEqual(fromRollup, fromLog) {
		t.Errorf("after rebuild usage?%s:\n rollup %v\n log    %v", q, fromRollup, fromLog)
	}
	if err := cli.Run(ctx, []string{"rollups", "rebuild", "--from", "yesterday", "--url", g.URL, "--key", clientKey}, &out); err == nil ||
		!strings.Contains(err.Error(), "--from") {
		t.Errorf("rollups rebuild --from yesterday: %v, want an error naming --from", err)
	}
}
