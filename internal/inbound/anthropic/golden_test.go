package anthropic

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

var update = flag.Bool("update", false, "rewrite the expected sections of testdata/*.txtar")

// TestGolden runs every testdata/translate/*.txtar case. A case has any of these sections:
//
//	anthropic.request.json   the client's Messages body
//	openai.request.json      what ToChatRequest makes of it
//	openai.response.json     a provider's answer in OpenAI shape
//	anthropic.response.json  what FromChatResponse makes of it
//	openai.stream            OpenAI chunks, one JSON object per line
//	anthropic.stream         what the StreamEncoder writes for them, byte for byte
//
// JSON is compared semantically; -update rewrites the expected sections.
func TestGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/translate/*.txtar")
	if err != nil || len(files) == 0 {
		t.Fatalf("no cases (%v)", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			sec := map[string][]byte{}
			for _, s := range ar.Files {
				sec[s.Name] = s.Data
			}
			changed := false
			check := func(name string, got []byte, asJSON bool) {
				want, ok := sec[name]
				if !ok && !*update {
					t.Fatalf("%s: missing section %s", f, name)
				}
				same := ok && (asJSON && jsonSame(t, got, want) || !asJSON && bytes.Equal(got, want))
				if same {
					return
				}
				if *update {
					setSection(ar, name, got)
					changed = true
					return
				}
				t.Errorf("%s: %s\ngot:  %s\nwant: %s", f, name, got, want)
			}
			if in, ok := sec["anthropic.request.json"]; ok {
				var req MessagesRequest
				if err := jsonx.Unmarshal(in, &req); err != nil {
					t.Fatalf("decode anthropic.request.json: %v", err)
				}
				out, err := ToChatRequest(&req)
				if err != nil {
					t.Fatalf("ToChatRequest: %v", err)
				}
				check("openai.request.json", marshal(t, out), true)
			}
			if in, ok := sec["openai.response.json"]; ok {
				var resp api.ChatResponse
				if err := jsonx.Unmarshal(in, &resp); err != nil {
					t.Fatalf("decode openai.response.json: %v", err)
				}
				out, err := FromChatResponse(&resp)
				if err != nil {
					t.Fatalf("FromChatResponse: %v", err)
				}
				check("anthropic.response.json", marshal(t, out), true)
			}
			if in, ok := sec["openai.stream"]; ok {
				check("anthropic.stream", encodeStream(t, in), false)
			}
			if changed {
				if err := os.WriteFile(f, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

func encodeStream(t *testing.T, lines []byte) []byte {
	t.Helper()
	enc := NewStreamEncoder("m")
	var out []byte
	for _, line := range bytes.Split(bytes.TrimSpace(lines), []byte("\n")) {
		var c api.ChatChunk
		if err := jsonx.Unmarshal(line, &c); err != nil {
			t.Fatalf("openai.stream line %q: %v", line, err)
		}
		var err error
		if out, err = enc.AppendChunk(out, &c); err != nil {
			t.Fatalf("AppendChunk(%s): %v", line, err)
		}
	}
	out, err := enc.AppendFinish(out)
	if err != nil {
		t.Fatalf("AppendFinish: %v", err)
	}
	return out
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := jsonx.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	return append(pretty.Bytes(), '\n')
}

func jsonSame(t *testing.T, a, b []byte) bool {
	t.Helper()
	return jsonEqual(t, string(a), string(b))
}

func setSection(ar *txtar.Archive, name string, data []byte) {
	for i := range ar.Files {
		if ar.Files[i].Name == name {
			ar.Files[i].Data = data
			return
		}
	}
	ar.Files = append(ar.Files, txtar.File{Name: name, Data: data})
}
