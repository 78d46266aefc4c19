package batch

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

// maxFailures is how many polls in a row may fail to reach a provider's batch API before the
// group's unfinished lines fail; a 4xx (other than 429) fails them at once.
const maxFailures = 5

// maxUpstreamFile bounds a result file read from a provider.
const maxUpstreamFile = 512 << 20

// upstreamBody is one line translated for its target by the target's own adapter, exactly
// as the router would send it: the body, and the headers (credentials, version, extras) that
// the provider's batch endpoints take too.
type upstreamBody struct {
	url    string // where the adapter would send it alone
	body   []byte
	header http.Header
}

// translate builds line l for target t with the adapter (which does no I/O) and keeps the
// body and headers of the request it would send.
func translate(ctx context.Context, t *provider.Target, l *Line) (upstreamBody, error) {
	var req *http.Request
	var err error
	switch l.URL {
	case "/v1/embeddings":
		var in api.EmbeddingsRequest
		if err := decodeBody(l, &in); err != nil {
			return upstreamBody{}, err
		}
		emb, ok := t.Adapter.(provider.EmbeddingsAdapter)
		if !ok {
			return upstreamBody{}, api.Errorf("unsupported_endpoint", "provider %q (%s) does not offer embeddings", t.Provider, t.Adapter.Type())
		}
		req, err = emb.NewEmbeddingsRequest(ctx, t, &in)
	default:
		var in api.ChatRequest
		if err := decodeBody(l, &in); err != nil {
			return upstreamBody{}, err
		}
		in.Stream, in.StreamOptions = false, nil
		req, err = t.Adapter.NewChatRequest(ctx, t, &in)
	}
	if err != nil {
		if _, ok := err.(*api.Error); ok {
			return upstreamBody{}, err
		}
		return upstreamBody{}, api.NewError("invalid_request", err.Error(), err)
	}
	defer req.Body.Close()
	body, err := io.ReadAll(req.Body)
	if err != nil {
		return upstreamBody{}, fmt.Errorf("batch: read translated body: %w", err)
	}
	h := req.Header.Clone()
	for _, k := range []string{"Content-Type", "Content-Length", "Accept"} {
		h.Del(k)
	}
	return upstreamBody{url: req.URL.String(), body: body, header: h}, nil
}

// authHeader is the header a target's requests carry, from a minimal translated request.
func authHeader(ctx context.Context, t *provider.Target) (http.Header, error) {
	l := Line{N: 1, URL: "/v1/chat/completions",
		Body: jsonx.Value(`{"model":` + strconv.Quote(t.Model) + `,"messages":[{"role":"user","content":"."}]}`)}
	ub, err := translate(ctx, t, &l)
	return ub.header, err
}

// call is one request to a provider's batch API within the target's timeout. A non-2xx
// answer becomes the adapter's *api.Error.
func call(ctx context.Context, t *provider.Target, method, url string, header http.Header, contentType string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, max(t.Timeout, 30*time.Second))
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		return nil, fmt.Errorf("batch: new request %s %s: %w", method, url, err)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := t.Client.Do(req)
	if err != nil {
		return nil, api.NewError("upstream_unreachable", fmt.Sprintf("provider %q could not be reached", t.Provider), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, t.Adapter.DecodeError(resp)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxUpstreamFile))
	if err != nil {
		return nil, api.NewError("upstream_error", fmt.Sprintf("provider %q: reading %s failed", t.Provider, url), err)
	}
	return data, nil
}

// fakeResponse wraps a body the provider returned inside a batch result as the HTTP response
// the adapter's decoders read.
func fakeResponse(status int, body []byte) *http.Response {
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body))}
}

// transient reports whether a failed call to a batch API is worth repeating at the next poll.
func transient(err error) bool {
	e, ok := err.(*api.Error)
	return !ok || e.Retryable || e.Status == http.StatusTooManyRequests || e.Status >= 500
}

// upstreamFailed records a failed call: a transient one is retried at the next poll until
// maxFailures; otherwise the group's unfinished lines fail with err.
func (r *run) upstreamFailed(g *group, err error) error {
	g.Failures++
	if transient(err) && g.Failures < maxFailures {
		return err
	}
	now := r.w.now()
	for _, i := range g.Lines {
		if r.st.Results[i] == nil {
			res := failure(err, now)
			res.Provider, res.UpstreamModel, res.Route = g.Provider, g.Model, g.Route
			r.st.Results[i] = res
		}
	}
	g.Done = true
	return nil
}

// lineKey is the custom_id a line carries upstream: its index, which is unique and within
// every provider's custom_id alphabet (Anthropic allows only [a-zA-Z0-9_-]).
func lineKey(i int) string { return "r" + strconv.Itoa(i) }

// lineIndex reads a lineKey back; ok is false for an id the group did not send.
func lineIndex(key string, member map[int]bool) (int, bool) {
	if len(key) < 2 || key[0] != 'r' {
		return 0, false
	}
	i, err := strconv.Atoi(key[1:])
	return i, err == nil && member[i]
}

// providerBatches is one provider's batch API, as step drives it.
type providerBatches interface {
	// submit sends the group's lines, translated for t, as one job and records its id.
	submit(ctx context.Context, r *run, t *provider.Target, g *group) error
	// cancel asks the provider to stop job id.
	cancel(ctx context.Context, t *provider.Target, hdr http.Header, id string) error
	// poll reads the job and, once it has ended, collects its results and ends the group.
	poll(ctx context.Context, r *run, t *provider.Target, hdr http.Header, g *group) error
}

// step advances a group run by a provider's batch API: it submits the job, or — asking the
// provider to cancel it first when the batch is cancelled or past its window — polls it.
func (r *run) step(ctx context.Context, g *group, b providerBatches) error {
	t, err := r.target(g)
	if err != nil {
		return r.upstreamFailed(g, err)
	}
	if g.UpstreamID == "" {
		if r.stopping() {
			g.Done = true
			return nil
		}
		return b.submit(ctx, r, t, g)
	}
	hdr, err := authHeader(ctx, t)
	if err != nil {
		return r.upstreamFailed(g, err)
	}
	if r.stopping() && !g.CancelSent {
		if err := b.cancel(ctx, t, hdr, g.UpstreamID); err != nil {
			return r.upstreamFailed(g, err)
		}
		g.CancelSent = true
	}
	return b.poll(ctx, r, t, hdr, g)
}

// pendingLine is an unfinished line of a group, translated for the group's target.
type pendingLine struct {
	i  int // index in the input
	l  *Line
	ub upstreamBody
}

// translatePending translates the group's unfinished lines for t; a line the adapter refuses
// fails now. When none is left to send the group is done and the result is empty.
func (r *run) translatePending(ctx context.Context, t *provider.Target, g *group) ([]pendingLine, error) {
	lines, err := r.input(ctx)
	if err != nil {
		return nil, err
	}
	var out []pendingLine
	for _, i := range g.Lines {
		if r.st.Results[i] != nil {
			continue
		}
		ub, err := translate(ctx, t, &lines[i])
		if err != nil {
			r.st.Results[i] = r.groupFailure(g, err)
			continue
		}
		out = append(out, pendingLine{i: i, l: &lines[i], ub: ub})
	}
	if len(out) == 0 {
		g.Done = true
	}
	return out, nil
}

// members is the set of the group's line indexes, to match a provider's results against.
func (g *group) members() map[int]bool {
	m := make(map[int]bool, len(g.Lines))
	for _, i := range g.Lines {
		m[i] = true
	}
	return m
}
