package gemini

import (
	"fmt"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// Framing says how a stream's GenerateContentResponse objects are delimited: server-sent
// events for ?alt=sse (what the SDKs ask for), else the elements of one JSON array, written
// as they arrive (https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent).
type Framing int

const (
	FramingSSE Framing = iota
	FramingJSONArray
)

// StreamEncoder turns a stream of chat chunks into Gemini stream events as they arrive: each
// text delta becomes an event with one text part. Function calls are sent whole, as Gemini
// does, so their argument fragments are collected and sent with the last event, which also
// carries the finish reason and the final usageMetadata. OpenAI sends the usage chunk after the
// finish chunk, so that last event waits for Finish.
type StreamEncoder struct {
	framing Framing
	model   string
	id      string
	events  int
	calls   []pendingCall // by OpenAI tool call index, in arrival order
	finish  string
	usage   *api.Usage
	event   GenerateContentResponse // reused per event
	text    [1]ResponsePart
}

type pendingCall struct {
	index    int
	id, name string
	args     []byte
}

// NewStreamEncoder returns an encoder whose events name model until a chunk names the
// serving model.
func NewStreamEncoder(model string, framing Framing) *StreamEncoder {
	return &StreamEncoder{framing: framing, model: model}
}

// AppendChunk appends the events for one chunk to dst.
func (s *StreamEncoder) AppendChunk(dst []byte, c *api.ChatChunk) ([]byte, error) {
	if c.Model != "" {
		s.model = c.Model
	}
	if c.ID != "" {
		s.id = c.ID
	}
	if c.Usage != nil {
		u := *c.Usage
		s.usage = &u
	}
	var err error
	for i := range c.Choices {
		ch := &c.Choices[i]
		if ch.Index != 0 {
			continue // translated requests ask for one candidate
		}
		for _, d := range [...]*string{ch.Delta.Content, ch.Delta.Refusal} {
			if d != nil && *d != "" {
				s.text[0] = ResponsePart{Text: d}
				if dst, err = s.appendEvent(dst, s.text[:], "", false); err != nil {
					return dst, err
				}
			}
		}
		for j := range ch.Delta.ToolCalls {
			s.collect(&ch.Delta.ToolCalls[j])
		}
		if ch.FinishReason != nil && *ch.FinishReason != "" {
			s.finish = *ch.FinishReason
		}
	}
	return dst, nil
}

// collect adds a tool call fragment to its call. A new id at a known index is a new call:
// some providers number every call 0.
func (s *StreamEncoder) collect(tc *api.ToolCall) {
	idx := 0
	if tc.Index != nil {
		idx = *tc.Index
	}
	for i := len(s.calls) - 1; i >= 0; i-- {
		c := &s.calls[i]
		if c.index != idx {
			continue
		}
		if tc.ID != "" && tc.ID != c.id {
			break
		}
		if c.name == "" {
			c.name = tc.Function.Name
		}
		c.args = append(c.args, tc.Function.Arguments...)
		return
	}
	s.calls = append(s.calls, pendingCall{index: idx, id: tc.ID, name: tc.Function.Name, args: []byte(tc.Function.Arguments)})
}

// AppendFinish appends the last event: collected function calls, the finish reason and the
// usage; and, for array framing, the closing bracket. A stream that produced no chunk still
// ends well-formed.
func (s *StreamEncoder) AppendFinish(dst []byte) ([]byte, error) {
	parts := make([]ResponsePart, 0, max(1, len(s.calls)))
	for i := range s.calls {
		c := &s.calls[i]
		fc, err := functionCall(c.id, c.name, string(c.args))
		if err != nil {
			return dst, err
		}
		parts = append(parts, ResponsePart{FunctionCall: fc})
	}
	if len(parts) == 0 {
		parts = append(parts, ResponsePart{Text: new(string)})
	}
	finish := s.finish
	if finish == "" {
		finish = "stop" // a provider that ended without a reason ended normally
	}
	dst, err := s.appendEvent(dst, parts, FinishReason(finish), true)
	if err != nil {
		return dst, err
	}
	if s.framing == FramingJSONArray {
		dst = append(dst, ']')
	}
	return dst, nil
}

// AppendError appends e as the stream's last event: Gemini's error object, which the SDKs
// raise as an API error instead of taking the stream as complete.
func (s *StreamEncoder) AppendError(dst []byte, e *api.Error) []byte {
	dst = s.appendSeparator(dst)
	dst = AppendError(dst, e)
	if s.framing == FramingJSONArray {
		return append(dst, ']')
	}
	return append(dst, "\r\n\r\n"...)
}

func (s *StreamEncoder) appendEvent(dst []byte, parts []ResponsePart, finish string, last bool) ([]byte, error) {
	ev := &s.event
	if ev.Candidates == nil {
		ev.Candidates = make([]Candidate, 1)
		ev.Candidates[0].Content = &ResponseContent{Role: "model"}
	}
	ev.Candidates[0].Content.Parts = parts
	ev.Candidates[0].FinishReason = finish
	ev.ModelVersion, ev.ResponseID = s.model, s.id
	ev.UsageMetadata = nil
	if last {
		ev.UsageMetadata = usageFrom(s.usage)
	}
	dst = s.appendSeparator(dst)
	dst, err := jsonx.AppendMarshal(dst, ev)
	if err != nil {
		return dst, fmt.Errorf("gemini: encode stream event: %w", err)
	}
	if s.framing == FramingSSE {
		dst = append(dst, "\r\n\r\n"...)
	}
	return dst, nil
}

// appendSeparator starts an event: "data: " for SSE; "[" or "," for array framing.
func (s *StreamEncoder) appendSeparator(dst []byte) []byte {
	s.events++
	switch {
	case s.framing == FramingSSE:
		return append(dst, "data: "...)
	case s.events == 1:
		return append(dst, '[')
	default:
		return append(dst, ",\r\n"...)
	}
}
