package responses

import (
	"testing"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

var benchRequest = []byte(`{"model":"fast","instructions":"Be brief.","stream":true,"input":[
{"role":"user","content":"Weather in Paris?"},
{"type":"function_call","call_id":"call_1","name":"get_weather","arguments":"{\"city\":\"Paris\"}"},
{"type":"function_call_output","call_id":"call_1","output":"18C"}],
"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]}`)

// BenchmarkDecodeAndTranslate is the request side of POST /v1/responses: decode the body and
// build the chat request.
func BenchmarkDecodeAndTranslate(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var in Request
		if err := jsonx.Unmarshal(benchRequest, &in); err != nil {
			b.Fatal(err)
		}
		if _, err := ToChatRequest(&in, in.Input); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkStreamTextDelta is the per-chunk cost of a streamed answer: one text chunk in, one
// response.output_text.delta event out.
func BenchmarkStreamTextDelta(b *testing.B) {
	text := "Hello, world"
	chunk := &api.ChatChunk{ID: "c", Model: "gpt-4o-mini", Choices: []api.ChunkChoice{{Delta: api.Delta{Content: &text}}}}
	enc := NewStreamEncoder(NewResponse(&Request{Model: "fast"}, "resp_bench", 1))
	buf, err := enc.AppendChunk(nil, chunk) // opens the message item
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		enc.text = enc.text[:0] // keep the accumulated text from growing across iterations
		if buf, err = enc.AppendChunk(buf[:0], chunk); err != nil {
			b.Fatal(err)
		}
	}
}

// FuzzRequest feeds arbitrary bodies through decoding and translation: either may refuse,
// neither may panic.
func FuzzRequest(f *testing.F) {
	f.Add(benchRequest)
	f.Add([]byte(`{"model":"m","input":"hi"}`))
	f.Add([]byte(`{"model":"m","input":[{"type":"function_call_output","call_id":"x","output":[{"type":"input_text","text":"a"}]}],"tool_choice":{"type":"function","name":"f"},"text":{"format":{"type":"json_schema","name":"n","schema":{}}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var in Request
		if jsonx.Unmarshal(body, &in) != nil {
			return
		}
		_, _ = ToChatRequest(&in, in.Input)
	})
}
