package mockllm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// OpenAI chat streaming: server-sent events, each "data: <chat.completion.chunk JSON>\n\n", ended
// by "data: [DONE]\n\n". Per choice: a first delta with the role and empty content (or the first
// tool call's id and name), content deltas, then an empty delta with finish_reason. With
// stream_options.include_usage, every chunk carries "usage":null and one last chunk has
// "choices":[] and the usage. See https://platform.openai.com/docs/api-reference/chat-streaming.

// oaStream writes chunks into one reused buffer: the envelope (id, object, created, model, ...) is
// encoded once per stream, and each chunk appends only its choice delta.
type oaStream struct {
	eventWriter
	head []byte // `data: {"id":…,"choices":[`
	tail []byte // `]` + `,"usage":null` when usage is included + "}\n\n"
	buf  []byte
}

func newOAStream(w http.ResponseWriter, model string, includeUsage bool) *oaStream {
	head := make([]byte, 0, 256)
	head = append(head, `data: {"id":`...)
	head = appendJSONString(head, randomID("chatcmpl-", 29))
	head = append(head, `,"object":"chat.completion.chunk","created":`...)
	head = strconv.AppendInt(head, time.Now().Unix(), 10)
	head = append(head, `,"model":`...)
	head = appendJSONString(head, model)
	head = append(head, `,"service_tier":"`+oaServiceTier+`","system_fingerprint":"`+oaSystemFingerprint+`","choices":[`...)
	tail := []byte("]}\n\n")
	if includeUsage {
		tail = []byte(`],"usage":null}` + "\n\n")
	}
	return &oaStream{eventWriter: newEventWriter(w), head: head, tail: tail, buf: make([]byte, 0, 512)}
}

// begin starts a chunk for choice i; the caller appends the delta object's members.
func (st *oaStream) begin(i int) {
	st.buf = append(st.buf[:0], st.head...)
	st.buf = append(st.buf, `{"index":`...)
	st.buf = strconv.AppendInt(st.buf, int64(i), 10)
	st.buf = append(st.buf, `,"delta":{`...)
}

// end closes the delta and the chunk with finishReason (null when empty) and writes it.
func (st *oaStream) end(finishReason string) {
	st.buf = append(st.buf, `},"logprobs":null,"finish_reason":`...)
	if finishReason == "" {
		st.buf = append(st.buf, "null"...)
	} else {
		st.buf = appendJSONString(st.buf, finishReason)
	}
	st.buf = append(st.buf, '}')
	st.buf = append(st.buf, st.tail...)
	st.write(st.buf)
}

// role writes a choice's first chunk: the role, and the first tool call's header if it calls tools.
func (st *oaStream) role(i int, p *choicePlan) {
	st.begin(i)
	if len(p.calls) == 0 {
		st.buf = append(st.buf, `"role":"assistant","content":"","refusal":null`...)
	} else {
		st.buf = append(st.buf, `"role":"assistant","content":null,`...)
		st.appendCallHeader(0, p.calls[0])
		st.buf = append(st.buf, `,"refusal":null`...)
	}
	st.end("")
}

func (st *oaStream) appendCallHeader(k int, c plannedCall) {
	st.buf = append(st.buf, `"tool_calls":[{"index":`...)
	st.buf = strconv.AppendInt(st.buf, int64(k), 10)
	st.buf = append(st.buf, `,"id":`...)
	st.buf = appendJSONString(st.buf, c.id)
	st.buf = append(st.buf, `,"type":"function","function":{"name":`...)
	st.buf = appendJSONString(st.buf, c.name)
	st.buf = append(st.buf, `,"arguments":""}}]`...)
}

// delta writes one content chunk: text, a tool call header, or a piece of tool call arguments.
func (st *oaStream) delta(i int, d oaDelta) {
	st.begin(i)
	switch d.kind {
	case deltaText:
		st.buf = append(st.buf, `"content":`...)
		st.buf = appendJSONString(st.buf, d.text)
	case deltaCallHeader:
		st.appendCallHeader(d.call, d.header)
	case deltaCallArgs:
		st.buf = append(st.buf, `"tool_calls":[{"index":`...)
		st.buf = strconv.AppendInt(st.buf, int64(d.call), 10)
		st.buf = append(st.buf, `,"function":{"arguments":`...)
		st.buf = appendJSONString(st.buf, d.text)
		st.buf = append(st.buf, `}}]`...)
	}
	st.end("")
}

