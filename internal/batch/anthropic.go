package batch

import (
	"bytes"
	"context"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/store"
)

// Anthropic's Message Batches API (https://docs.anthropic.com/en/api/creating-message-batches):
// POST /v1/messages/batches with requests [{custom_id, params}], where params is a Messages
// request (here translated by the Anthropic adapter exactly as for /v1/messages), poll until
// processing_status is "ended", then read the JSONL at results_url: one
// {custom_id, result:{type: succeeded|errored|canceled|expired, message|error}} per request.

type anBatch struct {
	ID               string  `json:"id"`
	ProcessingStatus string  `json:"processing_status"` // in_progress, canceling, ended
	ResultsURL       *string `json:"results_url"`
}

type anRequest struct {
	CustomID string      `json:"custom_id"`
	Params   jsonx.Value `json:"params"`
}

type anResultLine struct {
	CustomID string `json:"custom_id"`
	Result   struct {
		Type    string      `json:"type"`
		Message jsonx.Value `json:"message"`
		Error   jsonx.Value `json:"error"` // {"type":"error","error":{"type","message"}}
	} `json:"result"`
}

// anErrorStatus is the HTTP status of each Anthropic error type
// (https://docs.anthropic.com/en/api/errors), for errored results, which carry no status.
var anErrorStatus = map[string]int{
	"invalid_request_error": 400, "authentication_error": 401, "billing_error": 402, "permission_error": 403,
	"not_found_error": 404, "request_too_large": 413, "rate_limit_error": 429, "api_error": 500,
	"overloaded_error": 529,
}

// anthropicBatches is Anthropic's Message Batches API.
type anthropicBatches struct{}

func (anthropicBatches) submit(ctx context.Context, r *run, t *provider.Target, g *group) error {
	return r.submitAnthropic(ctx, t, g)
}

func (anthropicBatches) cancel(ctx context.Context, t *provider.Target, hdr http.Header, id string) error {
	_, err := call(ctx, t, http.MethodPost, t.BaseURL+"/messages/batches/"+id+"/cancel", hdr, "", nil)
	return err
}

func (anthropicBatches) poll(ctx context.Context, r *run, t *provider.Target, hdr http.Header, g *group) error {
	data, err := call(ctx, t, http.MethodGet, t.BaseURL+"/messages/batches/"+g.UpstreamID, hdr, "", nil)
	if err != nil {
		return r.upstreamFailed(g, err)
	}
	g.Failures = 0
	var ab anBatch
	if err := jsonx.Unmarshal(data, &ab); err != nil {
		return r.upstreamFailed(g, api.NewError("upstream_error", "the provider's message batch is unreadable", err))
	}
	if ab.ProcessingStatus != "ended" {
		return nil
	}
	if ab.ResultsURL != nil && *ab.ResultsURL != "" {
		if data, err = call(ctx, t, http.MethodGet, *ab.ResultsURL, hdr, "", nil); err != nil {
			return r.upstreamFailed(g, err)
		}
		r.collectAnthropic(t, g, data)
	}
	status := store.BatchCompleted
	if g.CancelSent {
		status = store.BatchCancelled
	}
	r.endGroup(g, status, nil)
	return nil
}

// submitAnthropic creates the message batch of the group's lines, translated for the target.
func (r *run) submitAnthropic(ctx context.Context, t *provider.Target, g *group) error {
	pending, err := r.translatePending(ctx, t, g)
	if err != nil || len(pending) == 0 {
		return err
	}
	reqs := make([]anRequest, len(pending))
	for k, p := range pending {
		reqs[k] = anRequest{CustomID: lineKey(p.i), Params: p.ub.body}
	}
	hdr := pending[0].ub.header
	body, err := jsonx.Marshal(map[string]any{"requests": reqs})
	if err != nil {
		return err
	}
	data, err := call(ctx, t, http.MethodPost, t.BaseURL+"/messages/batches", hdr, "application/json", body)
	if err != nil {
		return r.upstreamFailed(g, err)
	}
	var ab anBatch
	if err := jsonx.Unmarshal(data, &ab); err != nil || ab.ID == "" {
		return r.upstreamFailed(g, api.NewError("upstream_error", "the provider's message batch is unreadable", err))
	}
	g.UpstreamID, g.Failures = ab.ID, 0
	return r.checkpoint(ctx)
}

// collectAnthropic reads the results file: a succeeded message is translated to a chat
// completion by the adapter, an errored one to the OpenAI-shaped error it would have been.
func (r *run) collectAnthropic(t *provider.Target, g *group, data []byte) {
	member := g.members()
	now := r.w.now()
	for raw := range bytes.Lines(data) {
		var rl anResultLine
		if len(bytes.TrimSpace(raw)) == 0 || jsonx.Unmarshal(raw, &rl) != nil {
			continue
		}
		i, ok := lineIndex(rl.CustomID, member)
		if !ok || r.st.Results[i] != nil {
			continue
		}
		var res *result
		switch rl.Result.Type {
		case "succeeded":
			chat, err := t.Adapter.DecodeChatResponse(fakeResponse(200, rl.Result.Message))
			if err != nil {
				res = failure(api.NewError("upstream_error", "the provider's message is unreadable", err), now)
				break
			}
			res = success(chat)
			res.Usage = chat.Usage
		case "errored":
			var env struct {
				Error struct {
					Type string `json:"type"`
				} `json:"error"`
			}
			_ = jsonx.Unmarshal(rl.Result.Error, &env)
			status := anErrorStatus[env.Error.Type]
			if status == 0 {
				status = 500
			}
			res = failure(t.Adapter.DecodeError(fakeResponse(status, rl.Result.Error)), now)
		case "canceled":
			res = r.unrun(now)
		case "expired":
			res = unanswered("batch_expired", "This request could not be executed before the completion window expired.", now)
		default:
			continue
		}
		res.At = now
		res.Provider, res.UpstreamModel, res.Route, res.Native, res.Attempts = g.Provider, g.Model, g.Route, true, 1
		res.Cost = r.price(t, res.Usage, true)
		r.st.Results[i] = res
	}
}
