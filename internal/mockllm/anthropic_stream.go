package mockllm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// Anthropic streaming (https://docs.anthropic.com/en/docs/build-with-claude/streaming): named
// server-sent events. message_start (the Message with empty content), then per content block
// content_block_start, content_block_delta (text_delta, or input_json_delta starting with an
// empty fragment), content_block_stop; a ping after the first block starts; message_delta with
// the stop reason and the final usage; message_stop. A failure mid-stream is an "error" event.

// anStream writes events into one reused buffer.
type anStream struct {
	eventWriter
	buf []byte
}

// begin starts an event: its name line and the start of its data line.
func (st *anStream) begin(name string) {
	st.buf = append(st.buf[:0], "event: "...)
	st.buf = append(st.buf, name...)
	st.buf = append(st.buf, "\ndata: "...)
}

// end finishes the event and writes it.
func (st *anStream) end() {
	st.buf = append(st.buf, "\n\n"...)
	st.write(st.buf)
}

// anMalformedEvent is an event whose JSON is cut off.
var anMalformedEvent = []byte("event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"tru\n\n")

func (st *anStream) event(name, data string) {
	st.begin(name)
	st.buf = append(st.buf, data...)
	st.end()
}

func (st *anStream) messageStart(msg anMessageOut) error {
	enc, err := json.Marshal(msg)
	if err != nil {
		return fmt.Errorf("encode message_start: %w", err)
	}
	st.begin("message_start")
	st.buf = append(st.buf, `{"type":"message_start","message":`...)
	st.buf = append(st.buf, enc...)
	st.buf = append(st.buf, '}')
	st.end()
	return nil
}

func (st *anStream) appendIndex(typ string, index int) {
	st.buf = append(st.buf, `{"type":"`...)
	st.buf = append(st.buf, typ...)
	st.buf = append(st.buf, `","index":`...)
	st.buf = strconv.AppendInt(st.buf, int64(index), 10)
}

func (st *anStream) textStart(index int) {
	st.begin("content_block_start")
	st.appendIndex("content_block_start", index)
	st.buf = append(st.buf, `,"content_block":{"type":"text","text":""}}`...)
	st.end()
}

func (st *anStream) toolStart(index int, c plannedCall) {
	st.begin("content_block_start")
	st.appendIndex("content_block_start", index)
	st.buf = append(st.buf, `,"content_block":{"type":"tool_use","id":`...)
	st.buf = appendJSONString(st.buf, c.id)
	st.buf = append(st.buf, `,"name":`...)
	st.buf = appendJSONString(st.buf, c.name)
	st.buf = append(st.buf, `,"input":{}}}`...)
	st.end()
}

// delta writes a text_delta, or an input_json_delta when json is true.
func (st *anStream) delta(index int, text string, json bool) {
	st.begin("content_block_delta")
	st.appendIndex("content_block_delta", index)
	if json {
		st.buf = append(st.buf, `,"delta":{"type":"input_json_delta","partial_json":`...)
	} else {
		st.buf = append(st.buf, `,"delta":{"type":"text_delta","text":`...)
	}
	st.buf = appendJSONString(st.buf, text)
	st.buf = append(st.buf, "}}"...)
	st.end()
}

func (st *anStream) blockStop(index int) {
	st.begin("content_block_stop")
	st.appendIndex("content_block_stop", index)
	st.buf = append(st.buf, '}')
	st.end()
}

// anDeltaUsage is message_delta's usage: cumulative totals, as the API now sends them.
type anDeltaUsage struct {
	InputTokens              int `json:"input_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
	OutputTokens             int `json:"output_tokens"`
}

func (st *anStream) messageDelta(out *anOutcome, withUsage bool) error {
	st.begin("message_delta")
	st.buf = append(st.buf, `{"type":"message_delta","delta":{"stop_reason":`...)
	st.buf = appendJSONString(st.buf, out.stopReason)
	st.buf = append(st.buf, `,"stop_sequence":`...)
	if out.stopSequence == "" {
		st.buf = append(st.buf, "null"...)
	} else {
		st.buf = appendJSONString(st.buf, out.stopSequence)
	}
	st.buf = append(st.buf, '}')
	if withUsage {
		u := out.usage
		enc, err := json.Marshal(anDeltaUsage{InputTokens: u.InputTokens, CacheCreationInputTokens: u.CacheCreationInputTokens,
			CacheReadInputTokens: u.CacheReadInputTokens, OutputTokens: u.OutputTokens})
		if err != nil {
			return fmt.Errorf("encode message_delta usage: %w", err)
		}
		st.buf = append(st.buf, `,"usage":`...)
		st.buf = append(st.buf, enc...)
	}
	st.buf = append(st.buf, '}')
	st.end()
	return nil
}

// anPacer applies the stream knobs before each content delta: the fault due (cut_after,
// error_after) and the token_delay. Output is flushed only before a wait or a fault, so an
// undelayed stream costs few writes under load.
type anPacer struct {
	s    *Server
	ctx  context.Context
	b    *behavior
	st   *anStream
	sent int
}

// next is called before content delta number p.sent, or before message_delta when last is
// true. It reports whether the stream has ended (by a fault or an error) and with what error.
func (p *anPacer) next(last bool) (bool, error) {
	switch f := p.b.faultAt(p.sent, last); f {
	case faultError:
		p.st.event("error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
		p.st.flush()
		return true, p.st.err
	default:
		if done, err := p.s.endStream(p.ctx, p.st.w, f, p.st, anMalformedEvent); done {
			return true, err
		}
	}
	if !last && p.sent > 0 && p.b.TokenDelay > 0 {
		p.st.flush()
		if err := p.s.wait(p.ctx, p.b.TokenDelay); err != nil {
			return true, err
		}
	}
	if !last {
		p.sent++
	}
	return p.st.err != nil, p.st.err
}

// streamMessages writes the event stream of out.
func (s *Server) streamMessages(ctx context.Context, w http.ResponseWriter, req *anRequest, b *behavior, out *anOutcome) error {
	st := &anStream{eventWriter: newEventWriter(w), buf: make([]byte, 0, 512)}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Request-Id", randomID("req_01", 22))
	w.WriteHeader(http.StatusOK)
	if b.TTFT > 0 {
		st.flush() // the client sees the headers, then waits for the first token
		if err := s.wait(ctx, b.TTFT); err != nil {
			return err
		}
	}
	// message_start carries the Message before any content, with output_tokens at 1 as the API
	// sends it; message_delta carries the final count.
	start := anOutcome{id: out.id, usage: out.usage}
	start.usage.OutputTokens = 1
	msg := req.message(&start, b.Usage)
	msg.Content, msg.StopReason = []anBlockOut{}, nil
	if err := st.messageStart(msg); err != nil {
		return err
	}
	p := &anPacer{s: s, ctx: ctx, b: b, st: st}
	base := writeThinking(st, out.thinking)
	if done, err := writeBlocks(st, p, &out.plan, base); done {
		return err
	}
	if done, err := p.next(true); done {
		return err
	}
	if err := st.messageDelta(out, b.Usage); err != nil {
		return err
	}
	st.event("message_stop", `{"type":"message_stop"}`)
	st.flush()
	return st.err
}

// writeBlocks writes the content blocks from index base on: one text block, or one tool_use
// block per call.
func writeBlocks(st *anStream, p *anPacer, plan *choicePlan, base int) (bool, error) {
	const ping = `{"type": "ping"}`
	if len(plan.calls) == 0 {
		st.textStart(base)
		st.event("ping", ping)
		for _, piece := range plan.pieces {
			if done, err := p.next(false); done {
				return true, err
			}
			st.delta(base, piece, false)
		}
		st.blockStop(base)
		return false, nil
	}
	for i, c := range plan.calls {
		k := base + i
		st.toolStart(k, c)
		if i == 0 {
			st.event("ping", ping)
		}
		st.delta(k, "", true)
		for _, a := range splitArguments(c.args) {
			if done, err := p.next(false); done {
				return true, err
			}
			st.delta(k, a, true)
		}
		st.blockStop(k)
	}
	return false, nil
}
