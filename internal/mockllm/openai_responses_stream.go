package mockllm

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// Responses API streaming: server-sent events, each "event: <type>\ndata: <JSON>\n\n", every
// event numbered by sequence_number. response.created and response.in_progress come first;
// each output item is opened (response.output_item.added), filled (content_part.added and
// output_text.delta..., or function_call_arguments.delta...), finished (.done events) and
// closed (response.output_item.done); response.completed (or response.incomplete) carries the
// whole response with usage and ends the stream. There is no [DONE]. See
// https://platform.openai.com/docs/api-reference/responses-streaming.

type rsEvent struct {
	Type           string        `json:"type"`
	SequenceNumber int           `json:"sequence_number"`
	Response       *rsResponse   `json:"response,omitempty"`
	OutputIndex    *int          `json:"output_index,omitempty"`
	Item           *rsOutputItem `json:"item,omitempty"`
	ItemID         string        `json:"item_id,omitempty"`
	ContentIndex   *int          `json:"content_index,omitempty"`
	Part           *rsPart       `json:"part,omitempty"`
	Delta          *string       `json:"delta,omitempty"`
	Text           *string       `json:"text,omitempty"`
	Arguments      *string       `json:"arguments,omitempty"`
	Logprobs       *[]struct{}   `json:"logprobs,omitempty"`
	// The error event's members.
	Code    *string          `json:"code,omitempty"`
	Message *string          `json:"message,omitempty"`
	Param   *json.RawMessage `json:"param,omitempty"`
}

// rsStream writes numbered events; the first write error stops later writes.
type rsStream struct {
	eventWriter
	seq int
	buf []byte
}

func (st *rsStream) event(ev rsEvent) {
	ev.SequenceNumber = st.seq
	st.seq++
	data, err := json.Marshal(ev)
	if err != nil {
		st.err = fmt.Errorf("encode %s event: %w", ev.Type, err)
		return
	}
	st.buf = append(st.buf[:0], "event: "...)
	st.buf = append(st.buf, ev.Type...)
	st.buf = append(st.buf, "\ndata: "...)
	st.buf = append(st.buf, data...)
	st.buf = append(st.buf, "\n\n"...)
	st.write(st.buf)
}

// rsMalformedEvent is an event cut off inside its JSON.
var rsMalformedEvent = []byte("event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"msg_malformed\",\"delta\":\"tru\n\n")

// errorEvent is the event the API sends when a response fails mid-stream; the SDKs raise it.
func (st *rsStream) errorEvent() {
	code, msg := "server_error", "The server had an error while processing your request. Sorry about that!"
	null := json.RawMessage("null")
	st.event(rsEvent{Type: "error", Code: &code, Message: &msg, Param: &null})
}

// rsDelta is one content event of the plan: a text delta, or a piece of the arguments of
// function call call (which opens the call's item when it is the call's first piece).
type rsDelta struct {
	call  int // -1 for text
	first bool
	text  string
}

func (p *rsPlan) deltas() []rsDelta {
	var out []rsDelta
	for _, t := range p.plan.pieces {
		out = append(out, rsDelta{call: -1, text: t})
	}
	if len(p.plan.calls) == 0 {
		return out
	}
	for k, c := range p.plan.calls {
		for j, a := range splitArguments(c.args) {
			out = append(out, rsDelta{call: k, first: j == 0, text: a})
		}
	}
	return out
}

