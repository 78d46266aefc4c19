package gateway

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/inbound/anthropic"
	"github.com/sluicehq/sluice/internal/router"
)

// messages serves POST /v1/messages, Anthropic's Messages API, in front of any provider: the
// request is translated to the OpenAI shape, routed exactly like a chat completion, and the
// answer translated back.
func (g *Gateway) messages(w http.ResponseWriter, r *http.Request) (err error) {
	start := time.Now()
	snap := g.snapshot.Load()
	var in anthropic.MessagesRequest
	if err := decodeJSON(w, r, snap.MaxBodyBytes, &in); err != nil {
		return err
	}
	overrideModel(r, &in.Model)
	c := &call{start: start, model: in.Model}
	defer func() { g.record(w, r, c, err) }()
	if c.meta, err = metadata(r); err != nil {
		return err
	}
	req, err := anthropic.ToChatRequest(&in)
	if err != nil {
		return err
	}
	c.stream, c.req = req.Stream, req
	route, ctx, cancel, err := g.prepareChat(w, r, snap.Routes, req)
	if err != nil {
		return err
	}
	defer cancel()
	ctx = anthropicContext(ctx, r, req)
	defer func() { g.settleChat(c, err) }()
	if route, err = g.admitChat(ctx, w, r, snap, route, req, c); err != nil {
		return err
	}
	if req.Stream {
		return g.relayMessages(ctx, w, r, snap.Routes, route, req, c)
	}
	resp, res, err := snap.Routes.Chat(ctx, route, req)
	c.res = res
	setRoutingHeaders(w, res)
	if err != nil {
		return err
	}
	c.usage, c.resp = resp.Usage, resp
	if err := g.outputGuardrails(ctx, w, resp, c); err != nil {
		return err
	}
	g.setCostHeader(w, c)
	msg, err := anthropic.FromChatResponse(resp)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, msg)
}

// relayMessages streams the answer as Anthropic events, one write and flush per chunk. As in
// relayStream, a failure before the provider answers is an ordinary error response; after the
// status is sent it becomes an error event and the stream ends without message_stop.
func (g *Gateway) relayMessages(ctx context.Context, w http.ResponseWriter, r *http.Request, table *router.Table, route *router.Route, req *api.ChatRequest, c *call) error {
	stream, res, err := table.ChatStream(ctx, route, req)
	c.res = res
	setRoutingHeaders(w, res)
	if err != nil {
		return err
	}
	defer stream.Close() // cancels the upstream request if the client left early

	rc := startSSE(w)

	bufp := chunkBufPool.Get().(*[]byte)
	defer chunkBufPool.Put(bufp)
	enc := anthropic.NewStreamEncoder(req.Model)
	sg := newStreamGuard(c)
	for {
		chunk, err := stream.Next()
		buf := (*bufp)[:0]
		done := errors.Is(err, io.EOF)
		switch {
		case done:
			if buf, err = sg.appendHeld(buf, enc); err == nil {
				buf, err = enc.AppendFinish(buf)
			}
		case err != nil: // the provider's failure, reported below
		default:
			c.observe(chunk)
			var send bool
			if send, err = sg.filter(chunk); send && err == nil {
				buf, err = enc.AppendChunk(buf, chunk)
			}
		}
		if err != nil {
			if c.failed(r, err) {
				g.writeMessagesStreamError(w, rc, r, err)
			}
			return nil
		}
		*bufp = buf
		if len(buf) > 0 && !c.send(w, rc, buf) {
			return nil // client gone; the deferred Close cancels upstream
		}
		if done {
			g.setCostTrailer(w, c)
			return nil
		}
	}
}

func (g *Gateway) writeMessagesStreamError(w http.ResponseWriter, rc *http.ResponseController, r *http.Request, err error) {
	e := api.AsError(err)
	g.log.LogAttrs(r.Context(), slog.LevelWarn, "stream failed",
		slog.String("code", e.Code), slog.Any("err", e.Err))
	_, _ = w.Write(anthropic.AppendErrorEvent(nil, e))
	_ = rc.Flush()
}

// writeAnthropicError renders an error as the Anthropic API does, so Anthropic SDKs raise
// their own typed errors.
func writeAnthropicError(w http.ResponseWriter, e *api.Error) {
	setRetryAfter(w, e)
	writeRaw(w, e.Status, anthropic.AppendError(make([]byte, 0, 256), e))
}
