package gateway

import (
	"context"
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

	g.relayEvents(w, r, startSSE(w), stream, c, anthropic.NewStreamEncoder(req.Model), anthropic.AppendErrorEvent)
	return nil
}

// writeAnthropicError renders an error as the Anthropic API does, so Anthropic SDKs raise
// their own typed errors.
func writeAnthropicError(w http.ResponseWriter, e *api.Error) {
	setRetryAfter(w, e)
	writeRaw(w, e.Status, anthropic.AppendError(make([]byte, 0, 256), e))
}