// streamResponse writes the event sequence, with the same pacing and faults as chat streams:
// the *_after knobs count content deltas (text or arguments).
func (s *Server) streamResponse(ctx context.Context, w http.ResponseWriter, b *behavior, p *rsPlan) error {
	st := &rsStream{eventWriter: newEventWriter(w)}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Request-Id", randomID("req_", 32))
	w.WriteHeader(http.StatusOK)
	if b.TTFT > 0 {
		st.flush()
		if err := s.wait(ctx, b.TTFT); err != nil {
			return err
		}
	}
	resp := p.resp
	st.event(rsEvent{Type: "response.created", Response: &resp})
	st.event(rsEvent{Type: "response.in_progress", Response: &resp})
	w2 := &rsItems{st: st, p: p}
	if p.reasoning {
		item := p.reasoningItem()
		w2.open(item)
		w2.close(item)
	}
	if b.TokenDelay > 0 {
		st.flush()
	}
	deltas := p.deltas()
	for k := 0; ; k++ {
		last := k == len(deltas)
		switch f := b.faultAt(k, last); f {
		case faultError:
			st.errorEvent()
			st.flush()
			return st.err
		default:
			if done, err := s.endStream(ctx, w, f, st, rsMalformedEvent); done {
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
		w2.delta(deltas[k])
		if b.TokenDelay > 0 {
			st.flush()
		}
		if st.err != nil {
			return st.err
		}
	}
	w2.closeOpen()
	p.finish()
	typ := "response.completed"
	if p.resp.Status == "incomplete" {
		typ = "response.incomplete"
	}
	st.event(rsEvent{Type: typ, Response: &p.resp})
	st.flush()
	return st.err
}

// rsItems writes the item events of one response, opening and closing items as deltas arrive.
type rsItems struct {
	st    *rsStream
	p     *rsPlan
	index int           // output index of the open (or next) item
	cur   *rsOutputItem // the open item, nil when none
	text  string
	args  string
}

var zeroIndex = 0

func (w *rsItems) open(item rsOutputItem) {
	i := w.index
	w.st.event(rsEvent{Type: "response.output_item.added", OutputIndex: &i, Item: &item})
}

func (w *rsItems) close(item rsOutputItem) {
	i := w.index
	w.st.event(rsEvent{Type: "response.output_item.done", OutputIndex: &i, Item: &item})
	w.index++
}

func (w *rsItems) delta(d rsDelta) {
	i := w.index
	if d.call < 0 {
		if w.cur == nil {
			empty := []rsPart{}
			item := rsOutputItem{Type: "message", ID: w.p.msgID, Status: "in_progress", Role: "assistant", Content: &empty}
			w.cur = &item
			w.open(item)
			part := rsPart{Type: "output_text", Annotations: []struct{}{}, Logprobs: []struct{}{}}
			w.st.event(rsEvent{Type: "response.content_part.added", ItemID: item.ID, OutputIndex: &i, ContentIndex: &zeroIndex, Part: &part})
		}
		w.text += d.text
		text := d.text
		w.st.event(rsEvent{Type: "response.output_text.delta", ItemID: w.cur.ID, OutputIndex: &i, ContentIndex: &zeroIndex,
			Delta: &text, Logprobs: &[]struct{}{}})
		return
	}
	if d.first {
		w.closeOpen()
		i = w.index
		c := w.p.plan.calls[d.call]
		empty := ""
		item := rsOutputItem{Type: "function_call", ID: "fc_" + c.id[len("call_"):], Status: "in_progress", CallID: c.id, Name: c.name, Arguments: &empty}
		w.cur = &item
		w.args = ""
		w.open(item)
	}
	w.args += d.text
	text := d.text
	w.st.event(rsEvent{Type: "response.function_call_arguments.delta", ItemID: w.cur.ID, OutputIndex: &i, Delta: &text})
}

// closeOpen finishes the open item with its .done events.
func (w *rsItems) closeOpen() {
	if w.cur == nil {
		return
	}
	i := w.index
	item := *w.cur
	w.cur = nil
	switch item.Type {
	case "message":
		text := w.text
		w.st.event(rsEvent{Type: "response.output_text.done", ItemID: item.ID, OutputIndex: &i, ContentIndex: &zeroIndex,
			Text: &text, Logprobs: &[]struct{}{}})
		part := rsPart{Type: "output_text", Text: text, Annotations: []struct{}{}, Logprobs: []struct{}{}}
		w.st.event(rsEvent{Type: "response.content_part.done", ItemID: item.ID, OutputIndex: &i, ContentIndex: &zeroIndex, Part: &part})
		item.Status = "completed"
		if w.p.plan.finish == "length" {
			item.Status = "incomplete"
		}
		item.Content = &[]rsPart{part}
	case "function_call":
		args := w.args
		w.st.event(rsEvent{Type: "response.function_call_arguments.done", ItemID: item.ID, OutputIndex: &i, Arguments: &args})
		item.Status = "completed"
		item.Arguments = &args
	}
	w.close(item)
}
