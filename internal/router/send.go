package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
)

// Chat sends a non-streaming chat request along the route's plan.
func (t *Table) Chat(ctx context.Context, r *Route, req *api.ChatRequest) (*api.ChatResponse, Result, error) {
	ctx, cancel := r.deadline(ctx)
	defer cancel()
	var res Result
	var out *api.ChatResponse
	err := r.do(ctx, &res, func(ctx context.Context, m *member) error {
		var err error
		out, err = chatOnce(ctx, m.target, req)
		return err
	})
	return out, res, err
}

func chatOnce(ctx context.Context, target *provider.Target, req *api.ChatRequest) (*api.ChatResponse, error) {
	return exchange(ctx, target, func(ctx context.Context) (*http.Request, error) {
		return target.Adapter.NewChatRequest(ctx, target, req)
	}, target.Adapter.DecodeChatResponse)
}

// exchange is one non-streaming request to a target within its timeout: build, send, decode,
// with each failure classified the same way for every endpoint.
func exchange[T any](ctx context.Context, target *provider.Target, build func(context.Context) (*http.Request, error),
	decode func(*http.Response) (T, error)) (T, error) {
	var zero T
	ctx, cancel := context.WithTimeout(ctx, target.Timeout)
	defer cancel()
	httpReq, err := build(ctx)
	if err != nil {
		return zero, translationError(err)
	}
	resp, err := send(ctx, target, httpReq)
	if err != nil {
		return zero, err
	}
	defer resp.Body.Close()
	out, err := decode(resp)
	if err != nil {
		return zero, transportError(ctx, target, err)
	}
	return out, nil
}

// ChatStream opens a streaming chat request. It returns once the first chunk has arrived, so
// that a provider failing before its first chunk — an error status, a hang, an error event —
// can still fall back to the next target while the client has received nothing. The caller
// reads the rest and Close ends the request.
func (t *Table) ChatStream(ctx context.Context, r *Route, req *api.ChatRequest) (provider.Stream, Result, error) {
	ctx, cancel := r.deadline(ctx)
	var res Result
	var out provider.Stream
	err := r.do(ctx, &res, func(ctx context.Context, m *member) error {
		var err error
		out, err = streamOnce(ctx, m.target, req, r.ttftTimeout, r.idleTimeout)
		return err
	})
	if err != nil {
		cancel()
		return nil, res, err
	}
	return &closeStream{Stream: out, cancel: cancel}, res, nil
}

// closeStream ends the route's deadline with the stream.
type closeStream struct {
	provider.Stream
	cancel context.CancelFunc
}

func (s *closeStream) Close() error {
	err := s.Stream.Close()
	s.cancel()
	return err
}

func streamOnce(ctx context.Context, target *provider.Target, req *api.ChatRequest, ttft, idle time.Duration) (provider.Stream, error) {
	s, err := openStream(ctx, target, ttft, idle, func(ctx context.Context) (*http.Request, error) {
		return target.Adapter.NewChatRequest(ctx, target, req)
	}, func(resp *http.Response) (chunks[*api.ChatChunk], error) {
		return target.Adapter.DecodeChatStream(resp)
	})
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return s, nil
}

// chunks is a decoded upstream stream: chat chunks (provider.Stream) or a native API's
// events (provider.EventStream).
type chunks[T any] interface {
	Next() (T, error)
	Close() error
}

