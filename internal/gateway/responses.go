package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/inbound/responses"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/router"
	"github.com/sluicehq/sluice/internal/store"
)

// ResponseStore keeps Responses API responses per tenant; *sqlite.Store and *postgres.Store.
type ResponseStore interface {
	PutResponse(ctx context.Context, r store.StoredResponse) error
	GetResponse(ctx context.Context, tenant, id string) (store.StoredResponse, error)
	DeleteResponse(ctx context.Context, tenant, id string) error
}

// responseKeeper is where responses are stored and for how long; nil store: none are.
type responseKeeper struct {
	store     ResponseStore
	retention time.Duration
}

// WithResponses stores Responses API responses in rs for retention, so previous_response_id
// and GET/DELETE /v1/responses/{id} work. Without it nothing is stored.
func WithResponses(rs ResponseStore, retention time.Duration) Option {
	return func(g *Gateway) { g.stored = responseKeeper{store: rs, retention: retention} }
}

// storeTimeout bounds writing a finished response, which happens after the client has its
// answer and so must not depend on the client's connection.
const storeTimeout = 5 * time.Second

// createResponse serves POST /v1/responses, OpenAI's Responses API, in front of any provider:
// a target that speaks the Responses API natively gets the request as the client wrote it
// (responses_native.go); any other gets it translated to the chat shape, routed exactly like a
// chat completion, and the answer translated back. Either way the answer is stored for the
// tenant.
func (g *Gateway) createResponse(w http.ResponseWriter, r *http.Request) (err error) {
	start := time.Now()
	snap := g.snapshot.Load()
	var raw jsonx.Value
	if err := decodeJSON(w, r, snap.MaxBodyBytes, &raw); err != nil {
		return err
	}
	var in responses.Request
	if err := jsonx.Unmarshal(raw, &in); err != nil {
		return api.NewError("invalid_json", "invalid JSON in request body: "+err.Error(), err)
	}
	overrideModel(r, &in.Model)
	c := &call{start: start, model: in.Model, stream: in.Stream}
	defer func() { g.record(w, r, c, err) }()
	if c.meta, err = metadata(r); err != nil {
		return err
	}
	tenant := tenantOf(principal(r))
	conv, err := g.conversation(r.Context(), tenant, &in, raw)
	if err != nil {
		return err
	}
	call, req, err := responsesCall(&in, conv)
	if err != nil {
		return err
	}
	route, ctx, cancel, err := g.prepareChat(w, r, snap.Routes, req)
	if err != nil {
		return err
	}
	defer cancel()
	if !route.NativeResponses() {
		if call.ChatErr != nil {
			return call.ChatErr // no target can take what the translation refuses
		}
	} else if call.Native, err = nativeRequest(&in, raw, conv.raw); err != nil {
		return err
	}
	c.req = req
	defer func() { g.settleChat(c, err) }()
	if route, err = g.admitChat(ctx, w, r, snap, route, req, c); err != nil {
		return err
	}
	if c.guard != nil {
		// Guardrails read and may rewrite the chat-shaped request and answer: a request they
		// apply to is translated for every target, so nothing goes upstream unchecked.
		if call.ChatErr != nil {
			return call.ChatErr
		}
		call.Native, call.Chat = nil, req
	} else if call.Native == nil && route.NativeResponses() {
		// A budget's reroute landed on a route with a native target.
		if call.Native, err = nativeRequest(&in, raw, conv.raw); err != nil {
			return err
		}
	}
	resp := responses.NewResponse(&in, newResponseID(), start.Unix())
	resp.Store = g.stored.store != nil && resp.Store
	if in.Stream {
		return g.relayResponses(ctx, w, r, snap.Routes, route, call, c, resp, tenant, conv)
	}
	ans, res, err := snap.Routes.Responses(ctx, route, call)
	c.res = res
	setRoutingHeaders(w, res)
	if err != nil {
		return err
	}
	if ans.Native != nil {
		return g.writeNativeResponse(w, r, c, ans.Native, resp, tenant, conv)
	}
	chat := ans.Chat
	c.usage, c.resp = chat.Usage, chat
	if err := g.outputGuardrails(ctx, w, chat, c); err != nil {
		return err
	}
	g.setCostHeader(w, c)
	responses.Complete(resp, chat)
	g.keep(r, tenant, resp, conv.raw)
	return writeJSON(w, http.StatusOK, resp)
}