// usage writes the final usage-only chunk.
func (st *oaStream) usage(u oaUsage) error {
	enc, err := json.Marshal(u)
	if err != nil {
		return fmt.Errorf("encode usage: %w", err)
	}
	st.buf = append(st.buf[:0], st.head...)
	st.buf = append(st.buf, `],"usage":`...)
	st.buf = append(st.buf, enc...)
	st.buf = append(st.buf, "}\n\n"...)
	st.write(st.buf)
	return nil
}

// oaMalformedChunk is a chunk cut off inside its JSON, as a buggy proxy might pass on.
var oaMalformedChunk = []byte(`data: {"id":"chatcmpl-malformed","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"tru` + "\n\n")

// errorEvent writes the event OpenAI sends when a stream fails after it started; the SDKs raise it
// as an error.
func (st *oaStream) errorEvent() {
	st.write([]byte(`data: {"error":{"message":"The server had an error while processing your request. Sorry about that!",` +
		`"type":"server_error","param":null,"code":null}}` + "\n\n"))
}

type deltaKind uint8

const (
	deltaText deltaKind = iota
	deltaCallHeader
	deltaCallArgs
)

// oaDelta is one content chunk of one choice.
type oaDelta struct {
	choice int
	kind   deltaKind
	call   int         // tool call index
	header plannedCall // for deltaCallHeader
	text   string      // content or arguments
}

// interleave orders the content chunks of all choices round-robin, as the API does with n > 1.
// The first tool call's header is part of the role chunk, so it is not repeated here.
func interleave(plans []choicePlan) []oaDelta {
	per := make([][]oaDelta, len(plans))
	total := 0
	for i, p := range plans {
		for _, t := range p.pieces {
			per[i] = append(per[i], oaDelta{choice: i, kind: deltaText, text: t})
		}
		for k, c := range p.calls {
			if k > 0 {
				per[i] = append(per[i], oaDelta{choice: i, kind: deltaCallHeader, call: k, header: c})
			}
			for _, a := range splitArguments(c.args) {
				per[i] = append(per[i], oaDelta{choice: i, kind: deltaCallArgs, call: k, text: a})
			}
		}
		total += len(per[i])
	}
	out := make([]oaDelta, 0, total)
	for step := 0; len(out) < total; step++ {
		for i := range per {
			if step < len(per[i]) {
				out = append(out, per[i][step])
			}
		}
	}
	return out
}

// streamChat writes the stream: headers, TTFT, role chunks, content chunks paced by token_delay
// (with the cut_after and error_after faults), finish chunks, the usage chunk and [DONE]. Output is
// flushed only before a wait or a fault, so an undelayed stream costs one write under load.
func (s *Server) streamChat(ctx context.Context, w http.ResponseWriter, req *oaChatRequest, b *behavior,
	plans []choicePlan, usage oaUsage, includeUsage bool) error {
	st := newOAStream(w, req.Model, includeUsage)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Request-Id", randomID("req_", 32))
	w.WriteHeader(http.StatusOK)
	if b.TTFT > 0 {
		st.flush() // the client sees the headers, then waits for the first token
		if err := s.wait(ctx, b.TTFT); err != nil {
			return err
		}
	}
	for i := range plans {
		st.role(i, &plans[i])
	}
	if b.TokenDelay > 0 {
		st.flush()
	}
	deltas := interleave(plans)
	for k := 0; ; k++ {
		last := k == len(deltas)
		switch f := b.faultAt(k, last); f {
		case faultError:
			st.errorEvent()
			st.flush()
			return st.err
		default:
			if done, err := s.endStream(ctx, w, f, st, oaMalformedChunk); done {
				return err
			}
		}
		if last {
			break
		}
		if k > 0 && b.TokenDelay > 0 {
			if err := s.wait(ctx, b.TokenDelay); err != nil {
				return err
			}
		}
		st.delta(deltas[k].choice, deltas[k])
		if b.TokenDelay > 0 {
			st.flush()
		}
		if st.err != nil {
			return st.err
		}
	}
	for i, p := range plans {
		st.begin(i)
		st.end(p.finish)
	}
	if includeUsage {
		if err := st.usage(usage); err != nil {
			return err
		}
	}
	st.write([]byte("data: [DONE]\n\n"))
	st.flush()
	return st.err
}
