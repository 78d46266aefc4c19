package responses

import (
	"fmt"
	"strconv"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// StreamEncoder turns a stream of chat chunks into the Responses API's semantic events as
// they arrive: response.created and response.in_progress first; for the text, a message item
// (output_item.added, content_part.added, output_text.delta..., output_text.done,
// content_part.done, output_item.done); for each tool call a function_call item
// (output_item.added, function_call_arguments.delta..., .done, output_item.done); then, once
// the stream ends, response.completed (or response.incomplete) with the whole response and
// usage. Every event carries the next sequence_number. The response it builds is what the
// gateway stores.
type StreamEncoder struct {
	resp    *Response
	seq     int
	started bool
	open    int // output index of the open item, -1 when none
	text    []byte
	tools   map[int]int // chat tool call index -> output index
	calls   int
	finish  string
	usage   *api.Usage
}

// NewStreamEncoder returns an encoder that fills resp, the response NewResponse made.
func NewStreamEncoder(resp *Response) *StreamEncoder {
	return &StreamEncoder{resp: resp, open: -1, tools: map[int]int{}}
}

// Response is the response as streamed so far; complete after AppendFinish.
func (s *StreamEncoder) Response() *Response { return s.resp }

// AppendChunk appends the events for one chunk to dst.
func (s *StreamEncoder) AppendChunk(dst []byte, c *api.ChatChunk) ([]byte, error) {
	var err error
	if !s.started {
		if dst, err = s.appendStart(dst); err != nil {
			return dst, err
		}
	}
	if c.Model != "" {
		s.resp.Model = c.Model
	}
	if c.Usage != nil {
		u := *c.Usage
		s.usage = &u
	}
	for i := range c.Choices {
		ch := &c.Choices[i]
		if ch.Index != 0 {
			continue // a response has one answer; translated requests never ask for more
		}
		if d := ch.Delta.Content; d != nil && *d != "" {
			if dst, err = s.appendText(dst, *d); err != nil {
				return dst, err
			}
		}
		if d := ch.Delta.Refusal; d != nil && *d != "" {
			if dst, err = s.appendText(dst, *d); err != nil {
				return dst, err
			}
		}
		for j := range ch.Delta.ToolCalls {
			if dst, err = s.appendTool(dst, &ch.Delta.ToolCalls[j]); err != nil {
				return dst, err
			}
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			s.finish = *ch.FinishReason
		}
	}
	return dst, nil
}

// AppendFinish closes the open item and appends response.completed, or response.incomplete
// when the provider stopped at the token limit or a content filter.
func (s *StreamEncoder) AppendFinish(dst []byte) ([]byte, error) {
	var err error
	if !s.started {
		if dst, err = s.appendStart(dst); err != nil {
			return dst, err
		}
	}
	if dst, err = s.closeItem(dst); err != nil {
		return dst, err
	}
	finishResponse(s.resp, s.finish, s.usage)
	typ := "response.completed"
	if s.resp.Status == StatusIncomplete {
		typ = "response.incomplete"
	}
	return s.appendEvent(dst, &Event{Type: typ, Response: s.resp})
}

// AppendFailure appends the error event and response.failed: the stream broke after it
// started, so the client learns why and never sees response.completed.
func (s *StreamEncoder) AppendFailure(dst []byte, e *api.Error) []byte {
	var err error
	if !s.started {
		if dst, err = s.appendStart(dst); err != nil {
			return dst
		}
	}
	// The item in progress keeps what arrived, marked incomplete: the failed response still
	// shows (and stores) how far the answer got.
	if s.open >= 0 {
		item := &s.resp.Output[s.open]
		item.Status = StatusIncomplete
		if item.Type == "message" {
			text := string(s.text)
			item.Content = []OutputContent{{Type: "output_text", Text: &text, Annotations: emptyArray}}
		}
		s.open = -1
	}
	Failed(s.resp, e)
	code := e.Code
	if code == "" {
		code = s.resp.Error.Code
	}
	if dst, err = s.appendEvent(dst, &Event{Type: "error", Code: code, Message: e.Message, Param: ErrorParam(e)}); err != nil {
		return dst
	}
	dst, _ = s.appendEvent(dst, &Event{Type: "response.failed", Response: s.resp})
	return dst
}

func (s *StreamEncoder) appendStart(dst []byte) ([]byte, error) {
	s.started = true
	dst, err := s.appendEvent(dst, &Event{Type: "response.created", Response: s.resp})
	if err != nil {
		return dst, err
	}
	return s.appendEvent(dst, &Event{Type: "response.in_progress", Response: s.resp})
}

func (s *StreamEncoder) appendText(dst []byte, delta string) ([]byte, error) {
	var err error
	if s.open < 0 || s.resp.Output[s.open].Type != "message" {
		if dst, err = s.closeItem(dst); err != nil {
			return dst, err
		}
		s.open = len(s.resp.Output)
		s.text = s.text[:0]
		item := OutputItem{Type: "message", ID: MessageID(s.resp.ID), Status: StatusInProgress, Role: "assistant", Content: []OutputContent{}}
		if s.open > 0 {
			item.ID += "_" + strconv.Itoa(s.open)
		}
		s.resp.Output = append(s.resp.Output, item)
		if dst, err = s.appendEvent(dst, &Event{Type: "response.output_item.added", OutputIndex: &s.open, Item: &item}); err != nil {
			return dst, err
		}
		empty := ""
		part := OutputContent{Type: "output_text", Text: &empty, Annotations: emptyArray}
		if dst, err = s.appendEvent(dst, &Event{Type: "response.content_part.added", ItemID: item.ID,
			OutputIndex: &s.open, ContentIndex: &zero, Part: &part}); err != nil {
			return dst, err
		}
	}
	s.text = append(s.text, delta...)
	return s.appendEvent(dst, &Event{Type: "response.output_text.delta", ItemID: s.resp.Output[s.open].ID,
		OutputIndex: &s.open, ContentIndex: &zero, Delta: &delta, Logprobs: emptyArray})
}

var zero = 0

// appendTool opens a function_call item for each new call and streams its arguments. A new
// id at a known index is a new call: some providers number every call 0.
func (s *StreamEncoder) appendTool(dst []byte, tc *api.ToolCall) ([]byte, error) {
	var err error
	idx := 0
	if tc.Index != nil {
		idx = *tc.Index
	}
	out, seen := s.tools[idx]
	if !seen || (tc.ID != "" && tc.ID != s.resp.Output[out].CallID) {
		if dst, err = s.closeItem(dst); err != nil {
			return dst, err
		}
		out = len(s.resp.Output)
		s.open = out
		s.tools[idx] = out
		empty := ""
		item := OutputItem{Type: "function_call", ID: CallItemID(s.resp.ID, s.calls), Status: StatusInProgress,
			CallID: tc.ID, Name: tc.Function.Name, Arguments: &empty}
		s.calls++
		s.resp.Output = append(s.resp.Output, item)
		if dst, err = s.appendEvent(dst, &Event{Type: "response.output_item.added", OutputIndex: &out, Item: &item}); err != nil {
			return dst, err
		}
	}
	if tc.Function.Arguments == "" {
		return dst, nil
	}
	item := &s.resp.Output[out]
	args := *item.Arguments + tc.Function.Arguments
	item.Arguments = &args
	delta := tc.Function.Arguments
	return s.appendEvent(dst, &Event{Type: "response.function_call_arguments.delta", ItemID: item.ID, OutputIndex: &out, Delta: &delta})
}

// closeItem ends the open item with its done events.
func (s *StreamEncoder) closeItem(dst []byte) ([]byte, error) {
	if s.open < 0 {
		return dst, nil
	}
	i := s.open
	s.open = -1
	item := &s.resp.Output[i]
	item.Status = itemStatus(s.finish)
	var err error
	switch item.Type {
	case "message":
		text := string(s.text)
		if dst, err = s.appendEvent(dst, &Event{Type: "response.output_text.done", ItemID: item.ID, OutputIndex: &i,
			ContentIndex: &zero, Text: &text, Logprobs: emptyArray}); err != nil {
			return dst, err
		}
		part := OutputContent{Type: "output_text", Text: &text, Annotations: emptyArray}
		if dst, err = s.appendEvent(dst, &Event{Type: "response.content_part.done", ItemID: item.ID, OutputIndex: &i,
			ContentIndex: &zero, Part: &part}); err != nil {
			return dst, err
		}
		item.Content = []OutputContent{part}
	case "function_call":
		item.Status = StatusCompleted
		if dst, err = s.appendEvent(dst, &Event{Type: "response.function_call_arguments.done", ItemID: item.ID,
			OutputIndex: &i, Arguments: item.Arguments}); err != nil {
			return dst, err
		}
	}
	return s.appendEvent(dst, &Event{Type: "response.output_item.done", OutputIndex: &i, Item: item})
}

// appendEvent writes one server-sent event, numbered, with its name line and JSON data line.
func (s *StreamEncoder) appendEvent(dst []byte, ev *Event) ([]byte, error) {
	ev.SequenceNumber = s.seq
	s.seq++
	dst = append(dst, "event: "...)
	dst = append(dst, ev.Type...)
	dst = append(dst, "\ndata: "...)
	dst, err := jsonx.AppendMarshal(dst, ev)
	if err != nil {
		return dst, fmt.Errorf("responses: encode %s event: %w", ev.Type, err)
	}
	return append(dst, '\n', '\n'), nil
}

// ErrorParam is the error event's param: the API reference gives the event code, message and
// param, each always present, so param is null when no parameter is at fault.
func ErrorParam(e *api.Error) jsonx.Value {
	if e.Param == "" {
		return jsonx.Value("null")
	}
	param, _ := jsonx.Marshal(e.Param) // a string always encodes
	return param
}
