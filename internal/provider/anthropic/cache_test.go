package anthropic

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
)

// TestCacheControlReachesTheBlocksAndTools: the marks the gateway takes out of the request
// (api.TakeCacheMarks) come back on the blocks and tools at their positions.
func TestCacheControlReachesTheBlocksAndTools(t *testing.T) {
	req := parseRequest(t, `{"model":"m","messages":[`+
		`{"role":"system","content":[{"type":"text","text":"long rules","cache_control":{"type":"ephemeral"}}]},`+
		`{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral","ttl":"1h"}},{"type":"text","text":"plain"}]}],`+
		`"tools":[{"type":"function","function":{"name":"f"},"cache_control":{"type":"ephemeral"}}]}`)
	ctx := api.WithCacheMarks(context.Background(), api.TakeCacheMarks(req))
	if len(req.Messages[1].Content.Parts[0].Extra) != 0 || len(req.Tools[0].Extra) != 0 {
		t.Fatalf("TakeCacheMarks left cache_control in the request, where other providers would see it")
	}
	r, err := Adapter{}.NewChatRequest(ctx, testTarget(), req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if got := jsonString(body["system"]); got != `[{"cache_control":{"type":"ephemeral"},"text":"long rules","type":"text"}]` {
		t.Errorf("system = %s, want one block with its cache_control (not a plain string)", got)
	}
	msgs := body["messages"].([]any)
	if got := jsonString(msgs[0].(map[string]any)["content"]); got != `[{"cache_control":{"ttl":"1h","type":"ephemeral"},"text":"hi","type":"text"},{"text":"plain","type":"text"}]` {
		t.Errorf("user content = %s, want the mark on the first block only", got)
	}
	if got := jsonString(body["tools"].([]any)[0].(map[string]any)["cache_control"]); got != `{"type":"ephemeral"}` {
		t.Errorf("tool cache_control = %s", got)
	}
}

func TestForwardedBetaHeaderReachesAnthropic(t *testing.T) {
	ctx := provider.WithForwardedHeaders(context.Background(), http.Header{"Anthropic-Beta": {"prompt-caching-2024-07-31", "extended-cache-ttl-2025-04-11"}})
	r, err := Adapter{}.NewChatRequest(ctx, testTarget(), parseRequest(t, `{"model":"m",`+hello+`}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Header.Values("Anthropic-Beta"), ","); got != "prompt-caching-2024-07-31,extended-cache-ttl-2025-04-11" {
		t.Errorf("anthropic-beta = %q, want both client values", got)
	}
}

// jsonString renders a decoded value with sorted keys, for compact comparisons.
func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
