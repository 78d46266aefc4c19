package bedrock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/eventstream"
)

// DecodeChatStream reads ConverseStream's event stream frames and translates them one event at
// a time: messageStart → the role chunk; contentBlockStart with toolUse → a tool call's id and
// name; contentBlockDelta → content or argument fragments; messageStop → the finish chunk;
// metadata → the usage chunk, then io.EOF. Reasoning deltas become reasoning_content and
// thinking_blocks fragments, as from the Anthropic adapter. metadata is Bedrock's last event, so a stream that
// ends before it is interrupted, even after messageStop.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html
func (a Adapter) DecodeChatStream(resp *http.Response) (provider.Stream, error) {
	return &stream{
		body:    resp.Body,
		frames:  eventstream.NewReader(resp.Body),
		id:      responseID(resp),
		model:   callOf(resp).model,
		created: a.now().Unix(),
		tools:   map[int]int{},
	}, nil
}

type stream struct {
	body    io.ReadCloser
	frames  *eventstream.Reader
	id      string
	model   string
	created int64
	tools   map[int]int // content block index → OpenAI tool call index
	sent    bool        // a chunk has reached the caller
	done    bool

	chunk   api.ChatChunk // reused: a chunk is valid until the next call to Next
	choice  [1]api.ChunkChoice
	call    [1]api.ToolCall
	thought [1]api.ThinkingBlock
	index   int
	finish  string
}

// noChoices encodes as [] in the usage chunk; it is never written to.
var noChoices = []api.ChunkChoice{}

func (s *stream) Close() error { return s.body.Close() }

// Next returns the next chunk; events that carry nothing for OpenAI (contentBlockStop, unknown
// future events) are skipped.
func (s *stream) Next() (*api.ChatChunk, error) {
	if s.done {
		return nil, io.EOF
	}
	for {
		m, err := s.frames.Next()
		if err != nil {
			s.done = true
			return nil, interrupted(err)
		}
		var c *api.ChatChunk
		switch m.Type {
		case eventstream.TypeEvent:
			c, err = s.event(m.EventType, m.Payload)
		case eventstream.TypeException:
			err = s.exception(m.ExceptionType, messageOf(m.Payload), m.Payload)
		case eventstream.TypeError:
			err = s.exception(m.ErrorCode, m.ErrorMessage, nil)
		default:
			err = malformed(fmt.Errorf("bedrock: message type %q", m.Type))
		}
		switch {
		case err != nil:
			s.done = true
			return nil, err
		case c != nil:
			s.sent = true
			return c, nil
		case s.done: // metadata without usage
			return nil, io.EOF
		}
	}
}

// event translates one event; it returns nil when the event has nothing for the client.
func (s *stream) event(typ string, payload []byte) (*api.ChatChunk, error) {
	switch typ {
	case "messageStart":
		empty := ""
		return s.delta(api.Delta{Role: "assistant", Content: &empty}, nil), nil
	case "contentBlockStart":
		var ev contentBlockStartEvent
		if err := decodeEvent(typ, payload, &ev); err != nil || ev.Start.ToolUse == nil {
			return nil, err
		}
		s.tools[ev.ContentBlockIndex] = len(s.tools)
		return s.toolCall(ev.ContentBlockIndex, ev.Start.ToolUse.ToolUseID, ev.Start.ToolUse.Name, ""), nil
	case "contentBlockDelta":
		return s.contentDelta(typ, payload)
	case "messageStop":
		var ev messageStopEvent
		if err := decodeEvent(typ, payload, &ev); err != nil {
			return nil, err
		}
		s.finish = finishReason(ev.StopReason)
		return s.delta(api.Delta{}, &s.finish), nil
	case "metadata":
		var ev metadataEvent
		if err := decodeEvent(typ, payload, &ev); err != nil {
			return nil, err
		}
		s.done = true
		if ev.Usage == nil {
			return nil, nil
		}
		c := s.newChunk()
		c.Choices, c.Usage = noChoices, toUsage(ev.Usage)
		return c, nil
	}
	return nil, nil // contentBlockStop and events added after this adapter was written
}

func (s *stream) contentDelta(typ string, payload []byte) (*api.ChatChunk, error) {
	var ev contentBlockDeltaEvent
	if err := decodeEvent(typ, payload, &ev); err != nil {
		return nil, err
	}
	switch d := ev.Delta; {
	case d.Text != nil && *d.Text != "":
		return s.delta(api.Delta{Content: d.Text}, nil), nil
	case d.ToolUse != nil:
		if _, ok := s.tools[ev.ContentBlockIndex]; !ok {
			return nil, malformed(fmt.Errorf("bedrock: tool input for content block %d, which started no tool call", ev.ContentBlockIndex))
		}
		return s.toolCall(ev.ContentBlockIndex, "", "", d.ToolUse.Input), nil
	case d.ReasoningContent != nil:
		return s.reasoning(d.ReasoningContent.Text, d.ReasoningContent.Signature, d.ReasoningContent.RedactedContent), nil
	}
	return nil, nil // citation deltas have no place in OpenAI's chunk
}

