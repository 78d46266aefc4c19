package gateway

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/router"
	"github.com/sluicehq/sluice/internal/store"
)

// guardrailsHeader lists the rules that fired on a request, by name only.
const guardrailsHeader = "X-Sluice-Guardrails"

// inputGuardrails applies the caller's policies to the request before it is routed: a block
// refuses it, redactions rewrite it. The scanner stays on the call for the output.
func (g *Gateway) inputGuardrails(ctx context.Context, w http.ResponseWriter, r *http.Request, snap *Snapshot, route *router.Route, req *api.ChatRequest, c *call) error {
	if snap.Guardrails == nil {
		return nil
	}
	who := principal(r)
	set := snap.Guardrails.Resolve(who.TeamName, who.Tags, route.Name)
	if set.Empty() {
		return nil
	}
	c.guard = guardrail.NewScanner(set, g.log)
	c.guardWindow = snap.Guardrails.Window()
	c.judge = g.newJudgeCaller(w, r)
	err := c.guard.Input(c.guardContext(ctx), req)
	setGuardrailsHeader(w, c)
	return guardrail.APIError(err)
}

// outputGuardrails applies output checks to a complete answer and restores redacted values.
func (g *Gateway) outputGuardrails(ctx context.Context, w http.ResponseWriter, resp *api.ChatResponse, c *call) error {
	if c.guard == nil {
		return nil
	}
	err := c.guard.Output(c.guardContext(ctx), resp)
	setGuardrailsHeader(w, c)
	return guardrail.APIError(err)
}

func setGuardrailsHeader(w http.ResponseWriter, c *call) {
	if rules := c.guard.Verdict.Rules(); rules != "" {
		w.Header().Set(guardrailsHeader, rules)
	}
}

// guardrailVerdicts is the call's verdict for the request log.
func (c *call) guardrailVerdicts() []store.GuardrailVerdict {
	if c.guard == nil {
		return nil
	}
	return c.guard.Verdict.Records()
}

// streamGuard filters a stream's deltas: one hold-back filter per choice's content and per
// tool call's arguments. When no output check or restore applies it is nil and costs nothing.
//
// Thinking (reasoning_content, thinking_blocks) passes through unscanned, as the non-stream
// output check leaves it: it is not the answer, and the provider signs it, so a redaction or a
// restored placeholder would void the signature and the client's next turn would be refused.
// What the model concludes from it reaches the client only through the answer, which is scanned.
type streamGuard struct {
	sc      *guardrail.Scanner
	window  int
	filters map[slot]*guardrail.StreamFilter
	last    api.ChatChunk  // identity of the stream, for a chunk of its own at the end
	ext     externalChecks // webhook and judge checks over the complete answer (streamhooks.go)
}

// slot is one text stream within a chunk stream: a choice's content (tool -1) or one of its
// tool calls' arguments.
type slot struct{ choice, tool int }

// newStreamGuard returns nil when the stream needs no filtering.
func newStreamGuard(c *call) *streamGuard {
	if c.guard == nil {
		return nil
	}
	sg := &streamGuard{sc: c.guard, window: c.guardWindow}
	if !sg.sc.NewStreamFilter(sg.window).Active() {
		return nil
	}
	sg.filters = map[slot]*guardrail.StreamFilter{}
	sg.ext.start(c)
	return sg
}

func (sg *streamGuard) slotFilter(s slot) *guardrail.StreamFilter {
	f := sg.filters[s]
	if f == nil {
		f = sg.sc.NewStreamFilter(sg.window)
		sg.filters[s] = f
	}
	return f
}

// chunk filters one chunk in place. It reports whether anything is left to send, and which
// choice a block ended.
func (sg *streamGuard) chunk(ch *api.ChatChunk) (send bool, blockedChoice int, err error) {
	sg.last.ID, sg.last.Object, sg.last.Created, sg.last.Model = ch.ID, ch.Object, ch.Created, ch.Model
	send = ch.Usage != nil
	for i := range ch.Choices {
		cc := &ch.Choices[i]
		sg.ext.see(cc)
		cc.Logprobs = nil // log probabilities carry the tokens' text
		if cc.Delta.Content != nil {
			out, err := sg.slotFilter(slot{cc.Index, -1}).Write(*cc.Delta.Content)
			if err != nil {
				return false, cc.Index, err
			}
			cc.Delta.Content = &out
		}
		for k := range cc.Delta.ToolCalls {
			tc := &cc.Delta.ToolCalls[k]
			idx := k
			if tc.Index != nil {
				idx = *tc.Index
			}
			out, err := sg.slotFilter(slot{cc.Index, idx}).Write(tc.Function.Arguments)
			if err != nil {
				return false, cc.Index, err
			}
			tc.Function.Arguments = out
		}
		if cc.FinishReason != nil {
			if err := sg.flushChoice(cc); err != nil {
				return false, cc.Index, err
			}
		}
		send = send || !emptyDelta(cc)
	}
	return send, 0, nil
}

