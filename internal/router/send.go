package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
)

// Result says where a request went.
type Result struct {
	Target   *provider.Target
	Attempts int
}

// Chat sends a non-streaming chat request to the route's chosen target.
func (t *Table) Chat(ctx context.Context, r *Route, req *api.ChatRequest) (*api.ChatResponse, Result, error) {
	target := r.Pick()
	res := Result{Target: target, Attempts: 1}
	ctx, cancel := context.WithTimeout(ctx, target.Timeout)
	defer cancel()
	httpReq, err := target.Adapter.NewChatRequest(ctx, target, req)
	if err != nil {
		return nil, res, translationError(err)
	}
	resp, err := send(ctx, target, httpReq)
	if err != nil {
		return nil, res, err
	}
	defer resp.Body.Close()
	out, err := target.Adapter.DecodeChatResponse(resp)
	if err != nil {
		return nil, res, transportError(ctx, target, err)
	}
	return out, res, nil
}

// ChatStream opens a streaming chat request. It returns once the provider has answered with
// its headers; the stream's chunks are read by the caller, and Close ends the request.
func (t *Table) ChatStream(ctx context.Context, r *Route, req *api.ChatRequest) (provider.Stream, Result, error) {
	target := r.Pick()
	res := Result{Target: target, Attempts: 1}
	ctx, cancel := context.WithTimeout(ctx, target.Timeout)
	httpReq, err := target.Adapter.NewChatRequest(ctx, target, req)
	if err != nil {
		cancel()
		return nil, res, translationError(err)
	}
	resp, err := send(ctx, target, httpReq)
	if err != nil {
		cancel()
		return nil, res, err
	}
	s, err := target.Adapter.DecodeChatStream(resp)
	if err != nil {
		resp.Body.Close()
		cancel()
		return nil, res, transportError(ctx, target, err)
	}
	return &timedStream{Stream: s, ctx: ctx, target: target, cancel: cancel}, res, nil
}

// Embeddings sends an embeddings request to the route's chosen target.
func (t *Table) Embeddings(ctx context.Context, r *Route, req *api.EmbeddingsRequest) (*api.EmbeddingsResponse, Result, error) {
	target := r.Pick()
	res := Result{Target: target, Attempts: 1}
	emb := t.embeddingsAdapter(target)
	if emb == nil {
		return nil, res, api.Errorf("unsupported_endpoint", "provider %q (%s) does not offer embeddings", target.Provider, target.Adapter.Type())
	}
	ctx, cancel := context.WithTimeout(ctx, target.Timeout)
	defer cancel()
	httpReq, err := emb.NewEmbeddingsRequest(ctx, target, req)
	if err != nil {
		return nil, res, translationError(err)
	}
	resp, err := send(ctx, target, httpReq)
	if err != nil {
		return nil, res, err
	}
	defer resp.Body.Close()
	out, err := emb.DecodeEmbeddingsResponse(resp)
	if err != nil {
		return nil, res, transportError(ctx, target, err)
	}
	return out, res, nil
}

// send performs the HTTP exchange and turns every failure into an *api.Error, except the
// caller's own cancellation, which is returned as is.
func send(ctx context.Context, target *provider.Target, req *http.Request) (*http.Response, error) {
	resp, err := target.Client.Do(req)
	if err != nil {
		return nil, transportError(ctx, target, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := target.Adapter.DecodeError(resp)
		resp.Body.Close()
		return nil, e
	}
	return resp, nil
}

// transportError classifies a failure to talk to the provider.
func transportError(ctx context.Context, target *provider.Target, err error) error {
	var apiErr *api.Error
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded):
		return api.NewError("upstream_timeout",
			fmt.Sprintf("provider %q did not answer within %s", target.Provider, target.Timeout), err)
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &apiErr):
		return err
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return api.NewError("upstream_timeout", fmt.Sprintf("provider %q timed out", target.Provider), err)
	}
	return api.NewError("upstream_unreachable", fmt.Sprintf("provider %q could not be reached", target.Provider), err)
}

// timedStream ties the request's timeout context to the stream's lifetime.
type timedStream struct {
	provider.Stream
	ctx    context.Context
	target *provider.Target
	cancel context.CancelFunc
}

func (s *timedStream) Next() (*api.ChatChunk, error) {
	c, err := s.Stream.Next()
	if err != nil && !errors.Is(err, io.EOF) && errors.Is(s.ctx.Err(), context.DeadlineExceeded) {
		// The body read fails in several ways once the deadline hits; the deadline is the cause.
		return nil, transportError(s.ctx, s.target, err)
	}
	return c, err
}

func (s *timedStream) Close() error {
	err := s.Stream.Close()
	s.cancel()
	return err
}

// translationError keeps an adapter's own *api.Error (such as a 400 naming a parameter the
// provider lacks) and wraps anything else.
func translationError(err error) error {
	var e *api.Error
	if errors.As(err, &e) {
		return e
	}
	return api.NewError("invalid_request", "the request cannot be expressed for this provider", err)
}
