package gateway

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/inbound/responses"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/router"
)

// Native pass-through of the Responses API. A target whose provider speaks the Responses API
// natively (responses_api: native; the openai preset's default) is sent the client's request
// as written — reasoning, built-in tools, text.format, include, truncation and every other
// member intact — with its model, and the answer comes back as the upstream sent it, events
// included. Sluice still owns the conversation: previous_response_id is expanded from the
// tenant's store into the full input and the upstream is sent store:false. That way a
// conversation survives a fallback to another provider or a request landing on another node,
// and the upstream never holds tenant state Sluice cannot delete or expire. The response id,
// store and previous_response_id the client sees are Sluice's.

// nativeDropped are the members the gateway sets itself on a native request.
var nativeDropped = []string{"model", "input", "store", "stream", "previous_response_id"}

// responsesCall prepares the translation to chat, when there is one. req is the chat-shaped
// request the policies read: the translation, or, when only a native target can carry the
// request, its ChatView. The native request is added once the route is known to have a
// native target (withNative), so translated-only routes never build it.
func responsesCall(in *responses.Request, conv conversation) (*router.ResponsesCall, *api.ChatRequest, error) {
	call := &router.ResponsesCall{}
	req, err := responses.ToChatRequest(in, conv.typed)
	if err != nil {
		if api.AsError(err).Status != http.StatusBadRequest {
			return nil, nil, err
		}
		view, verr := responses.ChatView(in, conv.typed)
		if verr != nil {
			return nil, nil, err // invalid whatever the target
		}
		call.ChatErr, req = err, view
	} else {
		call.Chat = req
	}
	return call, req, nil
}

// nativeRequest is the request a native target gets: the client's members, the whole
// conversation as input, store false.
func nativeRequest(in *responses.Request, body jsonx.Value, conv []jsonx.Value) (*provider.ResponsesRequest, error) {
	var members map[string]jsonx.Value
	if err := jsonx.Unmarshal(body, &members); err != nil {
		return nil, api.NewError("invalid_json", "the request body must be a JSON object", err)
	}
	for _, k := range nativeDropped {
		delete(members, k)
	}
	// Both would keep state at the provider, which the upstream must never hold (see above):
	// background mode needs a stored response there, and a conversation lives there.
	for _, k := range []string{"background", "conversation"} {
		if v, ok := members[k]; ok && string(v) != "null" && string(v) != "false" {
			e := api.Errorf("invalid_request", "%s is not supported through Sluice, which keeps the conversation state itself; use previous_response_id", k)
			e.Param = k
			return nil, e
		}
	}
	extra, err := jsonx.Marshal(members)
	if err != nil {
		return nil, fmt.Errorf("gateway: encode native request: %w", err)
	}
	input, err := upstreamInput(conv)
	if err != nil {
		return nil, err
	}
	return &provider.ResponsesRequest{Model: in.Model, Input: input, Stream: in.Stream, Extra: extra}, nil
}

// rawInput reads the body's input as items: a string is one user message.
func rawInput(body jsonx.Value) ([]jsonx.Value, error) {
	var b struct {
		Input jsonx.Value `json:"input"`
	}
	if err := jsonx.Unmarshal(body, &b); err != nil {
		return nil, api.NewError("invalid_json", "invalid JSON in request body: "+err.Error(), err)
	}
	switch {
	case len(b.Input) == 0 || string(b.Input) == "null":
		return nil, nil
	case b.Input[0] == '"':
		item, err := jsonx.Marshal(&responses.Item{Type: "message", Role: "user", Content: responses.Parts{{Type: "input_text"}}})
		if err != nil {
			return nil, fmt.Errorf("gateway: encode input: %w", err)
		}
		item, err = jsonx.ReplaceMembers(item, map[string]jsonx.Value{"content": b.Input})
		if err != nil {
			return nil, fmt.Errorf("gateway: encode input: %w", err)
		}
		return []jsonx.Value{item}, nil
	}
	var items []jsonx.Value
	if err := jsonx.Unmarshal(b.Input, &items); err != nil {
		return nil, api.Errorf("invalid_request", "input: must be a string or an array of input items")
	}
	return items, nil
}