// flushChoice releases everything held for a finishing choice into its last chunk.
func (sg *streamGuard) flushChoice(cc *api.ChunkChoice) error {
	for s, f := range sg.filters {
		if s.choice != cc.Index {
			continue
		}
		out, err := f.Flush()
		if err != nil {
			return err
		}
		sg.ext.keep(s, f)
		delete(sg.filters, s)
		if out == "" {
			continue
		}
		if s.tool < 0 {
			prev := ""
			if cc.Delta.Content != nil {
				prev = *cc.Delta.Content
			}
			text := prev + out
			cc.Delta.Content = &text
			continue
		}
		idx := s.tool
		cc.Delta.ToolCalls = append(cc.Delta.ToolCalls, api.ToolCall{Index: &idx, Function: api.FunctionCall{Arguments: out}})
	}
	return nil
}

// finish releases what is still held when the stream ends without a finish for some choice;
// it returns a chunk to send, or nil.
func (sg *streamGuard) finish() (*api.ChatChunk, int, error) {
	sg.ext.ending()
	if len(sg.filters) == 0 {
		return nil, 0, nil
	}
	ch := sg.last
	byChoice := map[int]int{}
	for s := range sg.filters {
		if _, ok := byChoice[s.choice]; !ok {
			byChoice[s.choice] = len(ch.Choices)
			ch.Choices = append(ch.Choices, api.ChunkChoice{Index: s.choice})
		}
	}
	for i := range ch.Choices {
		if err := sg.flushChoice(&ch.Choices[i]); err != nil {
			return nil, ch.Choices[i].Index, err
		}
	}
	return &ch, 0, nil
}

func emptyDelta(cc *api.ChunkChoice) bool {
	d := &cc.Delta
	if cc.FinishReason != nil || d.Role != "" || d.Refusal != nil || len(d.Extra) > 0 || (d.Content != nil && *d.Content != "") ||
		d.ReasoningContent != "" || len(d.ThinkingBlocks) > 0 {
		return false
	}
	for _, tc := range d.ToolCalls {
		if tc.ID != "" || tc.Function.Name != "" || tc.Function.Arguments != "" {
			return false
		}
	}
	return true
}

// contentFilterStop ends a stream a guardrail blocked: the blocked choice (every choice when
// choice is negative: an external check judged the whole answer) finishes with finish_reason
// content_filter, then an error event says why, and no [DONE] follows.
func (g *Gateway) contentFilterStop(w http.ResponseWriter, rc *http.ResponseController, r *http.Request, c *call, sg *streamGuard, choice int, err error) {
	reason := "content_filter"
	stop := api.ChatChunk{ID: sg.last.ID, Object: sg.last.Object, Created: sg.last.Created, Model: sg.last.Model}
	for _, i := range sg.ext.blocked(choice) {
		stop.Choices = append(stop.Choices, api.ChunkChoice{Index: i, FinishReason: &reason})
	}
	buf := append([]byte(nil), "data: "...)
	buf, merr := jsonx.AppendMarshal(buf, &stop)
	if merr == nil {
		buf = append(buf, '\n', '\n')
		_, _ = w.Write(buf)
	}
	gerr := guardrail.APIError(err)
	c.err = gerr
	g.log.LogAttrs(r.Context(), slog.LevelInfo, "stream blocked by guardrail", slog.String("rules", c.guard.Verdict.Rules()))
	e := api.AsError(gerr)
	ev := append([]byte("data: "), e.AppendJSON(nil)...)
	_, _ = w.Write(append(ev, '\n', '\n'))
	_ = rc.Flush()
}

// guardChunk filters one chunk of an OpenAI stream. send is false when nothing is left to
// send; stop is true when a block ended the stream (the events are written).
func (g *Gateway) guardChunk(w http.ResponseWriter, rc *http.ResponseController, r *http.Request, c *call, sg *streamGuard, chunk *api.ChatChunk) (send, stop bool) {
	send, choice, err := sg.chunk(chunk)
	if err != nil {
		g.contentFilterStop(w, rc, r, c, sg, choice, err)
		return false, true
	}
	return send, false
}

// flushStreamGuard sends what is still held when the provider's stream ends, once the
// external checks passed the complete answer; false when the stream must end here (blocked,
// or the client left).
func (g *Gateway) flushStreamGuard(w http.ResponseWriter, rc *http.ResponseController, r *http.Request, c *call, sg *streamGuard) bool {
	if sg == nil {
		return true
	}
	ch, choice, err := sg.finish()
	if err != nil {
		g.contentFilterStop(w, rc, r, c, sg, choice, err)
		return false
	}
	if ch != nil {
		buf, err := jsonx.AppendMarshal([]byte("data: "), ch)
		if err != nil {
			c.failed(r, err)
			g.writeStreamError(w, rc, r, err)
			return false
		}
		if !sg.send(c, w, rc, append(buf, '\n', '\n')) {
			return false
		}
	}
	held, err := sg.verdict(c.guardContext(r.Context()))
	if err != nil {
		g.contentFilterStop(w, rc, r, c, sg, -1, err)
		return false
	}
	return len(held) == 0 || c.send(w, rc, held)
}

// chunkEncoder renders chunks in another stream format (Anthropic's events).
type chunkEncoder interface {
	AppendChunk(dst []byte, c *api.ChatChunk) ([]byte, error)
}

// filter is chunk for streams rendered by a chunkEncoder; nil-safe. A block comes back as
// the client's error, sent as that format's error event.
func (sg *streamGuard) filter(ch *api.ChatChunk) (bool, error) {
	if sg == nil {
		return true, nil
	}
	send, _, err := sg.chunk(ch)
	return send, guardrail.APIError(err)
}
