package anthropic

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/sse"
)

// DecodeChatStream translates the Messages event stream
// (https://docs.anthropic.com/en/docs/build-with-claude/streaming) event by event:
// message_start → a role chunk; content_block_start of a tool_use → a tool call header;
// text_delta → content; input_json_delta → an arguments fragment; thinking_delta →
// reasoning_content and a thinking_blocks fragment with the text; signature_delta → a
// thinking_blocks fragment with the signature; a redacted_thinking block → a thinking_blocks
// entry with its data; message_delta → the stop reason and usage, held until message_stop,
// which yields the finish chunk and then the usage chunk. ping and event types added later are
// skipped.
func (Adapter) DecodeChatStream(resp *http.Response) (provider.Stream, error) {
	return &stream{body: resp.Body, events: sse.NewReader(resp.Body), created: now().Unix()}, nil
}

type streamState uint8

const (
	reading  streamState = iota
	usageDue             // message_stop seen, finish chunk sent
	ended                // io.EOF from now on
	failed               // err from now on
)

// blockKind is what an open content block translates to.
type blockKind uint8

const (
	skipped blockKind = iota // server tool blocks, ...
	textBlock
	toolBlock
	thinkingBlock
)

type openBlock struct {
	kind    blockKind
	tool    int  // the OpenAI tool call index of a tool_use block
	hasArgs bool // a non-empty arguments fragment was sent
}

type stream struct {
	body    io.ReadCloser
	events  *sse.Reader
	state   streamState
	err     error
	started bool // message_start seen

	id, model string
	created   int64
	stop      string
	usage     tokens
	blocks    []openBlock // by content block index
	tools     int         // tool calls started so far

	// The chunk handed out, reused: it is valid until the next call to Next.
	ev      streamEvent
	chunk   api.ChatChunk
	choice  [1]api.ChunkChoice
	call    [1]api.ToolCall
	thought [1]api.ThinkingBlock
	index   int
	text    string
	finish  string
}

// Next returns the next chunk, io.EOF after message_stop's chunks, or an *api.Error.
func (s *stream) Next() (*api.ChatChunk, error) {
	switch s.state {
	case ended:
		return nil, io.EOF
	case failed:
		return nil, s.err
	case usageDue:
		s.state = ended
		if u := s.usage.openai(); u != nil {
			s.chunk = api.ChatChunk{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model,
				Choices: s.choice[:0], Usage: u}
			return &s.chunk, nil
		}
		return nil, io.EOF
	}
	for {
		ev, err := s.events.Next()
		if err != nil {
			return nil, s.fail(interrupted(err))
		}
		data := bytes.TrimSpace(ev.Data)
		if len(data) == 0 {
			continue
		}
		s.ev = streamEvent{}
		if err := jsonx.Unmarshal(data, &s.ev); err != nil {
			return nil, s.fail(malformed(fmt.Errorf("anthropic: decode event %q: %w", ev.Name, err)))
		}
		c, err := s.handle(data)
		if err != nil {
			return nil, s.fail(err)
		}
		if c != nil {
			return c, nil
		}
	}
}

func (s *stream) Close() error { return s.body.Close() }

func (s *stream) fail(err error) error {
	s.state, s.err = failed, err
	return err
}

// handle applies one event and returns the chunk it yields, if any.
func (s *stream) handle(data []byte) (*api.ChatChunk, error) {
	ev := &s.ev
	switch ev.Type {
	case "error":
		return nil, streamError(ev.Error, data)
	case "message_start":
		if ev.Message == nil {
			return nil, malformed(errors.New("anthropic: message_start without a message"))
		}
		s.started, s.id, s.model = true, ev.Message.ID, ev.Message.Model
		s.usage.add(ev.Message.Usage)
		s.text = ""
		return s.emit(api.Delta{Role: "assistant", Content: &s.text}), nil
	case "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop":
		if !s.started {
			return nil, malformed(fmt.Errorf("anthropic: %s before message_start", ev.Type))
		}
	default:
		return nil, nil // ping, and event types added after this was written
	}
	switch ev.Type {
	case "content_block_start":
		return s.blockStart()
	case "content_block_delta":
		return s.blockDelta()
	case "content_block_stop":
		return s.blockStop()
	case "message_delta":
		if ev.Delta != nil && ev.Delta.StopReason != "" {
			s.stop = ev.Delta.StopReason
		}
		s.usage.add(ev.Usage)
		return nil, nil
	}
	// message_stop
	s.state = usageDue
	s.finish = finishReason(s.stop)
	s.choice[0] = api.ChunkChoice{FinishReason: &s.finish}
	return s.chunkOf(), nil
}