// upstreamInput prepares the conversation for an upstream that stores nothing: item ids
// name items the upstream never kept, so they go — with a message's status, which the input
// form of a message without an id does not have — and a reasoning item the upstream could
// only resolve by id (it carries no encrypted_content) is left out: the model reasons again.
func upstreamInput(conv []jsonx.Value) (jsonx.Value, error) {
	out := make([]jsonx.Value, 0, len(conv))
	for _, item := range conv {
		var head struct {
			Type      string      `json:"type"`
			Encrypted jsonx.Value `json:"encrypted_content"`
		}
		if jsonx.Unmarshal(item, &head) != nil {
			return nil, api.Errorf("invalid_request", "input: every item must be a JSON object")
		}
		switch head.Type {
		case "reasoning":
			if len(head.Encrypted) == 0 || string(head.Encrypted) == "null" {
				continue
			}
		case "", "message", "function_call", "function_call_output":
			drop := dropID
			if head.Type == "" || head.Type == "message" {
				drop = dropIDAndStatus
			}
			var err error
			if item, err = jsonx.ReplaceMembers(item, drop); err != nil {
				return nil, api.Errorf("invalid_request", "input: every item must be a JSON object")
			}
		}
		out = append(out, item)
	}
	b, err := jsonx.Marshal(out)
	if err != nil {
		return nil, fmt.Errorf("gateway: encode input: %w", err)
	}
	return b, nil
}

var (
	dropID          = map[string]jsonx.Value{"id": nil}
	dropIDAndStatus = map[string]jsonx.Value{"id": nil, "status": nil}
)

// patchResponse gives an upstream response object Sluice's id, store and
// previous_response_id, leaving everything else as the upstream sent it.
func patchResponse(body jsonx.Value, resp *responses.Response) (jsonx.Value, error) {
	id, err := jsonx.Marshal(resp.ID)
	if err != nil {
		return nil, err
	}
	prev := jsonx.Value("null")
	if resp.PreviousResponseID != nil {
		if prev, err = jsonx.Marshal(*resp.PreviousResponseID); err != nil {
			return nil, err
		}
	}
	store := jsonx.Value("false")
	if resp.Store {
		store = jsonx.Value("true")
	}
	out, err := jsonx.ReplaceMembers(body, map[string]jsonx.Value{"id": id, "store": store, "previous_response_id": prev})
	if err != nil {
		return nil, api.NewError("upstream_error", "the provider's response is not a JSON object", err)
	}
	return out, nil
}

// writeNativeResponse relays a native non-streaming answer and stores it.
func (g *Gateway) writeNativeResponse(w http.ResponseWriter, r *http.Request, c *call, a *provider.ResponsesAnswer,
	resp *responses.Response, tenant string, conv conversation) error {
	c.usage = a.Usage
	var out responses.Response
	if jsonx.Unmarshal(a.Body, &out) == nil {
		c.resp = responses.ToChatResponse(&out, a.Usage) // what the log and estimates read
	}
	body, err := patchResponse(a.Body, resp)
	if err != nil {
		return err
	}
	if a.Status == responses.StatusFailed {
		c.err = api.Errorf("upstream_error", "the provider failed the response")
	}
	g.setCostHeader(w, c)
	if resp.Store {
		g.keepRaw(r, tenant, resp.ID, body, conv.raw)
	}
	writeRaw(w, http.StatusOK, body)
	return nil
}

// nativeRelay is what relayNative knows of the stream so far.
type nativeRelay struct {
	resp   *responses.Response
	text   *streamedText // the deltas, for the log and an estimate if usage never comes
	seq    int           // the next sequence_number: the upstream numbers its events from 0
	last   jsonx.Value   // the latest response object, patched
	output []jsonx.Value // items the upstream has finished
}

// relayNative relays a native event stream event by event, each written and flushed as it
// arrives. Lifecycle events carry Sluice's response id; the terminal event's response is
// stored. A failure after the start ends the stream with an error event and response.failed,
// as on the translated path.
func (g *Gateway) relayNative(w http.ResponseWriter, r *http.Request, rc *http.ResponseController, s provider.EventStream,
	c *call, resp *responses.Response, tenant string, conv conversation) {
	bufp := chunkBufPool.Get().(*[]byte)
	defer chunkBufPool.Put(bufp)
	st := &nativeRelay{resp: resp, text: &c.text}
	for {
		ev, err := s.Next()
		if errors.Is(err, io.EOF) {
			g.setCostTrailer(w, c)
			g.keepNative(r, tenant, st, conv)
			return
		}
		if err == nil {
			var data jsonx.Value
			if data, err = st.event(ev); err == nil {
				buf := appendSSE((*bufp)[:0], ev.Type, data)
				*bufp = buf
				c.answered = true
				if !c.send(w, rc, buf) {
					return // the caller's deferred Close cancels upstream
				}
				st.seq++
				if ev.Terminal() {
					c.usage = ev.Usage
					if ev.Type == "response.failed" {
						c.err = api.Errorf("upstream_error", "the provider failed the response")
					}
				}
				continue
			}
		}
		if !c.failed(r, err) {
			return
		}
		e := api.AsError(err)
		g.log.LogAttrs(r.Context(), slog.LevelWarn, "stream failed", slog.String("code", e.Code), slog.Any("err", e.Err))
		buf, ferr := st.appendFailure((*bufp)[:0], e)
		*bufp = buf
		if ferr != nil {
			g.log.LogAttrs(r.Context(), slog.LevelError, "response.failed not encoded", slog.Any("err", ferr))
		}
		_, _ = w.Write(buf)
		_ = rc.Flush()
		g.keepNative(r, tenant, st, conv)
		return
	}
}