// openStream is one streaming attempt within the target's timeout: build, send, decode, and
// read the first item ahead, so a failure before it can still fall back. ttft bounds the wait
// for that item; idle, once armed, the wait for each later one.
func openStream[T any](ctx context.Context, target *provider.Target, ttft, idle time.Duration,
	build func(context.Context) (*http.Request, error), decode func(*http.Response) (chunks[T], error)) (*timedStream[T], error) {
	ctx, cancel := context.WithTimeout(ctx, target.Timeout)
	var ttftMissed atomic.Bool
	if ttft > 0 {
		// Cancel the attempt unless its first chunk arrives in time.
		timer := time.AfterFunc(ttft, func() { ttftMissed.Store(true); cancel() })
		defer timer.Stop()
	}
	fail := func(err error) (*timedStream[T], error) {
		cancel()
		if ttftMissed.Load() {
			return nil, api.NewError("upstream_timeout",
				fmt.Sprintf("provider %q sent no first chunk within %s", target.Provider, ttft), err)
		}
		return nil, err
	}
	httpReq, err := build(ctx)
	if err != nil {
		return fail(translationError(err))
	}
	resp, err := send(ctx, target, httpReq)
	if err != nil {
		return fail(err)
	}
	s, err := decode(resp)
	if err != nil {
		resp.Body.Close()
		return fail(transportError(ctx, target, err))
	}
	ts := &timedStream[T]{inner: s, ctx: ctx, target: target, cancel: cancel}
	first, err := ts.Next()
	if err != nil && !errors.Is(err, io.EOF) {
		ts.inner.Close()
		if ae := (*api.Error)(nil); errors.As(err, &ae) && ae.Code == "stream_interrupted" {
			ae.Retryable = true // nothing reached the client yet, so another target may serve it
		}
		return fail(err)
	}
	if ttftMissed.Load() { // the timer fired just as the chunk arrived
		ts.inner.Close()
		return fail(context.Canceled)
	}
	ts.first, ts.firstErr, ts.peeked = first, err, true
	if idle > 0 {
		// One timer per stream, re-armed before each read: a stall cancels the request.
		ts.idle = idle
		ts.idleTimer = time.AfterFunc(idle, func() { ts.stalled.Store(true); cancel() })
	}
	return ts, nil
}

// Embeddings sends an embeddings request along the route's plan.
func (t *Table) Embeddings(ctx context.Context, r *Route, req *api.EmbeddingsRequest) (*api.EmbeddingsResponse, Result, error) {
	ctx, cancel := r.deadline(ctx)
	defer cancel()
	var res Result
	var out *api.EmbeddingsResponse
	err := r.do(ctx, &res, func(ctx context.Context, m *member) error {
		emb := t.embeddingsAdapter(m.target)
		if emb == nil {
			return api.Errorf("unsupported_endpoint", "provider %q (%s) does not offer embeddings", m.target.Provider, m.target.Adapter.Type())
		}
		var err error
		out, err = exchange(ctx, m.target, func(ctx context.Context) (*http.Request, error) {
			return emb.NewEmbeddingsRequest(ctx, m.target, req)
		}, emb.DecodeEmbeddingsResponse)
		return err
	})
	return out, res, err
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

// timedStream ties the request's timeout context to the stream's lifetime and replays the
// item read ahead by openStream.
type timedStream[T any] struct {
	inner  chunks[T]
	ctx    context.Context
	target *provider.Target
	cancel context.CancelFunc

	peeked   bool
	first    T
	firstErr error

	idle      time.Duration
	idleTimer *time.Timer // nil without an idle timeout
	stalled   atomic.Bool
}

func (s *timedStream[T]) Next() (T, error) {
	if s.peeked {
		s.peeked = false
		return s.first, s.firstErr
	}
	if s.idleTimer != nil {
		// Only the wait for the provider counts: a slow client is backpressure, not a stall.
		s.idleTimer.Reset(s.idle)
	}
	c, err := s.inner.Next()
	if s.idleTimer != nil {
		s.idleTimer.Stop()
	}
	if err != nil && !errors.Is(err, io.EOF) && s.stalled.Load() {
		var zero T
		return zero, api.NewError("upstream_timeout",
			fmt.Sprintf("provider %q sent nothing for %s mid-stream", s.target.Provider, s.idle), err)
	}
	if err != nil && !errors.Is(err, io.EOF) && errors.Is(s.ctx.Err(), context.DeadlineExceeded) {
		// The body read fails in several ways once the deadline hits; the deadline is the cause.
		var zero T
		return zero, transportError(s.ctx, s.target, err)
	}
	return c, err
}

func (s *timedStream[T]) Close() error {
	if s.idleTimer != nil {
		s.idleTimer.Stop()
	}
	err := s.inner.Close()
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
