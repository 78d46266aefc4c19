package responses

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

var update = flag.Bool("update", false, "rewrite the expected sections of golden cases")

// Golden translation cases, one txtar file per case under testdata/. Sections:
//
//	request.json        the client's Responses request
//	history.json        items of the previous responses it continues (optional)
//	chat.request.json   the chat request expected, or {"error":{...}} for a refused request
//	chat.response.json  a provider's chat completion (optional)
//	response.json       the response object expected from it
//	chat.stream         a provider's chat chunks, one JSON per line (optional)
//	events              the Responses events expected from them
//
// The response id is resp_test and created_at 1700000000 in every case.
func TestGoldenTranslation(t *testing.T) {
	files, err := filepath.Glob("testdata/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases (%v)", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) { runGolden(t, file) })
	}
}

func runGolden(t *testing.T, file string) {
	ar, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string][]byte{}
	for _, f := range ar.Files {
		sections[f.Name] = f.Data
	}
	var in Request
	if err := jsonx.Unmarshal(sections["request.json"], &in); err != nil {
		t.Fatalf("decode request.json: %v", err)
	}
	conv := Items{}
	if h, ok := sections["history.json"]; ok {
		if err := jsonx.Unmarshal(h, &conv); err != nil {
			t.Fatalf("decode history.json: %v", err)
		}
	}
	conv = append(conv, in.Input...)
	chatReq, err := ToChatRequest(&in, conv)
	var got []byte
	if err != nil {
		e := api.AsError(err)
		got, _ = json.Marshal(map[string]any{"error": map[string]any{"status": e.Status, "code": e.Code, "param": e.Param, "message": e.Message}})
	} else if got, err = jsonx.Marshal(chatReq); err != nil {
		t.Fatal(err)
	}
	changed := check(t, ar, "chat.request.json", got, sameJSON)

	if body, ok := sections["chat.response.json"]; ok {
		var c api.ChatResponse
		if err := jsonx.Unmarshal(body, &c); err != nil {
			t.Fatalf("decode chat.response.json: %v", err)
		}
		r := NewResponse(&in, "resp_test", 1700000000)
		Complete(r, &c)
		got, err := jsonx.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		changed = check(t, ar, "response.json", got, sameJSON) || changed
	}
	if lines, ok := sections["chat.stream"]; ok {
		enc := NewStreamEncoder(NewResponse(&in, "resp_test", 1700000000))
		var out []byte
		for _, line := range bytes.Split(bytes.TrimSpace(lines), []byte("\n")) {
			if bytes.HasPrefix(line, []byte("FAIL ")) {
				var e api.Error
				if err := json.Unmarshal(line[5:], &e); err != nil {
					t.Fatalf("decode FAIL line: %v", err)
				}
				out = enc.AppendFailure(out, &e)
				continue
			}
			var c api.ChatChunk
			if err := jsonx.Unmarshal(line, &c); err != nil {
				t.Fatalf("decode chunk %s: %v", line, err)
			}
			if out, err = enc.AppendChunk(out, &c); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Contains(lines, []byte("FAIL ")) {
			if out, err = enc.AppendFinish(out); err != nil {
				t.Fatal(err)
			}
		}
		changed = check(t, ar, "events", normalizeEvents(t, out), bytes.Equal) || changed
	}
	if changed && *update {
		if err := os.WriteFile(file, txtar.Format(ar), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// check compares a section with got; with -update it rewrites the section and reports true.
func check(t *testing.T, ar *txtar.Archive, name string, got []byte, same func(a, b []byte) bool) bool {
	t.Helper()
	for i := range ar.Files {
		f := &ar.Files[i]
		if f.Name != name {
			continue
		}
		if same(f.Data, got) {
			return false
		}
		if *update {
			f.Data = pretty(got)
			return true
		}
		t.Errorf("%s:\n got %s\nwant %s", name, got, f.Data)
		return false
	}
	if *update {
		ar.Files = append(ar.Files, txtar.File{Name: name, Data: pretty(got)})
		return true
	}
	t.Errorf("section %s missing; got %s", name, got)
	return false
}

func pretty(b []byte) []byte {
	var buf bytes.Buffer
	if json.Indent(&buf, b, "", "  ") != nil {
		return b
	}
	return append(buf.Bytes(), '\n')
}

func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ax, _ := json.Marshal(x)
	by, _ := json.Marshal(y)
	return bytes.Equal(ax, by)
}

// normalizeEvents rewrites each event's data with sorted keys, so a golden file does not
// depend on member order.
func normalizeEvents(t *testing.T, raw []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	for _, ev := range strings.Split(strings.TrimSpace(string(raw)), "\n\n") {
		name, data, ok := strings.Cut(ev, "\ndata: ")
		if !ok {
			t.Fatalf("malformed event %q", ev)
		}
		var v any
		if err := json.Unmarshal([]byte(data), &v); err != nil {
			t.Fatalf("event %s: data is not JSON: %v", name, err)
		}
		b, _ := json.Marshal(v)
		out.WriteString(name + "\ndata: " + string(b) + "\n\n")
	}
	return out.Bytes()
}
