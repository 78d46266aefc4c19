package batch

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/inbound/responses"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/router"
	"github.com/sluicehq/sluice/internal/store"
)

// checkpointEvery is how often a local run saves its finished lines (and renews its lease),
// so a restart repeats at most this much work and a cancel is noticed this quickly; more often
// when the lease is short, so that it never lapses while lines run.
const checkpointEvery = time.Second

// runLocal runs the group's unfinished lines through the router, LocalConcurrency at a time,
// like ordinary requests and at the standard price. Meanwhile it saves its progress and renews
// its lease every checkpointEvery, however long a line takes. It stops starting lines once the
// batch is cancelled or past its window; the lines in flight finish.
func (r *run) runLocal(ctx context.Context, g *group) error {
	lines, err := r.input(ctx)
	if err != nil {
		return err
	}
	var mu sync.Mutex // guards r.st.Results and r.b while lines finish and checkpoints run
	var cpErr error
	stop := make(chan struct{})
	cpDone := make(chan struct{})
	go func() {
		defer close(cpDone)
		renew := r.w.opts.Lease / 3 // the lease must never lapse while lines run
		t := time.NewTicker(min(checkpointEvery, renew))
		defer t.Stop()
		last := r.w.now()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				mu.Lock()
				// Each save writes every finished line, so a large batch saves less often:
				// a millisecond per finished line, between checkpointEvery and renew.
				every := min(max(checkpointEvery, time.Duration(len(r.st.Results))*time.Millisecond), renew)
				if cpErr == nil && r.w.now().Sub(last) >= every {
					cpErr, last = r.checkpoint(ctx), r.w.now()
				}
				mu.Unlock()
			}
		}
	}()
	var wg sync.WaitGroup
	sem := make(chan struct{}, r.w.opts.LocalConcurrency)
	for _, i := range g.Lines {
		mu.Lock()
		skip, halt := r.st.Results[i] != nil, r.stopping() || cpErr != nil
		mu.Unlock()
		if skip {
			continue
		}
		if halt || ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			res := r.runLine(ctx, &lines[i])
			if res == nil { // the worker is stopping: leave the line for the next run
				return
			}
			mu.Lock()
			r.st.Results[i] = res
			mu.Unlock()
		})
	}
	wg.Wait()
	close(stop)
	<-cpDone
	switch {
	case cpErr != nil:
		return cpErr // most likely the lease was lost: whoever holds it now carries on
	case ctx.Err() != nil:
		return ctx.Err()
	}
	g.Done = true
	return nil
}

// runLine sends one line through the router; nil when ctx ended first.
func (r *run) runLine(ctx context.Context, l *Line) *result {
	start := r.w.now()
	route, err := r.table.Resolve(l.Model)
	if err != nil {
		return failure(err, start)
	}
	var out *result
	var res router.Result
	var usage *api.Usage
	switch l.URL {
	case "/v1/responses":
		var resp *responses.Response
		if resp, res, usage, err = r.respond(ctx, route, l, start); err == nil {
			out = success(resp)
		}
	case "/v1/embeddings":
		var req api.EmbeddingsRequest
		if err := decodeBody(l, &req); err != nil {
			return failure(err, start)
		}
		var resp *api.EmbeddingsResponse
		if resp, res, err = r.table.Embeddings(ctx, route, &req); err == nil {
			usage = &api.Usage{PromptTokens: resp.Usage.PromptTokens, TotalTokens: resp.Usage.TotalTokens}
			out = success(resp)
		}
	default:
		var req api.ChatRequest
		if err := decodeBody(l, &req); err != nil {
			return failure(err, start)
		}
		req.Stream = false // a batch line is answered whole
		var resp *api.ChatResponse
		if resp, res, err = r.table.Chat(ctx, route, &req); err == nil {
			usage = resp.Usage
			out = success(resp)
		}
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		out = failure(err, start)
	}
	out.At, out.Attempts, out.Route, out.Usage = start, res.Attempts, res.Route, usage
	out.LatencyMs = r.w.now().Sub(start).Milliseconds()
	if t := res.Target; t != nil {
		out.Provider, out.UpstreamModel = t.Provider, t.Model
		out.Cost = r.price(t, usage, false)
	}
	return out
}

// respond runs a Responses API line like POST /v1/responses without storing it: translated
// to a chat request, routed, and the answer translated back to a response object. A batch
// line cannot continue a stored response (previous_response_id).
func (r *run) respond(ctx context.Context, route *router.Route, l *Line, start time.Time) (*responses.Response, router.Result, *api.Usage, error) {
	var in responses.Request
	if err := jsonx.Unmarshal(l.Body, &in); err != nil {
		return nil, router.Result{}, nil, api.NewError("invalid_json", "body of line "+strconv.Itoa(l.N)+": "+err.Error(), err)
	}
	if in.PreviousResponseID != "" {
		e := api.Errorf("invalid_request", "previous_response_id is not supported in a batch")
		e.Param = "previous_response_id"
		return nil, router.Result{}, nil, e
	}
	in.Stream = false
	req, err := responses.ToChatRequest(&in, in.Input)
	if err != nil {
		return nil, router.Result{}, nil, err
	}
	sc := r.scanner(route.Name)
	if sc != nil {
		r.guards.put(l.N, sc)
		if err := sc.Input(ctx, req); err != nil {
			return nil, router.Result{}, nil, guardrail.APIError(err)
		}
	}
	chat, res, err := r.table.Chat(ctx, route, req)
	if err != nil {
		return nil, res, nil, err
	}
	if sc != nil {
		if err := sc.Output(ctx, chat); err != nil {
			return nil, res, chat.Usage, guardrail.APIError(err) // the provider charged for it
		}
	}
	resp := responses.NewResponse(&in, "resp_"+r.b.ID[len(store.PrefixBatch):]+"_"+strconv.Itoa(l.N), start.Unix())
	resp.Store = false
	responses.Complete(resp, chat)
	return resp, res, chat.Usage, nil
}

// decodeBody decodes a line's body and validates it as the endpoint would.
func decodeBody(l *Line, req interface{ Validate() error }) error {
	if err := jsonx.Unmarshal(l.Body, req); err != nil {
		return api.NewError("invalid_json", "body of line "+strconv.Itoa(l.N)+": "+err.Error(), err)
	}
	if err := req.Validate(); err != nil {
		return api.NewError("invalid_request", err.Error(), err)
	}
	return nil
}

func success(v any) *result {
	body, err := jsonx.Marshal(v)
	if err != nil {
		return failure(api.NewError("upstream_error", "the response could not be encoded", err), time.Time{})
	}
	return &result{Status: 200, Body: body}
}

// price is the cost of usage on t: at the batch price for a provider's batch API, else the
// standard price. Unknown prices count as 0.
func (r *run) price(t *provider.Target, u *api.Usage, native bool) int64 {
	if u == nil || r.w.pricer == nil {
		return 0
	}
	p := r.w.pricer()
	if p == nil {
		return 0
	}
	var micro int64
	if native {
		micro, _ = p.BatchCost(t.Provider, t.Adapter.Type(), t.Model, u)
	} else {
		micro, _ = p.Cost(t.Provider, t.Adapter.Type(), t.Model, u)
	}
	return micro
}
