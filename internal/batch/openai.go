package batch

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/azure"
	"github.com/sluicehq/sluice/internal/store"
)

// OpenAI's Batch API (https://platform.openai.com/docs/api-reference/batch), and Azure
// OpenAI's copy of it: upload the lines as a file of purpose "batch", create a batch on it,
// poll it, then read its output and error files. The same wire format serves Sluice's own
// clients.

// oaAPI addresses the Files and Batch APIs of an OpenAI-format target: OpenAI's at {base}/files
// and {base}/batches with "/v1/..." line URLs, or Azure OpenAI's at {endpoint}/openai/files and
// /openai/batches with api-version and "/chat/completions" line URLs, whose body model is the
// (Global-Batch) deployment (https://learn.microsoft.com/azure/ai-foundry/openai/how-to/batch).
type oaAPI struct {
	base, query string
	azure       bool
}

func oaAPIFor(t *provider.Target) oaAPI {
	if t.Adapter.Type() != "azure" {
		return oaAPI{base: t.BaseURL}
	}
	version := t.Settings.APIVersion
	if version == "" {
		version = azure.DefaultAPIVersion
	}
	return oaAPI{base: strings.TrimSuffix(t.BaseURL, "/openai") + "/openai", query: "?api-version=" + url.QueryEscape(version), azure: true}
}

func (a oaAPI) url(path string) string { return a.base + path + a.query }

// lineURL is the URL a line (or the batch's endpoint) names upstream.
func (a oaAPI) lineURL(u string) string {
	if a.azure {
		return strings.TrimPrefix(u, "/v1")
	}
	return u
}

type oaBatch struct {
	ID           string  `json:"id"`
	Status       string  `json:"status"`
	OutputFileID *string `json:"output_file_id"`
	ErrorFileID  *string `json:"error_file_id"`
	Errors       *Errors `json:"errors"`
}

type oaInputLine struct {
	CustomID string      `json:"custom_id"`
	Method   string      `json:"method"`
	URL      string      `json:"url"`
	Body     jsonx.Value `json:"body"`
}

type oaOutputLine struct {
	CustomID string `json:"custom_id"`
	Response *struct {
		StatusCode int         `json:"status_code"`
		RequestID  string      `json:"request_id"`
		Body       jsonx.Value `json:"body"`
	} `json:"response"`
	Error *outputError `json:"error"`
}

// openaiBatches is OpenAI's (and Azure OpenAI's) Files and Batch APIs.
type openaiBatches struct{}

func (openaiBatches) submit(ctx context.Context, r *run, t *provider.Target, g *group) error {
	return r.submitOpenAI(ctx, t, g)
}

func (openaiBatches) cancel(ctx context.Context, t *provider.Target, hdr http.Header, id string) error {
	_, err := call(ctx, t, http.MethodPost, oaAPIFor(t).url("/batches/"+id+"/cancel"), hdr, "", nil)
	return err
}

func (openaiBatches) poll(ctx context.Context, r *run, t *provider.Target, hdr http.Header, g *group) error {
	a := oaAPIFor(t)
	data, err := call(ctx, t, http.MethodGet, a.url("/batches/"+g.UpstreamID), hdr, "", nil)
	if err != nil {
		return r.upstreamFailed(g, err)
	}
	g.Failures = 0
	var ob oaBatch
	if err := jsonx.Unmarshal(data, &ob); err != nil {
		return r.upstreamFailed(g, api.NewError("upstream_error", "the provider's batch object is unreadable", err))
	}
	if !store.BatchDone(ob.Status) {
		return nil
	}
	return r.collectOpenAI(ctx, t, a, g, hdr, &ob)
}

// submitOpenAI uploads the group's lines, translated for the target, and creates the job.
func (r *run) submitOpenAI(ctx context.Context, t *provider.Target, g *group) error {
	pending, err := r.translatePending(ctx, t, g)
	if err != nil || len(pending) == 0 {
		return err
	}
	a := oaAPIFor(t)
	var jsonl bytes.Buffer
	for _, p := range pending {
		if err := jsonx.MarshalWrite(&jsonl, &oaInputLine{CustomID: lineKey(p.i), Method: http.MethodPost,
			URL: a.lineURL(p.l.URL), Body: p.ub.body}); err != nil {
			return err
		}
		jsonl.WriteByte('\n')
	}
	hdr := pending[0].ub.header
	body, contentType, err := multipartFile("batch", "sluice_"+r.b.ID+".jsonl", jsonl.Bytes())
	if err != nil {
		return err
	}
	data, err := call(ctx, t, http.MethodPost, a.url("/files"), hdr, contentType, body)
	if err != nil {
		return r.upstreamFailed(g, err)
	}
	var file struct {
		ID string `json:"id"`
	}
	if err := jsonx.Unmarshal(data, &file); err != nil || file.ID == "" {
		return r.upstreamFailed(g, api.NewError("upstream_error", "the provider's file object is unreadable", err))
	}
	create, err := jsonx.Marshal(map[string]any{"input_file_id": file.ID, "endpoint": a.lineURL(r.obj.Endpoint),
		"completion_window": Window, "metadata": map[string]string{"sluice_batch_id": r.b.ID}})
	if err != nil {
		return err
	}
	if data, err = call(ctx, t, http.MethodPost, a.url("/batches"), hdr, "application/json", create); err != nil {
		return r.upstreamFailed(g, err)
	}
	var ob oaBatch
	if err := jsonx.Unmarshal(data, &ob); err != nil || ob.ID == "" {
		return r.upstreamFailed(g, api.NewError("upstream_error", "the provider's batch object is unreadable", err))
	}
	g.UpstreamID, g.Failures = ob.ID, 0
	return r.checkpoint(ctx) // a lost id would submit the lines twice
}

