// Package providertest runs an adapter against golden translation cases: txtar files under a
// provider's testdata/ that hold the client's OpenAI-shaped request, the exact upstream
// request expected, the upstream's answer, and the OpenAI-shaped answer expected back. Every
// adapter package's tests use it, so all adapters are held to one standard. Test-only.
//
// Sections of a case file (those a case does not need are omitted):
//
//	openai.request.json    the client's request body
//	upstream.request.json  {"method","url","headers":{...},"body":...} — headers listed must match
//	upstream.response.json {"status","headers":{...},"body":...} — a non-streaming answer
//	upstream.stream        raw bytes of a streaming answer (status 200)
//	openai.response.json   the expected answer: a completion, or {"status","error":{...}} for errors
//	openai.stream          the expected SSE the client receives
package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

var update = flag.Bool("update", false, "rewrite the expected sections of golden cases")

// RunChatCases runs every testdata/chat/*.txtar case of dir against target's adapter.
func RunChatCases(t *testing.T, dir string, target *provider.Target) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases in %s (%v)", dir, err)
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".txtar")
		t.Run(name, func(t *testing.T) { runCase(t, file, target) })
	}
}

// UpstreamRequest is the expected shape of the HTTP request an adapter builds.
type UpstreamRequest struct {
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

// UpstreamResponse is a recorded provider answer.
type UpstreamResponse struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers"`
	Body    json.RawMessage   `json:"body"`
}

func runCase(t *testing.T, file string, target *provider.Target) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string][]byte{}
	for _, f := range ar.Files {
		sections[f.Name] = f.Data
	}
	var req api.ChatRequest
	if err := jsonx.Unmarshal(sections["openai.request.json"], &req); err != nil {
		t.Fatalf("openai.request.json: %v", err)
	}
	httpReq, err := target.Adapter.NewChatRequest(context.Background(), target, &req)
	if err != nil {
		t.Fatalf("NewChatRequest: %v", err)
	}
	gotReq := describeRequest(t, httpReq, sections["upstream.request.json"])
	check(t, ar, "upstream.request.json", gotReq)

	switch {
	case sections["upstream.stream"] != nil:
		resp := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}},
			Body: io.NopCloser(bytes.NewReader(sections["upstream.stream"])), Request: httpReq}
		check(t, ar, "openai.stream", relay(t, target.Adapter, resp))
	case sections["upstream.response.json"] != nil:
		var up UpstreamResponse
		if err := json.Unmarshal(sections["upstream.response.json"], &up); err != nil {
			t.Fatalf("upstream.response.json: %v", err)
		}
		resp := &http.Response{StatusCode: up.Status, Header: http.Header{}, Body: io.NopCloser(bytes.NewReader(up.Body)), Request: httpReq}
		for k, v := range up.Headers {
			resp.Header.Set(k, v)
		}
		check(t, ar, "openai.response.json", decode(t, target.Adapter, resp))
	}
	if *update {
		if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// describeRequest renders the request as UpstreamRequest, keeping only the headers the
// expectation names (plus all of them when updating), so incidental headers don't churn cases.
func describeRequest(t *testing.T, r *http.Request, want []byte) []byte {
	var exp UpstreamRequest
	_ = json.Unmarshal(want, &exp)
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Fatal(err)
	}
	got := UpstreamRequest{Method: r.Method, URL: r.URL.String(), Headers: map[string]string{}, Body: body}
	for k := range r.Header {
		if _, named := exp.Headers[k]; named || *update || exp.Headers == nil {
			got.Headers[k] = r.Header.Get(k)
		}
	}
	for k := range exp.Headers {
		if _, ok := got.Headers[http.CanonicalHeaderKey(k)]; !ok && r.Header.Get(k) == "" {
			got.Headers[k] = "<missing>"
		}
	}
	out, err := json.Marshal(got)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func decode(t *testing.T, a provider.Adapter, resp *http.Response) []byte {
	if resp.StatusCode/100 != 2 {
		e := a.DecodeError(resp)
		var body map[string]json.RawMessage
		if err := json.Unmarshal(e.AppendJSON(nil), &body); err != nil {
			t.Fatal(err)
		}
		return mustJSON(t, map[string]any{"status": e.Status, "retryable": e.Retryable,
			"retry_after_seconds": e.RetryAfter.Seconds(), "error": body["error"]})
	}
	out, err := a.DecodeChatResponse(resp)
	if err != nil {
		return mustJSON(t, map[string]any{"decode_error": api.AsError(err).Code})
	}
	b, err := jsonx.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// relay decodes a stream the way the gateway relays it: a data event per chunk, then [DONE]
// at a clean end or an error event when the stream fails.
func relay(t *testing.T, a provider.Adapter, resp *http.Response) []byte {
	s, err := a.DecodeChatStream(resp)
	if err != nil {
		t.Fatalf("DecodeChatStream: %v", err)
	}
	defer s.Close()
	var out bytes.Buffer
	for {
		c, err := s.Next()
		if errors.Is(err, io.EOF) {
			out.WriteString("data: [DONE]\n\n")
			return out.Bytes()
		}
		if err != nil {
			fmt.Fprintf(&out, "data: %s\n\n", api.AsError(err).AppendJSON(nil))
			return out.Bytes()
		}
		b, err := jsonx.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "data: %s\n\n", b)
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// check compares got with a section semantically (JSON) or per SSE event, or rewrites it.
func check(t *testing.T, ar *txtar.Archive, name string, got []byte) {
	t.Helper()
	idx := -1
	for i, f := range ar.Files {
		if f.Name == name {
			idx = i
		}
	}
	if *update {
		pretty := prettySection(name, got)
		if idx < 0 {
			ar.Files = append(ar.Files, txtar.File{Name: name, Data: pretty})
		} else {
			ar.Files[idx].Data = pretty
		}
		return
	}
	if idx < 0 {
		t.Fatalf("case has no %s section; run with -update to create it", name)
	}
	want := ar.Files[idx].Data
	if strings.HasSuffix(name, ".stream") {
		gotEv, wantEv := events(got), events(want)
		if len(gotEv) != len(wantEv) {
			t.Fatalf("%s: got %d events, want %d\ngot:\n%s", name, len(gotEv), len(wantEv), got)
		}
		for i := range gotEv {
			if !sameJSON(gotEv[i], wantEv[i]) {
				t.Errorf("%s event %d:\n got  %s\n want %s", name, i, gotEv[i], wantEv[i])
			}
		}
		return
	}
	if !sameJSON(got, want) {
		t.Errorf("%s:\n got  %s\n want %s", name, compact(got), compact(want))
	}
}

func events(b []byte) [][]byte {
	var out [][]byte
	for _, ev := range bytes.Split(b, []byte("\n\n")) {
		if d, ok := bytes.CutPrefix(bytes.TrimSpace(ev), []byte("data: ")); ok {
			out = append(out, d)
		}
	}
	return out
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(bytes.TrimSpace(a), bytes.TrimSpace(b))
	}
	return reflect.DeepEqual(x, y)
}

func compact(b []byte) string {
	var buf bytes.Buffer
	if json.Compact(&buf, b) != nil {
		return string(b)
	}
	return buf.String()
}

func prettySection(name string, b []byte) []byte {
	if strings.HasSuffix(name, ".stream") {
		return b
	}
	var v any
	if json.Unmarshal(b, &v) != nil {
		return b
	}
	out, _ := json.MarshalIndent(v, "", "  ") // map keys come out sorted, so rewrites are stable
	return append(out, '\n')
}