// conversation is the request's input preceded, when it names previous_response_id, by the
// stored conversation of that response: its input items, then its output. It is kept typed,
// for the translation, and as the items' JSON, for native targets and the store, which must
// not lose what the typed form drops.
func (g *Gateway) conversation(ctx context.Context, tenant string, in *responses.Request, body jsonx.Value) (conversation, error) {
	input, err := rawInput(body)
	if err != nil {
		return conversation{}, err
	}
	if in.PreviousResponseID == "" {
		return conversation{typed: in.Input, raw: input}, nil
	}
	prev, err := g.loadResponse(ctx, tenant, in.PreviousResponseID)
	if err != nil {
		if e := api.AsError(err); e.Code == "response_not_found" {
			e.Param = "previous_response_id"
		}
		return conversation{}, err
	}
	var items []jsonx.Value
	var out struct {
		Output []jsonx.Value `json:"output"`
	}
	if err := jsonx.Unmarshal(prev.Items, &items); err != nil {
		return conversation{}, fmt.Errorf("gateway: decode stored items of %q: %w", prev.ID, err)
	}
	if err := jsonx.Unmarshal(prev.Response, &out); err != nil {
		return conversation{}, fmt.Errorf("gateway: decode stored response %q: %w", prev.ID, err)
	}
	raw := make([]jsonx.Value, 0, len(items)+len(out.Output)+len(input))
	raw = append(raw, items...)
	raw = append(raw, out.Output...)
	raw = append(raw, input...)
	c := conversation{raw: raw, typed: make(responses.Items, 0, len(raw))}
	for i, v := range items {
		var it responses.Item
		if err := jsonx.Unmarshal(v, &it); err != nil {
			return conversation{}, fmt.Errorf("gateway: decode stored item %d of %q: %w", i, prev.ID, err)
		}
		c.typed = append(c.typed, it)
	}
	// The answer's items as the translation reads them: its messages and function calls. The
	// rest (reasoning, a native answer's built-in tool calls) served only the model that made
	// them, whose results are in its messages.
	output := make([]responses.OutputItem, 0, len(out.Output))
	for i, v := range out.Output {
		var head struct {
			Type string `json:"type"`
		}
		if jsonx.Unmarshal(v, &head) != nil || (head.Type != "message" && head.Type != "function_call") {
			continue
		}
		var o responses.OutputItem
		if err := jsonx.Unmarshal(v, &o); err != nil {
			return conversation{}, fmt.Errorf("gateway: decode stored output %d of %q: %w", i, prev.ID, err)
		}
		output = append(output, o)
	}
	c.typed = append(c.typed, responses.ToItems(output)...)
	c.typed = append(c.typed, in.Input...)
	return c, nil
}

// conversation is every input item of a request, in order.
type conversation struct {
	typed responses.Items
	raw   []jsonx.Value
}

func (g *Gateway) loadResponse(ctx context.Context, tenant, id string) (store.StoredResponse, error) {
	if g.stored.store == nil {
		return store.StoredResponse{}, api.Errorf("response_not_found", "no response with id %q: this gateway does not store responses", id)
	}
	sr, err := g.stored.store.GetResponse(ctx, tenant, id)
	if errors.Is(err, store.ErrNotFound) {
		return sr, api.Errorf("response_not_found", "no response with id %q", id)
	}
	if err != nil {
		return sr, fmt.Errorf("gateway: read stored response %q: %w", id, err)
	}
	return sr, nil
}

// keep stores a finished response when storing is on and the request did not opt out. A
// failure to store is logged, not returned: the client already has (or is getting) its answer.
func (g *Gateway) keep(r *http.Request, tenant string, resp *responses.Response, conv []jsonx.Value) {
	if !resp.Store {
		return
	}
	body, err := jsonx.Marshal(resp)
	if err == nil {
		g.keepRaw(r, tenant, resp.ID, body, conv)
		return
	}
	g.log.LogAttrs(r.Context(), slog.LevelWarn, "response not stored",
		slog.String("response_id", resp.ID), slog.Any("err", err))
}