// multipartFile is a multipart/form-data body with purpose and one file, as POST /v1/files
// takes it.
func multipartFile(purpose, name string, content []byte) ([]byte, string, error) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("purpose", purpose); err != nil {
		return nil, "", err
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
	h.Set("Content-Type", "application/jsonl")
	part, err := mw.CreatePart(h)
	if err != nil {
		return nil, "", err
	}
	if _, err := part.Write(content); err != nil {
		return nil, "", err
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return buf.Bytes(), mw.FormDataContentType(), nil
}

// collectOpenAI reads an ended job's output and error files into the lines' results; lines in
// neither ended with the job (cancelled, expired or failed).
func (r *run) collectOpenAI(ctx context.Context, t *provider.Target, a oaAPI, g *group, hdr http.Header, ob *oaBatch) error {
	member := g.members()
	for _, id := range []*string{ob.OutputFileID, ob.ErrorFileID} {
		if id == nil || *id == "" {
			continue
		}
		data, err := call(ctx, t, http.MethodGet, a.url("/files/"+*id+"/content"), hdr, "", nil)
		if err != nil {
			return r.upstreamFailed(g, err)
		}
		for raw := range bytes.Lines(data) {
			var ol oaOutputLine
			if len(bytes.TrimSpace(raw)) == 0 || jsonx.Unmarshal(raw, &ol) != nil {
				continue
			}
			if i, ok := lineIndex(ol.CustomID, member); ok && r.st.Results[i] == nil {
				r.st.Results[i] = r.openaiResult(t, g, &ol)
			}
		}
	}
	r.endGroup(g, ob.Status, ob.Errors)
	return nil
}

// openaiResult is a line's result from the job's output: the provider's body as it sent it,
// with usage read by the adapter and priced at the batch price.
func (r *run) openaiResult(t *provider.Target, g *group, ol *oaOutputLine) *result {
	now := r.w.now()
	var res *result
	switch resp := ol.Response; {
	case resp == nil:
		e := ol.Error
		if e == nil {
			e = &outputError{Code: "upstream_error", Message: "the provider returned neither a response nor an error"}
		}
		res = unanswered(e.Code, e.Message, now)
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		res = &result{Status: resp.StatusCode, Body: resp.Body, RequestID: resp.RequestID, At: now}
		res.Usage = r.usageOf(t, resp.Body)
	default:
		res = failure(t.Adapter.DecodeError(fakeResponse(resp.StatusCode, resp.Body)), now)
		res.RequestID = resp.RequestID
	}
	res.Provider, res.UpstreamModel, res.Route, res.Native, res.Attempts = g.Provider, g.Model, g.Route, true, 1
	res.Cost = r.price(t, res.Usage, true)
	return res
}

// usageOf reads the usage of a chat completion or embeddings body with the target's adapter.
func (r *run) usageOf(t *provider.Target, body []byte) *api.Usage {
	if r.obj.Endpoint == "/v1/embeddings" {
		if emb, ok := t.Adapter.(provider.EmbeddingsAdapter); ok {
			if resp, err := emb.DecodeEmbeddingsResponse(fakeResponse(200, body)); err == nil {
				return &api.Usage{PromptTokens: resp.Usage.PromptTokens, TotalTokens: resp.Usage.TotalTokens}
			}
		}
		return nil
	}
	if resp, err := t.Adapter.DecodeChatResponse(fakeResponse(200, body)); err == nil {
		return resp.Usage
	}
	return nil
}

// groupFailure is a line's result for a failure before it reached the provider.
func (r *run) groupFailure(g *group, err error) *result {
	res := failure(err, r.w.now())
	res.Provider, res.UpstreamModel, res.Route = g.Provider, g.Model, g.Route
	return res
}

// unrun is the result of a line the batch's end left unrun: expired when the window ended
// (Sluice then cancels the provider's job itself), else cancelled.
func (r *run) unrun(now time.Time) *result {
	if r.b.CancelRequestedAt == nil && r.expired() {
		return unanswered("batch_expired", "This request could not be executed before the completion window expired.", now)
	}
	return unanswered("batch_cancelled", "The batch was cancelled before this request ran.", now)
}

// endGroup marks the group done; its lines without a result ended with the provider's job,
// whose final status says how.
func (r *run) endGroup(g *group, status string, errs *Errors) {
	now := r.w.now()
	for _, i := range g.Lines {
		if r.st.Results[i] != nil {
			continue
		}
		var res *result
		switch status {
		case store.BatchCancelled, "canceled":
			res = r.unrun(now)
		case store.BatchExpired:
			res = unanswered("batch_expired", "This request could not be executed before the completion window expired.", now)
		default:
			res = unanswered("batch_failed", "The provider's batch job ended without a result for this request.", now)
			if errs != nil && len(errs.Data) > 0 {
				res.Message += " The provider said: " + errs.Data[0].Message
			}
		}
		res.Provider, res.UpstreamModel, res.Route, res.Native = g.Provider, g.Model, g.Route, true
		r.st.Results[i] = res
	}
	g.Done = true
}