func (s *stream) blockStart() (*api.ChatChunk, error) {
	ev := &s.ev
	if ev.ContentBlock == nil || ev.Index != len(s.blocks) {
		return nil, malformed(fmt.Errorf("anthropic: content_block_start for index %d, want %d", ev.Index, len(s.blocks)))
	}
	cb := ev.ContentBlock
	switch cb.Type {
	case "text":
		s.blocks = append(s.blocks, openBlock{kind: textBlock})
		if cb.Text == "" {
			return nil, nil
		}
		s.text = cb.Text
		return s.emit(api.Delta{Content: &s.text}), nil
	case "tool_use":
		b := openBlock{kind: toolBlock, tool: s.tools}
		s.blocks = append(s.blocks, b)
		s.tools++
		// The id, type and name come first with empty arguments, as in OpenAI's streams.
		return s.emitCall(api.ToolCall{ID: cb.ID, Type: "function", Function: api.FunctionCall{Name: cb.Name}}, b.tool), nil
	case api.ThinkingBlockThinking:
		// It starts empty; text and signature follow as deltas.
		s.blocks = append(s.blocks, openBlock{kind: thinkingBlock})
		return nil, nil
	case api.ThinkingBlockRedacted:
		// It comes whole: no delta follows.
		s.blocks = append(s.blocks, openBlock{kind: skipped})
		return s.emitThinking(api.ThinkingBlock{Type: cb.Type, Data: cb.Data}), nil
	}
	s.blocks = append(s.blocks, openBlock{kind: skipped})
	return nil, nil
}

func (s *stream) blockDelta() (*api.ChatChunk, error) {
	ev := &s.ev
	if ev.Delta == nil || ev.Index < 0 || ev.Index >= len(s.blocks) {
		return nil, malformed(fmt.Errorf("anthropic: content_block_delta for unknown index %d", ev.Index))
	}
	b := &s.blocks[ev.Index]
	switch {
	case b.kind == textBlock && ev.Delta.Type == "text_delta" && ev.Delta.Text != "":
		s.text = ev.Delta.Text
		return s.emit(api.Delta{Content: &s.text}), nil
	case b.kind == toolBlock && ev.Delta.Type == "input_json_delta" && ev.Delta.PartialJSON != "":
		b.hasArgs = true
		return s.emitCall(api.ToolCall{Function: api.FunctionCall{Arguments: ev.Delta.PartialJSON}}, b.tool), nil
	case b.kind == thinkingBlock && ev.Delta.Type == "thinking_delta" && ev.Delta.Thinking != "":
		c := s.emitThinking(api.ThinkingBlock{Type: api.ThinkingBlockThinking, Thinking: ev.Delta.Thinking})
		c.Choices[0].Delta.ReasoningContent = ev.Delta.Thinking
		return c, nil
	case b.kind == thinkingBlock && ev.Delta.Type == "signature_delta" && ev.Delta.Signature != "":
		return s.emitThinking(api.ThinkingBlock{Type: api.ThinkingBlockThinking, Signature: ev.Delta.Signature}), nil
	}
	return nil, nil // empty fragments, citations
}

// blockStop closes a block. A tool call whose input streamed no JSON (a function without
// parameters) gets "{}", so its arguments always parse.
func (s *stream) blockStop() (*api.ChatChunk, error) {
	i := s.ev.Index
	if i < 0 || i >= len(s.blocks) {
		return nil, malformed(fmt.Errorf("anthropic: content_block_stop for unknown index %d", i))
	}
	if b := &s.blocks[i]; b.kind == toolBlock && !b.hasArgs {
		b.hasArgs = true
		return s.emitCall(api.ToolCall{Function: api.FunctionCall{Arguments: "{}"}}, b.tool), nil
	}
	return nil, nil
}

// emit returns the reused chunk carrying delta d.
func (s *stream) emit(d api.Delta) *api.ChatChunk {
	s.choice[0] = api.ChunkChoice{Delta: d}
	return s.chunkOf()
}

func (s *stream) emitCall(c api.ToolCall, index int) *api.ChatChunk {
	s.index = index
	c.Index = &s.index
	s.call[0] = c
	return s.emit(api.Delta{ToolCalls: s.call[:]})
}

// emitThinking returns the reused chunk carrying one thinking fragment.
func (s *stream) emitThinking(tb api.ThinkingBlock) *api.ChatChunk {
	s.thought[0] = tb
	return s.emit(api.Delta{ThinkingBlocks: s.thought[:]})
}

func (s *stream) chunkOf() *api.ChatChunk {
	s.chunk = api.ChatChunk{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model,
		Choices: s.choice[:]}
	return &s.chunk
}

func malformed(err error) error {
	return api.NewError("stream_interrupted", "the provider sent a malformed stream event", err)
}

func interrupted(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err // the caller's deadline or the client leaving, not the provider's fault
	}
	if errors.Is(err, io.EOF) {
		// Not wrapping io.EOF itself: callers read io.EOF as a clean end.
		return api.NewError("stream_interrupted", "the provider's stream ended before message_stop", io.ErrUnexpectedEOF)
	}
	return api.NewError("stream_interrupted", "the connection to the provider broke mid-stream", fmt.Errorf("anthropic: read stream: %w", err))
}
