package api

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/jsonx"
)

// roundTrip decodes in, re-encodes it, and reports whether the JSON meaning survived.
func roundTrip(t *testing.T, in string, v any) string {
	t.Helper()
	if err := jsonx.Unmarshal([]byte(in), v); err != nil {
		t.Fatalf("Unmarshal(%s): %v", in, err)
	}
	out, err := jsonx.Marshal(v)
	if err != nil {
		t.Fatalf("Marshal: %v", err)
	}
	return string(out)
}

func sameJSON(a, b string) bool {
	var x, y any
	return json.Unmarshal([]byte(a), &x) == nil && json.Unmarshal([]byte(b), &y) == nil && reflect.DeepEqual(x, y)
}

func TestChatRequestRoundTripKeepsEverything(t *testing.T) {
	for _, in := range []string{
		`{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAA","detail":"high"}},{"type":"input_audio","input_audio":{"data":"x","format":"wav"}}]}]}`,
		`{"model":"m","messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c1","content":"ok"}]}`,
		`{"model":"m","messages":[{"role":"user","content":"","name":"bob","x_vendor":{"a":[1,2]}}],"prediction":{"type":"content","content":"p"},"modalities":["text"],"logit_bias":{"50256":-100},"metadata":{"k":"v"},"store":false,"n":2,"seed":0,"temperature":0,"response_format":{"type":"json_schema","json_schema":{"name":"s","schema":{"type":"object"}}}}`,
	} {
		if out := roundTrip(t, in, &ChatRequest{}); !sameJSON(in, out) {
			t.Errorf("round trip changed the request:\n in  %s\n out %s", in, out)
		}
	}
}

func TestContentForms(t *testing.T) {
	for _, tc := range []struct {
		in      string
		text    string
		isArray bool
		isNull  bool
	}{
		{`"hello"`, "hello", false, false},
		{`""`, "", false, false},
		{`null`, "", false, true},
		{`[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"u"}},{"type":"text","text":"b"}]`, "ab", true, false},
		{`[]`, "", true, false},
	} {
		var c Content
		if err := jsonx.Unmarshal([]byte(tc.in), &c); err != nil {
			t.Fatalf("UnmarshalJSON(%s): %v", tc.in, err)
		}
		if c.String() != tc.text || c.IsArray() != tc.isArray || c.IsZero() != tc.isNull {
			t.Errorf("%s: text=%q array=%v null=%v", tc.in, c.String(), c.IsArray(), c.IsZero())
		}
		out, _ := jsonx.Marshal(c)
		if !sameJSON(string(out), tc.in) {
			t.Errorf("%s re-encoded as %s", tc.in, out)
		}
	}
	var c Content
	if err := jsonx.Unmarshal([]byte(`42`), &c); err == nil {
		t.Errorf("content 42 accepted")
	}
}

func TestStopAcceptsStringOrArray(t *testing.T) {
	for in, want := range map[string][]string{`"x"`: {"x"}, `["a","b"]`: {"a", "b"}, `null`: nil} {
		var s StringList
		if err := jsonx.Unmarshal([]byte(in), &s); err != nil || !reflect.DeepEqual([]string(s), want) {
			t.Errorf("stop %s = %v, %v; want %v", in, s, err, want)
		}
	}
	var s StringList
	if err := jsonx.Unmarshal([]byte(`{"a":1}`), &s); err == nil {
		t.Errorf("stop object accepted")
	}
}

func TestDecodeRejectsAmbiguousJSON(t *testing.T) {
	for _, in := range []string{
		`{"model":"a","model":"b","messages":[]}`, // duplicate keys: which model would be billed?
		"{\"model\":\"\xff\",\"messages\":[]}",    // invalid UTF-8
	} {
		var r ChatRequest
		if err := jsonx.Unmarshal([]byte(in), &r); err == nil {
			t.Errorf("accepted %q", in)
		}
	}
}

func TestErrorJSONShape(t *testing.T) {
	e := Errorf("model_not_found", `The model "x\n" is unknown`)
	e.Param = "model"
	var got map[string]map[string]any
	if err := json.Unmarshal(e.AppendJSON(nil), &got); err != nil {
		t.Fatalf("AppendJSON is not JSON: %v", err)
	}
	want := map[string]any{"message": `The model "x\n" is unknown`, "type": "invalid_request_error", "param": "model", "code": "model_not_found"}
	if !reflect.DeepEqual(got["error"], want) || e.Status != 404 {
		t.Errorf("error = %v (status %d), want %v (404)", got, e.Status, want)
	}
}

func TestEveryCodeIsDocumented(t *testing.T) {
	for _, c := range Codes {
		if c.Status < 400 || c.Type == "" || !strings.HasSuffix(c.Doc, ".") {
			t.Errorf("code %q: status %d type %q doc %q", c.Code, c.Status, c.Type, c.Doc)
		}
	}
}

func TestUpstreamStatus(t *testing.T) {
	for in, want := range map[int]int{400: 400, 401: 502, 403: 502, 404: 404, 408: 504, 413: 413, 422: 422, 424: 502, 429: 429,
		500: 502, 502: 502, 503: 503, 504: 504, 529: 503} {
		if got := UpstreamStatus(in); got != want {
			t.Errorf("UpstreamStatus(%d) = %d, want %d", in, got, want)
		}
	}
}

// FuzzDecodeChatRequest: whatever a client sends, decoding returns a value or an error and
// never panics, and what decodes re-encodes to JSON that decodes the same way.
func FuzzDecodeChatRequest(f *testing.F) {
	f.Add(`{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true}`)
	f.Add(`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"a"}]}],"stop":"x","tools":[{"type":"function","function":{"name":"f"}}]}`)
	f.Add(`{"model":"m","messages":[{"role":"assistant","content":null}],"stop":["a","b"],"x":{"y":[1,2,{}]}}`)
	f.Fuzz(func(t *testing.T, in string) {
		var r ChatRequest
		if jsonx.Unmarshal([]byte(in), &r) != nil {
			return
		}
		_ = r.Validate()
		out, err := jsonx.Marshal(&r)
		if err != nil {
			t.Fatalf("decoded %q but cannot re-encode: %v", in, err)
		}
		var again ChatRequest
		if err := jsonx.Unmarshal(out, &again); err != nil {
			t.Fatalf("re-encoded form %s does not decode: %v", out, err)
		}
		out2, _ := jsonx.Marshal(&again)
		if !sameJSON(string(out), string(out2)) {
			t.Fatalf("encoding not stable:\n%s\n%s", out, out2)
		}
	})
}

// TestREADMEErrorTableMatchesCodes keeps the README's error table generated from Codes.
func TestREADMEErrorTableMatchesCodes(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Codes {
		row := fmt.Sprintf("| `%s` | %d | `%s` | %s |", c.Code, c.Status, c.Type, c.Doc)
		if !strings.Contains(string(readme), row) {
			t.Errorf("README lacks the row\n%s", row)
		}
	}
}
