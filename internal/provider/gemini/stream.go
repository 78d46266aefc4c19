package gemini

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

// Gemini streams (alt=sse) one GenerateContentResponse per event, "data: {...}\r\n\r\n", with
// text in pieces, function calls whole, the cumulative usageMetadata on every event and
// finishReason on each candidate's last; the body then simply ends. There is no terminal
// marker, so a stream is complete only if every candidate it began has finished when the body
// ends; an earlier end is an interruption.
// https://ai.google.dev/api/generate-content#method:-models.streamgeneratecontent

// maxCandidates bounds the candidate index a stream may use (Gemini's candidateCount limit is
// 8), so a broken upstream cannot make the decoder allocate without bound.
const maxCandidates = 64

// DecodeChatStream translates event by event: each Gemini event becomes the OpenAI chunks it
// implies (role, content, tool call header and arguments, finish), queued and handed out one
// per Next.
func (Adapter) DecodeChatStream(resp *http.Response) (provider.Stream, error) {
	return &stream{body: resp.Body, events: sse.NewReader(resp.Body), created: created(resp),
		model: modelName("", resp)}, nil
}

type stream struct {
	body    io.ReadCloser
	events  *sse.Reader
	created int64
	model   string
	id      string

	event   generateContentResponse // reused per event
	queue   []api.ChatChunk         // chunks translated from the last event
	next    int                     // queue[next] is handed out next
	cands   []candidateState
	usage   *api.Usage
	done    bool
	doneErr error // returned once the queue is drained: io.EOF or the stream's error
}

type candidateState struct {
	started, finished bool
	calls             int
}

// Next returns the next chunk; it is valid until the following call.
func (s *stream) Next() (*api.ChatChunk, error) {
	for {
		if s.next < len(s.queue) {
			s.next++
			return &s.queue[s.next-1], nil
		}
		if s.done {
			return nil, s.doneErr
		}
		s.queue, s.next = s.queue[:0], 0
		ev, err := s.events.Next()
		if err != nil {
			s.end(err)
			continue
		}
		data := bytes.TrimSpace(ev.Data)
		if len(data) == 0 {
			continue
		}
		if err := s.translate(data); err != nil {
			s.finish(err)
		}
	}
}

func (s *stream) Close() error { return s.body.Close() }

// finish ends the stream with err once the queued chunks are out.
func (s *stream) finish(err error) {
	s.done, s.doneErr = true, err
}

// end handles the end of the body: complete if every candidate finished, else interrupted.
func (s *stream) end(err error) {
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		s.finish(err) // the caller's deadline or the client leaving, not the provider's fault
	case !errors.Is(err, io.EOF):
		s.finish(api.NewError("stream_interrupted", "the connection to the provider broke mid-stream", fmt.Errorf("gemini: read stream: %w", err)))
	case !s.complete():
		// Not wrapping io.EOF itself: callers read io.EOF as a clean end.
		s.finish(api.NewError("stream_interrupted", "the provider's stream ended before its finish reason", io.ErrUnexpectedEOF))
	default:
		if s.usage != nil {
			s.queue = append(s.queue, s.chunk(nil))
			s.queue[len(s.queue)-1].Usage = s.usage
		}
		s.finish(io.EOF)
	}
}

func (s *stream) complete() bool {
	started := false
	for _, c := range s.cands {
		if c.started && !c.finished {
			return false
		}
		started = started || c.started
	}
	return started
}

// translate queues the chunks of one event, or returns the error it reports.
func (s *stream) translate(data []byte) error {
	s.event = generateContentResponse{}
	if err := jsonx.Unmarshal(data, &s.event); err != nil {
		return api.NewError("stream_interrupted", "the provider sent a malformed stream chunk", fmt.Errorf("gemini: decode chunk: %w", err))
	}
	g := &s.event
	if g.Error != nil {
		// An error mid-stream: keep Google's status and message; the answer is already partly out.
		e := g.Error.toAPIError(api.UpstreamStatus(g.Error.Code))
		e.Err = fmt.Errorf("gemini: stream error event: %s", provider.Snippet(data))
		return e
	}
	if len(g.Candidates) == 0 && g.PromptFeedback != nil && g.PromptFeedback.BlockReason != "" {
		return noCandidates(g)
	}
	if g.ResponseID != "" {
		s.id = g.ResponseID
	}
	if g.ModelVersion != "" {
		s.model = g.ModelVersion
	}
	if g.UsageMetadata != nil {
		s.usage = usage(g.UsageMetadata)
	}
	for pos := range g.Candidates {
		if err := s.candidate(pos, &g.Candidates[pos]); err != nil {
			return err
		}
	}
	return nil
}

func (s *stream) candidate(pos int, c *candidate) error {
	idx := candidateIndex(pos, c)
	if idx < 0 || idx >= maxCandidates {
		return api.NewError("stream_interrupted", "the provider sent a malformed stream chunk", fmt.Errorf("gemini: candidate index %d", idx))
	}
	for len(s.cands) <= idx {
		s.cands = append(s.cands, candidateState{})
	}
	st := &s.cands[idx]
	if st.finished {
		return nil
	}
	if !st.started {
		st.started = true
		empty := ""
		s.push(idx, api.Delta{Role: "assistant", Content: &empty})
	}
	if c.Content != nil {
		for i := range c.Content.Parts {
			s.part(idx, st, &c.Content.Parts[i])
		}
	}
	if c.FinishReason != "" {
		st.finished = true
		reason := finishReason(c.FinishReason, st.calls > 0)
		s.queue = append(s.queue, s.chunk([]api.ChunkChoice{{Index: idx, Delta: api.Delta{}, FinishReason: &reason}}))
	}
	return nil
}

// part queues a text delta, or a tool call as OpenAI streams one: a delta with its index, id,
// type and name, then one with the arguments (Gemini sends them whole).
func (s *stream) part(idx int, st *candidateState, p *part) {
	switch {
	case p.Thought:
	case p.FunctionCall != nil:
		tc := toolCall(p, st.calls)
		n := st.calls
		st.calls++
		header := api.ToolCall{Index: &n, ID: tc.ID, Type: "function", Function: api.FunctionCall{Name: tc.Function.Name}, Extra: tc.Extra}
		s.push(idx, api.Delta{ToolCalls: []api.ToolCall{header}})
		s.push(idx, api.Delta{ToolCalls: []api.ToolCall{{Index: &n, Function: api.FunctionCall{Arguments: tc.Function.Arguments}}}})
	case p.Text != nil && *p.Text != "":
		text := *p.Text
		s.push(idx, api.Delta{Content: &text})
	}
}

func (s *stream) push(idx int, d api.Delta) {
	s.queue = append(s.queue, s.chunk([]api.ChunkChoice{{Index: idx, Delta: d}}))
}

func (s *stream) chunk(choices []api.ChunkChoice) api.ChatChunk {
	if choices == nil {
		choices = []api.ChunkChoice{}
	}
	return api.ChatChunk{ID: s.id, Object: "chat.completion.chunk", Created: s.created, Model: s.model, Choices: choices}
}
