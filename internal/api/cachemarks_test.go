package api

import (
	"context"
	"testing"

	"github.com/sluicehq/sluice/internal/jsonx"
)

func TestTakeCacheMarksMovesOnlyLoneCacheControl(t *testing.T) {
	var req ChatRequest
	if err := jsonx.Unmarshal([]byte(`{"model":"m","messages":[{"role":"user","content":[`+
		`{"type":"text","text":"a","cache_control":{"type":"ephemeral"}},`+
		`{"type":"text","text":"b","cache_control":{"type":"ephemeral"},"other":1},`+
		`{"type":"text","text":"c"}]}],"tools":[{"type":"function","function":{"name":"f"}},{"type":"function","function":{"name":"g"},"cache_control":{"type":"ephemeral"}}]}`), &req); err != nil {
		t.Fatal(err)
	}
	m := TakeCacheMarks(&req)
	if got := string(m.Part(0, 0)); got != `{"type":"ephemeral"}` {
		t.Errorf("Part(0,0) = %s, want the mark", got)
	}
	if m.Part(0, 1) != nil || len(req.Messages[0].Content.Parts[1].Extra) == 0 {
		t.Errorf("a part with other extra members was changed")
	}
	if len(req.Messages[0].Content.Parts[0].Extra) != 0 || len(req.Tools[1].Extra) != 0 {
		t.Errorf("marks left in the request")
	}
	if m.Tool(0) != nil || string(m.Tool(1)) != `{"type":"ephemeral"}` {
		t.Errorf("tools: %s %s", m.Tool(0), m.Tool(1))
	}
	if got := CacheMarksFrom(WithCacheMarks(context.Background(), m)); got != m {
		t.Errorf("CacheMarksFrom did not return the marks")
	}
	var none *CacheMarks
	if none.Part(0, 0) != nil || none.Tool(0) != nil || CacheMarksFrom(context.Background()) != nil {
		t.Errorf("nil marks must read as none")
	}
}
