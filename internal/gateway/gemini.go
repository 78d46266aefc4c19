package gateway

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/inbound/gemini"
	"github.com/sluicehq/sluice/internal/router"
)

// gemini serves POST /v1beta/models/{model}:{method}, the Gemini API in front of any provider.
// The model is a Sluice model or route name; requests are translated to the OpenAI shape,
// routed exactly like chat completions and embeddings, and the answers translated back.
func (g *Gateway) gemini(w http.ResponseWriter, r *http.Request) error {
	target := r.PathValue("target")
	i := strings.LastIndexByte(target, ':')
	if i < 0 {
		return api.Errorf("not_found", "no endpoint %s %s: want models/{model}:{method}", r.Method, r.URL.Path)
	}
	model, method := target[:i], target[i+1:]
	switch method {
	case "generateContent":
		return g.geminiGenerate(w, r, model, false)
	case "streamGenerateContent":
		return g.geminiGenerate(w, r, model, true)
	case "embedContent", "batchEmbedContents":
		return g.geminiEmbed(w, r, model, method == "batchEmbedContents")
	case "countTokens":
		return g.geminiCountTokens(w, r, model)
	}
	return api.Errorf("not_found", "method %q is not served here (generateContent, streamGenerateContent, embedContent, batchEmbedContents and countTokens are)", method)
}

func (g *Gateway) geminiGenerate(w http.ResponseWriter, r *http.Request, model string, stream bool) (err error) {
	start := time.Now()
	snap := g.snapshot.Load()
	var in gemini.GenerateContentRequest
	if err := decodeJSON(w, r, snap.MaxBodyBytes, &in); err != nil {
		return err
	}
	overrideModel(r, &model)
	c := &call{start: start, model: model, stream: stream}
	defer func() { g.record(w, r, c, err) }()
	if c.meta, err = metadata(r); err != nil {
		return err
	}
	req, err := gemini.ToChatRequest(model, &in, stream)
	if err != nil {
		return err
	}
	route, ctx, cancel, err := g.prepareChat(w, r, snap.Routes, req)
	if err != nil {
		return err
	}
	defer cancel()
	c.req = req
	defer func() { g.settleChat(c, err) }()
	if route, err = g.admitChat(ctx, w, r, snap, route, req, c); err != nil {
		return err
	}
	if stream {
		framing := gemini.FramingJSONArray
		if r.URL.Query().Get("alt") == "sse" {
			framing = gemini.FramingSSE
		}
		return g.relayGemini(ctx, w, r, snap.Routes, route, req, c, framing)
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
	out, err := gemini.FromChatResponse(resp)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, out)
}

// relayGemini streams the answer as Gemini events, one write and flush per chunk. As in
// relayStream, a failure before the provider answers is an ordinary error response; after the
// status is sent it becomes a final error object, which the SDKs raise as an error.
func (g *Gateway) relayGemini(ctx context.Context, w http.ResponseWriter, r *http.Request, table *router.Table, route *router.Route,
	req *api.ChatRequest, c *call, framing gemini.Framing) error {
	stream, res, err := table.ChatStream(ctx, route, req)
	c.res = res
	setRoutingHeaders(w, res)
	if err != nil {
		return err
	}
	defer stream.Close() // cancels the upstream request if the client left early

	var rc *http.ResponseController
	if framing == gemini.FramingSSE {
		rc = startSSE(w)
	} else {
		rc = startJSONStream(w)
	}
	enc := gemini.NewStreamEncoder(req.Model, framing)
	g.relayEvents(w, r, rc, stream, c, enc, enc.AppendError)
	return nil
}

// startJSONStream sends the status and headers of a stream framed as one JSON array.
func startJSONStream(w http.ResponseWriter) *http.ResponseController {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	return rc
}