// event is an upstream event as relayed: lifecycle events with the response patched.
func (st *nativeRelay) event(ev *provider.ResponsesEvent) (jsonx.Value, error) {
	var m struct {
		Response jsonx.Value `json:"response"`
		Item     jsonx.Value `json:"item"`
		Delta    jsonx.Value `json:"delta"` // a string in the events read here; other types unread
	}
	if err := jsonx.Unmarshal(ev.Data, &m); err != nil {
		return nil, api.NewError("stream_interrupted", "the provider sent a malformed stream event", err)
	}
	switch ev.Type {
	case "response.output_text.delta", "response.refusal.delta", "response.function_call_arguments.delta":
		var delta string
		if jsonx.Unmarshal(m.Delta, &delta) == nil {
			st.text.add(delta)
		}
	}
	if ev.Type == "response.output_item.done" && len(m.Item) > 0 {
		st.output = append(st.output, m.Item)
	}
	if len(m.Response) == 0 || m.Response[0] != '{' {
		return ev.Data, nil
	}
	patched, err := patchResponse(m.Response, st.resp)
	if err != nil {
		return nil, err
	}
	st.last = patched
	return jsonx.ReplaceMembers(ev.Data, map[string]jsonx.Value{"response": patched})
}

// appendFailure appends the error event and response.failed, whose response holds the items
// finished before the failure.
func (st *nativeRelay) appendFailure(dst []byte, e *api.Error) ([]byte, error) {
	failed := *st.resp
	responses.Failed(&failed, e)
	code := e.Code
	if code == "" {
		code = failed.Error.Code
	}
	errEv, err := jsonx.Marshal(&responses.Event{Type: "error", SequenceNumber: st.seq, Code: code, Message: e.Message, Param: responses.ErrorParam(e)})
	if err != nil {
		return dst, err
	}
	dst = appendSSE(dst, "error", errEv)
	st.seq++
	base := st.last
	if base == nil {
		if base, err = jsonx.Marshal(st.resp); err != nil {
			return dst, err
		}
	}
	status, _ := jsonx.Marshal(failed.Status)
	errObj, _ := jsonx.Marshal(failed.Error)
	output, err := jsonx.Marshal(st.output)
	if err != nil {
		return dst, err
	}
	if output == nil || string(output) == "null" {
		output = jsonx.Value("[]")
	}
	if st.last, err = jsonx.ReplaceMembers(base, map[string]jsonx.Value{"status": status, "error": errObj, "output": output}); err != nil {
		return dst, err
	}
	seq, _ := jsonx.Marshal(st.seq)
	ev, err := jsonx.Marshal(&struct {
		Type           string      `json:"type"`
		SequenceNumber jsonx.Value `json:"sequence_number"`
		Response       jsonx.Value `json:"response"`
	}{"response.failed", seq, st.last})
	if err != nil {
		return dst, err
	}
	st.seq++
	return appendSSE(dst, "response.failed", ev), nil
}

// keepNative stores the last response object the stream carried, complete or failed.
func (g *Gateway) keepNative(r *http.Request, tenant string, st *nativeRelay, conv conversation) {
	if st.resp.Store && st.last != nil {
		g.keepRaw(r, tenant, st.resp.ID, st.last, conv.raw)
	}
}

// appendSSE appends one named server-sent event.
func appendSSE(dst []byte, name string, data []byte) []byte {
	dst = append(dst, "event: "...)
	dst = append(dst, name...)
	dst = append(dst, "\ndata: "...)
	dst = append(dst, data...)
	return append(dst, '\n', '\n')
}
