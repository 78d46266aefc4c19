package openairesponses

import (
	"fmt"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/inbound/responses"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/openaiwire"
)

// DecodeChatStream reads the Responses API's semantic events as chat chunks: response.created
// opens the assistant message, output_text and refusal deltas become content and refusal
// deltas, each function_call item a tool call (numbered in order) whose arguments follow, and
// response.completed or .incomplete the finish chunk and then the usage chunk. The other
// events (reasoning, built-in tools, part boundaries) carry nothing chat can show.
func (Adapter) DecodeChatStream(resp *http.Response) (provider.Stream, error) {
	events, err := openaiwire.DecodeResponsesStream(resp)
	if err != nil {
		return nil, err
	}
	return &stream{events: events, calls: map[int]int{}}, nil
}

type stream struct {
	events  provider.EventStream
	id      string
	created int64
	model   string
	calls   map[int]int // output index -> tool call index
	usage   *api.Usage  // sent after the finish chunk
	chunk   api.ChatChunk
}

func (s *stream) Close() error { return s.events.Close() }

func (s *stream) Next() (*api.ChatChunk, error) {
	if s.usage != nil {
		c := s.newChunk()
		c.Choices, c.Usage, s.usage = []api.ChunkChoice{}, s.usage, nil
		return c, nil
	}
	for {
		raw, err := s.events.Next()
		if err != nil {
			return nil, err // io.EOF after the terminal event, or the provider's failure
		}
		if !translated[raw.Type] || (raw.Type == "response.output_item.added" && !isFunctionCall(raw.Data)) {
			continue // read no further: an event chat has no use for cannot break the stream
		}
		var ev responses.Event
		if err := jsonx.Unmarshal(raw.Data, &ev); err != nil {
			return nil, api.NewError("stream_interrupted", "the provider sent a malformed stream event",
				fmt.Errorf("openairesponses: decode %s event: %w", raw.Type, err))
		}
		if c, err := s.translate(&ev, raw.Usage); c != nil || err != nil {
			return c, err
		}
	}
}

// translated are the events translate reads.
var translated = map[string]bool{
	"response.created": true, "response.output_text.delta": true, "response.refusal.delta": true,
	"response.output_item.added": true, "response.function_call_arguments.delta": true,
	"response.completed": true, "response.incomplete": true, "response.failed": true,
}

// translate returns the chunk for one event, or nil for an event chat has no use for.
func (s *stream) translate(ev *responses.Event, usage *api.Usage) (*api.ChatChunk, error) {
	switch ev.Type {
	case "response.created":
		if r := ev.Response; r != nil {
			s.id, s.created, s.model = r.ID, r.CreatedAt, r.Model
		}
		empty := ""
		return s.delta(api.Delta{Role: "assistant", Content: &empty}, nil), nil
	case "response.output_text.delta":
		return s.delta(api.Delta{Content: ev.Delta}, nil), nil
	case "response.refusal.delta":
		return s.delta(api.Delta{Refusal: ev.Delta}, nil), nil
	case "response.output_item.added":
		if ev.Item == nil || ev.Item.Type != "function_call" || ev.OutputIndex == nil {
			return nil, nil
		}
		k := len(s.calls)
		s.calls[*ev.OutputIndex] = k
		args := ""
		if ev.Item.Arguments != nil {
			args = *ev.Item.Arguments
		}
		return s.delta(api.Delta{ToolCalls: []api.ToolCall{{Index: &k, ID: ev.Item.CallID, Type: "function",
			Function: api.FunctionCall{Name: ev.Item.Name, Arguments: args}}}}, nil), nil
	case "response.function_call_arguments.delta":
		if ev.OutputIndex == nil || ev.Delta == nil {
			return nil, nil
		}
		k, ok := s.calls[*ev.OutputIndex]
		if !ok {
			return nil, nil
		}
		return s.delta(api.Delta{ToolCalls: []api.ToolCall{{Index: &k, Function: api.FunctionCall{Arguments: *ev.Delta}}}}, nil), nil
	case "response.completed", "response.incomplete":
		var status string
		var details *responses.IncompleteDetails
		if r := ev.Response; r != nil {
			status, details = r.Status, r.IncompleteDetails
			if r.Model != "" {
				s.model = r.Model
			}
		}
		finish := responses.FinishReason(status, details, len(s.calls) > 0)
		s.usage = usage
		return s.delta(api.Delta{}, &finish), nil
	case "response.failed":
		var re *responses.ResponseError
		if ev.Response != nil {
			re = ev.Response.Error
		}
		return nil, failedError(re)
	}
	return nil, nil
}

func (s *stream) newChunk() *api.ChatChunk {
	s.chunk = api.ChatChunk{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model}
	return &s.chunk
}

func (s *stream) delta(d api.Delta, finish *string) *api.ChatChunk {
	c := s.newChunk()
	c.Choices = []api.ChunkChoice{{Index: 0, Delta: d, FinishReason: finish}}
	return c
}

// isFunctionCall reports whether an output_item.added event opens a function_call item.
func isFunctionCall(data []byte) bool {
	var ev struct {
		Item struct {
			Type string `json:"type"`
		} `json:"item"`
	}
	return jsonx.Unmarshal(data, &ev) == nil && ev.Item.Type == "function_call"
}
