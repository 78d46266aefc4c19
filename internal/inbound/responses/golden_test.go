package responses

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/inbound/inboundtest"
	"github.com/sluicehq/sluice/internal/jsonx"
)

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
	inboundtest.Run(t, "testdata/*.txtar", runGolden)
}

func runGolden(t *testing.T, c *inboundtest.Case) {
	sections := c.Sections
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
	c.CheckJSON("chat.request.json", inboundtest.Indent(got))

	if body, ok := sections["chat.response.json"]; ok {
		var chat api.ChatResponse
		if err := jsonx.Unmarshal(body, &chat); err != nil {
			t.Fatalf("decode chat.response.json: %v", err)
		}
		r := NewResponse(&in, "resp_test", 1700000000)
		Complete(r, &chat)
		got, err := jsonx.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		c.CheckJSON("response.json", inboundtest.Indent(got))
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
			var chunk api.ChatChunk
			if err := jsonx.Unmarshal(line, &chunk); err != nil {
				t.Fatalf("decode chunk %s: %v", line, err)
			}
			if out, err = enc.AppendChunk(out, &chunk); err != nil {
				t.Fatal(err)
			}
		}
		if !bytes.Contains(lines, []byte("FAIL ")) {
			if out, err = enc.AppendFinish(out); err != nil {
				t.Fatal(err)
			}
		}
		c.CheckBytes("events", normalizeEvents(t, out))
	}
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
