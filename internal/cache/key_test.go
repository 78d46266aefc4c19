package cache

import (
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

func decodeReq(t *testing.T, body string) *api.ChatRequest {
	t.Helper()
	var r api.ChatRequest
	if err := jsonx.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	return &r
}

func mustKey(t *testing.T, ns, route, body string) string {
	t.Helper()
	k, err := Key(ns, route, decodeReq(t, body))
	if err != nil {
		t.Fatalf("Key(%s): %v", body, err)
	}
	return k
}

const baseReq = `{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5}`

func TestKeyIgnoresWhatCannotChangeTheAnswer(t *testing.T) {
	base := mustKey(t, "team:a", "fast", baseReq)
	same := []string{
		`{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"stream":true,"stream_options":{"include_usage":true}}`,
		`{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"user":"u-42"}`,
		`{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"metadata":{"a":"b"},"store":true}`,
		`{"temperature":0.5,"messages":[{"content":"hi","role":"user"}],"model":"fast"}`,
		`{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":5e-1}`,
		`{"model":"other-name-same-route","messages":[{"role":"user","content":"hi"}],"temperature":0.5}`,
	}
	for _, body := range same {
		if got := mustKey(t, "team:a", "fast", body); got != base {
			t.Errorf("Key(%s) = %s, want the key of %s (%s)", body, got, baseReq, base)
		}
	}
}

func TestKeyChangesWithWhatChangesTheAnswer(t *testing.T) {
	base := mustKey(t, "team:a", "fast", baseReq)
	differ := map[string]string{
		"message":         `{"model":"fast","messages":[{"role":"user","content":"hello"}],"temperature":0.5}`,
		"role":            `{"model":"fast","messages":[{"role":"system","content":"hi"}],"temperature":0.5}`,
		"temperature":     `{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.7}`,
		"top_p":           `{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"top_p":0.9}`,
		"n":               `{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"n":2}`,
		"seed":            `{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"seed":7}`,
		"stop":            `{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"stop":["x"]}`,
		"max_tokens":      `{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"max_tokens":9}`,
		"response_format": `{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"response_format":{"type":"json_object"}}`,
		"tools":           `{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"tools":[{"type":"function","function":{"name":"f"}}]}`,
		"tool_choice":     `{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"tool_choice":"none"}`,
		"logit_bias":      `{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"logit_bias":{"50256":-100}}`,
		"unknown param":   `{"model":"fast","messages":[{"role":"user","content":"hi"}],"temperature":0.5,"reasoning_effort":"high"}`,
	}
	seen := map[string]string{base: "base"}
	for name, body := range differ {
		k := mustKey(t, "team:a", "fast", body)
		if prev, dup := seen[k]; dup {
			t.Errorf("Key with a different %s = %s, same as %s", name, k, prev)
		}
		seen[k] = name
	}
	if k := mustKey(t, "team:a", "smart", baseReq); k == base {
		t.Errorf("Key on another route = %s, same as on fast", k)
	}
	if k := mustKey(t, "team:b", "fast", baseReq); k == base {
		t.Errorf("Key in namespace team:b = %s, same as in team:a", k)
	}
}

func TestScopeIgnoresOnlyTheLastMessage(t *testing.T) {
	scope := func(body string) string {
		s, err := Scope("team:a", "fast", decodeReq(t, body))
		if err != nil {
			t.Fatalf("Scope(%s): %v", body, err)
		}
		return s
	}
	a := scope(`{"model":"fast","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"capital of France?"}]}`)
	b := scope(`{"model":"fast","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"France's capital?"}]}`)
	c := scope(`{"model":"fast","messages":[{"role":"system","content":"be verbose"},{"role":"user","content":"capital of France?"}]}`)
	if a != b {
		t.Errorf("Scope differs for requests differing only in the last message: %s vs %s", a, b)
	}
	if a == c {
		t.Errorf("Scope equal for different system prompts: %s", a)
	}
}

func BenchmarkKey(b *testing.B) {
	req := &api.ChatRequest{}
	if err := jsonx.Unmarshal([]byte(`{"model":"fast","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"What is the capital of France? Answer in one word."}],"temperature":0.2,"max_tokens":64}`), req); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Key("team:t1", "fast", req); err != nil {
			b.Fatal(err)
		}
	}
}