// keepRaw stores a response's JSON and its conversation's input items.
func (g *Gateway) keepRaw(r *http.Request, tenant, id string, body []byte, conv []jsonx.Value) {
	items, err := jsonx.Marshal(conv)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), storeTimeout)
		defer cancel()
		now := time.Now()
		err = g.stored.store.PutResponse(ctx, store.StoredResponse{ID: id, Tenant: tenant,
			CreatedAt: now, ExpiresAt: now.Add(g.stored.retention), Response: body, Items: items})
	}
	if err != nil {
		g.log.LogAttrs(r.Context(), slog.LevelWarn, "response not stored",
			slog.String("response_id", id), slog.Any("err", err))
	}
}

// relayResponses streams the answer as Responses events, one write and flush per event: a
// native target's events as it sent them (relayNative), a translated one's chunks through the
// encoder. As in relayStream, a failure before the provider answers is an ordinary error
// response; after the status is sent it becomes an error event and response.failed, never
// response.completed.
func (g *Gateway) relayResponses(ctx context.Context, w http.ResponseWriter, r *http.Request, table *router.Table,
	route *router.Route, call *router.ResponsesCall, c *call, resp *responses.Response, tenant string, conv conversation) error {
	stream, res, err := table.ResponsesStream(ctx, route, call)
	c.res = res
	setRoutingHeaders(w, res)
	if err != nil {
		return err
	}
	defer stream.Close() // cancels the upstream request if the client left early

	rc := startSSE(w)
	if stream.Native != nil {
		g.relayNative(w, r, rc, stream.Native, c, resp, tenant, conv)
		return nil
	}
	enc := responses.NewStreamEncoder(resp)
	// A failed response is kept too, as OpenAI keeps them: GET shows what went wrong.
	if g.relayEvents(w, r, rc, stream.Chat, c, enc, enc.AppendFailure) != streamGone {
		g.keep(r, tenant, enc.Response(), conv.raw)
	}
	return nil
}

// getResponse serves GET /v1/responses/{id}: the tenant's stored response as it was sent.
func (g *Gateway) getResponse(w http.ResponseWriter, r *http.Request) error {
	sr, err := g.loadResponse(r.Context(), tenantOf(principal(r)), r.PathValue("id"))
	if err != nil {
		return err
	}
	writeRaw(w, http.StatusOK, sr.Response)
	return nil
}

// deleteResponse serves DELETE /v1/responses/{id}.
func (g *Gateway) deleteResponse(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if g.stored.store == nil {
		return api.Errorf("response_not_found", "no response with id %q: this gateway does not store responses", id)
	}
	err := g.stored.store.DeleteResponse(r.Context(), tenantOf(principal(r)), id)
	if errors.Is(err, store.ErrNotFound) {
		return api.Errorf("response_not_found", "no response with id %q", id)
	}
	if err != nil {
		return fmt.Errorf("gateway: delete stored response %q: %w", id, err)
	}
	return writeJSON(w, http.StatusOK, &deletedResponse{ID: id, Object: "response.deleted", Deleted: true})
}

type deletedResponse struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Deleted bool   `json:"deleted"`
}

// tenantOf is the namespace a principal's responses live in: its team, else its key or user.
// Everyone on one team shares the team's responses, as they share its keys and budget; the
// master key and anonymous callers share the empty namespace.
func tenantOf(p *auth.Principal) string {
	switch {
	case p.TeamID != "":
		return "team:" + p.TeamID
	case p.KeyID != "":
		return "key:" + p.KeyID
	case p.UserID != "":
		return "user:" + p.UserID
	}
	return ""
}

// newResponseID returns "resp_" and 32 random hex digits. Ids come from crypto/rand because
// within a tenant knowing one is enough to read or delete the response.
func newResponseID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand documents it)
	return "resp_" + hex.EncodeToString(b[:])
}

func (g *Gateway) registerResponses(mux *http.ServeMux) {
	mux.Handle("POST /v1/responses", g.handle(g.authenticated(g.createResponse)))
	mux.Handle("GET /v1/responses/{id}", g.handle(g.authenticated(g.getResponse)))
	mux.Handle("DELETE /v1/responses/{id}", g.handle(g.authenticated(g.deleteResponse)))
	mux.Handle("GET /v1/responses/{id}/input_items", g.handle(g.authenticated(g.listInputItems)))
	mux.Handle("/v1/responses", g.handle(methodNotAllowed))
}
