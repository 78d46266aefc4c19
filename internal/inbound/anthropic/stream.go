package anthropic

import (
	"fmt"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// StreamEncoder turns a stream of chat chunks into the Messages API's server-sent events as
// they arrive, holding only the state of the block in progress: message_start first;
// content_block_start, deltas and content_block_stop for each thinking block, text run and
// tool call
// (separate blocks with increasing indexes); then, once the stream ends, message_delta with
// the stop reason and usage, and message_stop. The usage chunk follows the finish chunk in
// OpenAI's streams, so message_delta waits for Finish.
type StreamEncoder struct {
	model   string
	id      string
	started bool
	next    int // index of the next block to open
	open    int // index of the open block, -1 when none
	openKin blockKind
	signed  bool              // the open thinking block has its signature: more thinking is a new block
	tools   map[int]toolBlock // by OpenAI tool call index
	finish  string
	usage   *api.Usage
}

// toolBlock is where a tool call's fragments go.
type toolBlock struct {
	index int
	id    string
}

type blockKind int

const (
	kindNone blockKind = iota
	kindText
	kindTool
	kindThinking
)

// NewStreamEncoder returns an encoder whose message_start names model until a chunk names
// the serving model.
func NewStreamEncoder(model string) *StreamEncoder {
	return &StreamEncoder{model: model, open: -1, tools: map[int]toolBlock{}}
}

// AppendChunk appends the events for one chunk to dst.
func (s *StreamEncoder) AppendChunk(dst []byte, c *api.ChatChunk) ([]byte, error) {
	var err error
	if !s.started {
		if c.Model != "" {
			s.model = c.Model
		}
		s.id = c.ID
		if dst, err = s.appendStart(dst); err != nil {
			return dst, err
		}
	}
	if c.Usage != nil {
		s.usage = c.Usage
	}
	for i := range c.Choices {
		ch := &c.Choices[i]
		if ch.Index != 0 {
			continue // the Messages API has one answer; translated requests never ask for more
		}
		if dst, err = s.appendThinking(dst, &ch.Delta); err != nil {
			return dst, err
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

// AppendFinish appends the end of the message: the open block's stop, message_delta with the
// stop reason and final usage, and message_stop. A stream that produced no chunk still gets a
// well-formed, empty message.
func (s *StreamEncoder) AppendFinish(dst []byte) ([]byte, error) {
	var err error
	if !s.started {
		if dst, err = s.appendStart(dst); err != nil {
			return dst, err
		}
	}
	dst, err = s.closeBlock(dst)
	if err != nil {
		return dst, err
	}
	dst, err = appendEvent(dst, "message_delta", &messageDeltaEvent{Type: "message_delta",
		Delta: messageDelta{StopReason: ptr(StopReason(s.finish))}, Usage: usageFrom(s.usage)})
	if err != nil {
		return dst, err
	}
	return append(dst, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"...), nil
}

// appendStart writes message_start. Usage is zero there: OpenAI-shaped streams report it only
// at the end, and message_delta then carries every count, which clients take as final.
func (s *StreamEncoder) appendStart(dst []byte) ([]byte, error) {
	s.started = true
	return appendEvent(dst, "message_start", &messageStartEvent{Type: "message_start", Message: &MessageResponse{
		ID: messageID(s.id), Type: "message", Role: "assistant", Model: s.model, Content: []ResponseBlock{},
	}})
}

func (s *StreamEncoder) appendText(dst []byte, text string) ([]byte, error) {
	var err error
	if s.openKin != kindText {
		if dst, err = s.closeBlock(dst); err != nil {
			return dst, err
		}
		if dst, err = s.openBlock(dst, kindText, &ResponseBlock{Type: "text", Text: ptr("")}); err != nil {
			return dst, err
		}
	}
	return appendEvent(dst, "content_block_delta", &blockDeltaEvent{Type: "content_block_delta", Index: s.open,
		Delta: blockDelta{Type: "text_delta", Text: &text}})
}

// appendTool opens a tool_use block for each new call and streams its arguments as
// input_json_delta. A provider that interleaves calls gets its later fragments sent to the
// call's own (already stopped) block index, which is where clients accumulate them.
func (s *StreamEncoder) appendTool(dst []byte, tc *api.ToolCall) ([]byte, error) {
	var err error
	idx := 0
	if tc.Index != nil {
		idx = *tc.Index
	}
	block, seen := s.tools[idx]
	// A new id at a known index is a new call: some providers number every call 0.
	if !seen || (tc.ID != "" && tc.ID != block.id) {
		if dst, err = s.closeBlock(dst); err != nil {
			return dst, err
		}
		start := &ResponseBlock{Type: "tool_use", ID: tc.ID, Name: tc.Function.Name, Input: jsonx.Value("{}")}
		if dst, err = s.openBlock(dst, kindTool, start); err != nil {
			return dst, err
		}
		block = toolBlock{index: s.open, id: tc.ID}
		s.tools[idx] = block
	}
	if tc.Function.Arguments == "" {
		return dst, nil
	}
	return appendEvent(dst, "content_block_delta", &blockDeltaEvent{Type: "content_block_delta", Index: block.index,
		Delta: blockDelta{Type: "input_json_delta", PartialJSON: &tc.Function.Arguments}})
}

// appendThinking streams a delta's thinking: its thinking blocks, or, from a provider that
// reports only reasoning text, that text as an unsigned thinking block.
func (s *StreamEncoder) appendThinking(dst []byte, d *api.Delta) ([]byte, error) {
	if len(d.ThinkingBlocks) == 0 {
		if d.ReasoningContent == "" {
			return dst, nil
		}
		return s.appendThinkingBlock(dst, &api.ThinkingBlock{Type: api.ThinkingBlockThinking, Thinking: d.ReasoningContent})
	}
	var err error
	for i := range d.ThinkingBlocks {
		if dst, err = s.appendThinkingBlock(dst, &d.ThinkingBlocks[i]); err != nil {
			return dst, err
		}
	}
	return dst, nil
}

// appendThinkingBlock writes one thinking fragment the way Anthropic streams it: a thinking
// block opens with empty thinking and signature, takes thinking_delta events, and ends with
// its signature_delta, so a fragment after the signature starts the next block. A
// redacted_thinking block arrives whole: its content_block_start carries the data, and no
// delta follows.
func (s *StreamEncoder) appendThinkingBlock(dst []byte, tb *api.ThinkingBlock) ([]byte, error) {
	var err error
	if tb.Type == api.ThinkingBlockRedacted {
		if dst, err = s.closeBlock(dst); err != nil {
			return dst, err
		}
		if dst, err = s.openBlock(dst, kindThinking, &ResponseBlock{Type: tb.Type, Data: &tb.Data}); err != nil {
			return dst, err
		}
		return s.closeBlock(dst)
	}
	if s.openKin != kindThinking || s.signed {
		if dst, err = s.closeBlock(dst); err != nil {
			return dst, err
		}
		if dst, err = s.openBlock(dst, kindThinking, &ResponseBlock{Type: api.ThinkingBlockThinking, Thinking: ptr(""), Signature: ptr("")}); err != nil {
			return dst, err
		}
	}
	if tb.Thinking != "" {
		dst, err = appendEvent(dst, "content_block_delta", &blockDeltaEvent{Type: "content_block_delta", Index: s.open,
			Delta: blockDelta{Type: "thinking_delta", Thinking: &tb.Thinking}})
		if err != nil {
			return dst, err
		}
	}
	if tb.Signature != "" {
		s.signed = true
		return appendEvent(dst, "content_block_delta", &blockDeltaEvent{Type: "content_block_delta", Index: s.open,
			Delta: blockDelta{Type: "signature_delta", Signature: &tb.Signature}})
	}
	return dst, nil
}

func (s *StreamEncoder) openBlock(dst []byte, kind blockKind, b *ResponseBlock) ([]byte, error) {
	s.open, s.openKin, s.signed = s.next, kind, false
	s.next++
	return appendEvent(dst, "content_block_start", &blockStartEvent{Type: "content_block_start", Index: s.open, ContentBlock: b})
}

func (s *StreamEncoder) closeBlock(dst []byte) ([]byte, error) {
	if s.open < 0 {
		return dst, nil
	}
	i := s.open
	s.open, s.openKin = -1, kindNone
	return appendEvent(dst, "content_block_stop", &blockStopEvent{Type: "content_block_stop", Index: i})
}

// appendEvent writes one server-sent event: its name line and its JSON data line.
func appendEvent(dst []byte, name string, v any) ([]byte, error) {
	dst = append(dst, "event: "...)
	dst = append(dst, name...)
	dst = append(dst, "\ndata: "...)
	dst, err := jsonx.AppendMarshal(dst, v)
	if err != nil {
		return dst, fmt.Errorf("anthropic: encode %s event: %w", name, err)
	}
	return append(dst, '\n', '\n'), nil
}
