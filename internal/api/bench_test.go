package api

import (
	"testing"

	"github.com/sluicehq/sluice/internal/jsonx"
)

var benchReq = []byte(`{"model":"fast","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Hello! Please answer briefly."}],"temperature":0.2,"max_tokens":64}`)

var benchResp = []byte(`{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I assist you today? I am a fairly short answer of some sixteen tokens.","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":19,"completion_tokens":16,"total_tokens":35,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}},"service_tier":"default","system_fingerprint":"fp_44709d6fcb"}`)

var benchChunk = []byte(`{"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini","system_fingerprint":"fp_44709d6fcb","choices":[{"index":0,"delta":{"content":" token"},"logprobs":null,"finish_reason":null}]}`)

func BenchmarkDecodeChatRequest(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var r ChatRequest
		if err := jsonx.Unmarshal(benchReq, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeChatRequest(b *testing.B) {
	var r ChatRequest
	_ = jsonx.Unmarshal(benchReq, &r)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := jsonx.Marshal(&r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeChatResponse(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		var r ChatResponse
		if err := jsonx.Unmarshal(benchResp, &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeChatResponse(b *testing.B) {
	var r ChatResponse
	_ = jsonx.Unmarshal(benchResp, &r)
	buf := make([]byte, 0, 4096)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = jsonx.AppendMarshal(buf[:0], &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChunkRoundTrip(b *testing.B) {
	var c ChatChunk
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		c = ChatChunk{}
		if err := jsonx.Unmarshal(benchChunk, &c); err != nil {
			b.Fatal(err)
		}
		buf, _ = jsonx.AppendMarshal(buf[:0], &c)
	}
}
