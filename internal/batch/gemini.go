package batch

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/store"
)

// The Gemini API's Batch Mode (https://ai.google.dev/api/batch-api), with inlined requests:
// POST {base}/models/{model}:batchGenerateContent with
// {"batch":{"displayName","inputConfig":{"requests":{"requests":[{"request","metadata"}]}}}},
// where each request is a GenerateContentRequest built by the Gemini adapter exactly as for
// :generateContent, answers a long-running Operation named "batches/{id}". GET {base}/batches/{id}
// returns it again with metadata.state (BATCH_STATE_PENDING, _RUNNING, _SUCCEEDED, _FAILED,
// _CANCELLED, _EXPIRED) and, once done, the output's inlinedResponses: per request a
// GenerateContentResponse or a google.rpc.Status, with the request's metadata. POST
// {base}/batches/{id}:cancel cancels. The REST API answers in camelCase and takes camelCase (or
// snake_case) requests; Sluice sends camelCase as Google's SDKs do.

// gmInlineLimit is the API's bound on a batch of inlined requests (20 MB); a larger group is
// run by Sluice instead, as the input-file form of Batch Mode needs the Files API.
var gmInlineLimit = 20 << 20

type gmInlinedRequest struct {
	Request  jsonx.Value       `json:"request"`
	Metadata map[string]string `json:"metadata"`
}

type gmBatchRequest struct {
	Batch struct {
		DisplayName string `json:"displayName"`
		InputConfig struct {
			Requests struct {
				Requests []gmInlinedRequest `json:"requests"`
			} `json:"requests"`
		} `json:"inputConfig"`
	} `json:"batch"`
}

// gmOperation is the Operation wrapping a GenerateContentBatch. Google's SDKs read the state
// and output from metadata; the finished Operation also carries the output as its response.
type gmOperation struct {
	Name     string         `json:"name"`
	Done     bool           `json:"done"`
	Metadata gmBatch        `json:"metadata"`
	Response *gmBatchOutput `json:"response"`
	Error    *gmStatus      `json:"error"`
	State    string         `json:"state"` // a bare batch resource, should one be returned
}

type gmBatch struct {
	Name   string         `json:"name"`
	State  string         `json:"state"`
	Output *gmBatchOutput `json:"output"`
}

type gmBatchOutput struct {
	InlinedResponses *struct {
		InlinedResponses []gmInlinedResponse `json:"inlinedResponses"`
	} `json:"inlinedResponses"`
}

type gmInlinedResponse struct {
	Response jsonx.Value `json:"response"`
	Error    *gmStatus   `json:"error"`
	Metadata struct {
		Key string `json:"key"`
	} `json:"metadata"`
}

// gmStatus is a google.rpc.Status: a gRPC code, not an HTTP status.
type gmStatus struct {
	Code    int           `json:"code"`
	Message string        `json:"message"`
	Details []jsonx.Value `json:"details,omitempty"`
}

// gmCodes maps gRPC codes (https://github.com/googleapis/googleapis/blob/master/google/rpc/code.proto)
// to their names and the HTTP status Google's REST APIs answer them with.
var gmCodes = map[int]struct {
	name   string
	status int
}{
	1: {"CANCELLED", 499}, 2: {"UNKNOWN", 500}, 3: {"INVALID_ARGUMENT", 400}, 4: {"DEADLINE_EXCEEDED", 504},
	5: {"NOT_FOUND", 404}, 6: {"ALREADY_EXISTS", 409}, 7: {"PERMISSION_DENIED", 403}, 8: {"RESOURCE_EXHAUSTED", 429},
	9: {"FAILED_PRECONDITION", 400}, 10: {"ABORTED", 409}, 11: {"OUT_OF_RANGE", 400}, 12: {"UNIMPLEMENTED", 501},
	13: {"INTERNAL", 500}, 14: {"UNAVAILABLE", 503}, 15: {"DATA_LOSS", 500}, 16: {"UNAUTHENTICATED", 401},
}

// state is the batch's state: from metadata, as the SDKs read it, else a bare resource's. Google's
// SDKs show it as JOB_STATE_*, which is accepted too.
func (op *gmOperation) state() string {
	s := op.Metadata.State
	if s == "" {
		s = op.State
	}
	return strings.Replace(s, "JOB_STATE_", "BATCH_STATE_", 1)
}

func (op *gmOperation) responses() []gmInlinedResponse {
	for _, out := range []*gmBatchOutput{op.Metadata.Output, op.Response} {
		if out != nil && out.InlinedResponses != nil {
			return out.InlinedResponses.InlinedResponses
		}
	}
	return nil
}

// geminiBatches is the Gemini API's Batch Mode.
type geminiBatches struct{}

func (geminiBatches) submit(ctx context.Context, r *run, t *provider.Target, g *group) error {
	return r.submitGemini(ctx, t, g)
}

func (geminiBatches) cancel(ctx context.Context, t *provider.Target, hdr http.Header, id string) error {
	_, err := call(ctx, t, http.MethodPost, t.BaseURL+"/"+id+":cancel", hdr, "application/json", []byte("{}"))
	return err
}