// reasoning is a thinking fragment: text (also as reasoning_content), the signature that ends
// the block, or a whole redacted block; nil when the delta carries nothing.
func (s *stream) reasoning(text, signature, redacted *string) *api.ChatChunk {
	switch {
	case text != nil && *text != "":
		s.thought[0] = api.ThinkingBlock{Type: api.ThinkingBlockThinking, Thinking: *text}
		return s.delta(api.Delta{ReasoningContent: *text, ThinkingBlocks: s.thought[:]}, nil)
	case signature != nil && *signature != "":
		s.thought[0] = api.ThinkingBlock{Type: api.ThinkingBlockThinking, Signature: *signature}
	case redacted != nil && *redacted != "":
		s.thought[0] = api.ThinkingBlock{Type: api.ThinkingBlockRedacted, Data: *redacted}
	default:
		return nil
	}
	return s.delta(api.Delta{ThinkingBlocks: s.thought[:]}, nil)
}

func (s *stream) newChunk() *api.ChatChunk {
	s.chunk = api.ChatChunk{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model}
	return &s.chunk
}

func (s *stream) delta(d api.Delta, finish *string) *api.ChatChunk {
	c := s.newChunk()
	s.choice[0] = api.ChunkChoice{Index: 0, Delta: d, FinishReason: finish}
	c.Choices = s.choice[:]
	return c
}

// toolCall is a tool call delta: id, type and name when it starts, argument fragments after.
func (s *stream) toolCall(block int, id, name, args string) *api.ChatChunk {
	s.index = s.tools[block]
	s.call[0] = api.ToolCall{Index: &s.index, ID: id, Function: api.FunctionCall{Name: name, Arguments: args}}
	if id != "" {
		s.call[0].Type = "function"
	}
	return s.delta(api.Delta{ToolCalls: s.call[:]}, nil)
}

// exception maps an in-stream exception, keeping Bedrock's type and message. The type is written
// as the SDKs name the error ("ThrottlingException"), the same as for an HTTP error, though the
// frame says "throttlingException". Retrying makes sense only before anything reached the client.
func (s *stream) exception(typ, msg string, payload []byte) error {
	if msg == "" {
		msg = "the provider reported " + typ + " mid-stream"
	}
	status := exceptionStatus[strings.ToLower(typ)]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	if typ != "" {
		typ = strings.ToUpper(typ[:1]) + typ[1:]
	}
	return &api.Error{Status: api.UpstreamStatus(status), Type: typ, Message: msg,
		Err:       fmt.Errorf("bedrock: stream exception %s: %s", typ, provider.Snippet(payload)),
		Retryable: !s.sent && api.RetryableStatus(status)}
}

// exceptionStatus is the HTTP status each ConverseStream exception stands for in the API model.
var exceptionStatus = map[string]int{
	"throttlingexception":         http.StatusTooManyRequests,
	"validationexception":         http.StatusBadRequest,
	"internalserverexception":     http.StatusInternalServerError,
	"modelstreamerrorexception":   http.StatusFailedDependency,
	"serviceunavailableexception": http.StatusServiceUnavailable,
}

func decodeEvent(typ string, payload []byte, v any) error {
	if err := jsonx.Unmarshal(payload, v); err != nil {
		return malformed(fmt.Errorf("bedrock: decode %s event: %w", typ, err))
	}
	return nil
}

func malformed(err error) error {
	return api.NewError("stream_interrupted", "the provider sent a malformed stream event", err)
}

func interrupted(err error) error {
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return err // the caller's deadline or the client leaving, not the provider's fault
	case errors.Is(err, io.EOF):
		// Not wrapping io.EOF itself: callers read io.EOF as a clean end.
		return api.NewError("stream_interrupted", "the provider's stream ended before its metadata event", io.ErrUnexpectedEOF)
	case errors.Is(err, eventstream.ErrTruncated):
		return api.NewError("stream_interrupted", "the provider's stream ended inside an event frame", err)
	case errors.Is(err, eventstream.ErrMalformed):
		return api.NewError("stream_interrupted", "the provider sent a corrupt event stream frame", err)
	}
	return api.NewError("stream_interrupted", "the connection to the provider broke mid-stream", err)
}