// geminiEmbed serves :embedContent and :batchEmbedContents through the route's embeddings.
func (g *Gateway) geminiEmbed(w http.ResponseWriter, r *http.Request, model string, batch bool) (err error) {
	c := &call{start: time.Now(), model: model}
	snap := g.snapshot.Load()
	var reqs []gemini.EmbedContentRequest
	if batch {
		var in gemini.BatchEmbedContentsRequest
		err = decodeJSON(w, r, snap.MaxBodyBytes, &in)
		reqs = in.Requests
	} else {
		var in gemini.EmbedContentRequest
		err = decodeJSON(w, r, snap.MaxBodyBytes, &in)
		reqs = []gemini.EmbedContentRequest{in}
	}
	if err != nil {
		return err
	}
	overrideModel(r, &model)
	c.model = model
	defer func() { g.record(w, r, c, err) }()
	if c.meta, err = metadata(r); err != nil {
		return err
	}
	req, err := gemini.ToEmbeddingsRequest(model, reqs)
	if err != nil {
		return err
	}
	route, err := g.resolve(r, snap.Routes, model)
	if err != nil {
		return err
	}
	ctx, cancel, err := requestDeadline(r)
	if err != nil {
		return err
	}
	defer cancel()
	defer func() { g.settleChat(c, err) }()
	if err := g.admitRate(w, r, c, req.Model, embeddingsTokens(req)); err != nil {
		return err
	}
	if route, err = g.admitBudget(w, r, snap, route, c, embeddingsEstimate(r)); err != nil {
		return err
	}
	resp, res, err := snap.Routes.Embeddings(ctx, route, req)
	c.res = res
	setRoutingHeaders(w, res)
	if err != nil {
		return err
	}
	c.usage = &api.Usage{PromptTokens: resp.Usage.PromptTokens, TotalTokens: resp.Usage.TotalTokens}
	g.setCostHeader(w, c)
	out := gemini.FromEmbeddings(resp)
	if batch {
		return writeJSON(w, http.StatusOK, out)
	}
	if len(out.Embeddings) != 1 {
		return api.Errorf("upstream_error", "the provider returned %d embeddings for one input", len(out.Embeddings))
	}
	return writeJSON(w, http.StatusOK, &gemini.EmbedContentResponse{Embedding: out.Embeddings[0]})
}

// geminiCountTokens serves :countTokens with an estimate; see countPromptTokens. The caller
// must be allowed the model and the model must exist, as for a real request.
func (g *Gateway) geminiCountTokens(w http.ResponseWriter, r *http.Request, model string) error {
	snap := g.snapshot.Load()
	var in gemini.CountTokensRequest
	if err := decodeJSON(w, r, snap.MaxBodyBytes, &in); err != nil {
		return err
	}
	overrideModel(r, &model)
	gen, err := gemini.CountRequest(&in)
	if err != nil {
		return err
	}
	req, err := gemini.ToChatRequest(model, gen, false)
	if err != nil {
		return err
	}
	if _, err := g.resolve(r, snap.Routes, model); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, &gemini.CountTokensResponse{TotalTokens: countPromptTokens(req)})
}

// writeGeminiError renders an error as Google APIs do, so Gemini SDKs raise their own typed
// errors.
func writeGeminiError(w http.ResponseWriter, e *api.Error) {
	setRetryAfter(w, e)
	writeRaw(w, e.Status, gemini.AppendError(make([]byte, 0, 256), e))
}

// geminiKey accepts the key as Gemini clients may send it, in the key query parameter, by
// moving it to the x-goog-api-key header the authenticator reads. It is removed from the URL
// so that nothing downstream logs it.
func geminiKey(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q := r.URL.Query()
		key := q.Get("key")
		if key == "" {
			return h(w, r)
		}
		q.Del("key")
		r = r.Clone(r.Context())
		r.URL.RawQuery = q.Encode()
		r.RequestURI = r.URL.RequestURI()
		if r.Header.Get("Authorization") == "" && r.Header.Get("X-Goog-Api-Key") == "" {
			r.Header.Set("X-Goog-Api-Key", key)
		}
		return h(w, r)
	}
}