func (geminiBatches) poll(ctx context.Context, r *run, t *provider.Target, hdr http.Header, g *group) error {
	data, err := call(ctx, t, http.MethodGet, t.BaseURL+"/"+g.UpstreamID, hdr, "", nil)
	if err != nil {
		return r.upstreamFailed(g, err)
	}
	g.Failures = 0
	var op gmOperation
	if err := jsonx.Unmarshal(data, &op); err != nil {
		return r.upstreamFailed(g, api.NewError("upstream_error", "the provider's batch is unreadable", err))
	}
	var status string
	var errs *Errors
	switch op.state() {
	case "BATCH_STATE_SUCCEEDED":
		status = store.BatchCompleted
	case "BATCH_STATE_CANCELLED":
		status = store.BatchCancelled
	case "BATCH_STATE_EXPIRED":
		status = store.BatchExpired
	case "BATCH_STATE_FAILED":
		status = store.BatchFailed
		if op.Error != nil {
			errs = &Errors{Object: "list", Data: []Error{{Code: "batch_failed", Message: op.Error.Message}}}
		}
	default:
		return nil // pending or running
	}
	r.collectGemini(t, g, op.responses())
	r.endGroup(g, status, errs)
	return nil
}

// submitGemini creates the batch of the group's lines, each translated for the target.
func (r *run) submitGemini(ctx context.Context, t *provider.Target, g *group) error {
	pending, err := r.translatePending(ctx, t, g)
	if err != nil || len(pending) == 0 {
		return err
	}
	var req gmBatchRequest
	req.Batch.DisplayName = "sluice-" + r.b.ID
	for _, p := range pending {
		req.Batch.InputConfig.Requests.Requests = append(req.Batch.InputConfig.Requests.Requests,
			gmInlinedRequest{Request: p.ub.body, Metadata: map[string]string{"key": lineKey(p.i)}})
	}
	hdr, url := pending[0].ub.header, pending[0].ub.url
	endpoint, ok := strings.CutSuffix(url, ":generateContent")
	if !ok {
		return r.upstreamFailed(g, fmt.Errorf("batch: the Gemini adapter sent chat to %s, not :generateContent", url))
	}
	body, err := jsonx.Marshal(&req)
	if err != nil {
		return err
	}
	if len(body) > gmInlineLimit {
		// Too large to inline: the lines run through Sluice, at the standard price.
		r.w.log.LogAttrs(ctx, slog.LevelInfo, "batch lines too large for Gemini's inlined batch; Sluice runs them",
			slog.String("batch_id", r.b.ID), slog.String("provider", g.Provider), slog.Int("bytes", len(body)))
		g.Mode, g.Provider, g.Model, g.Route = modeLocal, "", "", ""
		return r.checkpoint(ctx)
	}
	data, err := call(ctx, t, http.MethodPost, endpoint+":batchGenerateContent", hdr, "application/json", body)
	if err != nil {
		return r.upstreamFailed(g, err)
	}
	var op gmOperation
	if err := jsonx.Unmarshal(data, &op); err != nil || !strings.HasPrefix(op.Name, "batches/") {
		return r.upstreamFailed(g, api.NewError("upstream_error", "the provider's batch is unreadable", err))
	}
	g.UpstreamID, g.Failures = op.Name, 0
	return r.checkpoint(ctx)
}

// collectGemini reads the inlined responses: a GenerateContentResponse is translated to a chat
// completion by the adapter, a google.rpc.Status to the error the adapter makes of Google's
// HTTP error body with the same status.
func (r *run) collectGemini(t *provider.Target, g *group, responses []gmInlinedResponse) {
	member := g.members()
	now := r.w.now()
	for _, ir := range responses {
		i, ok := lineIndex(ir.Metadata.Key, member)
		if !ok || r.st.Results[i] != nil {
			continue
		}
		var res *result
		switch {
		case ir.Error != nil:
			res = failure(gmLineError(t, ir.Error), now)
		case len(ir.Response) > 0:
			chat, err := t.Adapter.DecodeChatResponse(fakeResponse(200, ir.Response))
			if err != nil {
				res = failure(api.NewError("upstream_error", "the provider's response is unreadable", err), now)
				break
			}
			res = success(chat)
			res.Usage = chat.Usage
		default:
			continue
		}
		res.At = now
		res.Provider, res.UpstreamModel, res.Route, res.Native, res.Attempts = g.Provider, g.Model, g.Route, true, 1
		res.Cost = r.price(t, res.Usage, true)
		r.st.Results[i] = res
	}
}

// gmLineError turns a line's google.rpc.Status into the error the adapter reports for the
// same failure of :generateContent, whose HTTP body is {"error":{code, message, status, details}}.
func gmLineError(t *provider.Target, s *gmStatus) error {
	c, ok := gmCodes[s.Code]
	if !ok {
		c = gmCodes[2]
	}
	body, err := jsonx.Marshal(map[string]any{"error": map[string]any{
		"code": c.status, "message": s.Message, "status": c.name, "details": s.Details}})
	if err != nil {
		return api.NewError("upstream_error", "the provider's error is unreadable", err)
	}
	return t.Adapter.DecodeError(fakeResponse(c.status, body))
}
