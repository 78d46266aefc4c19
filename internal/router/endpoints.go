package router

import (
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/provider"
)

// Images sends an image generation request along the route's plan.
func (t *Table) Images(ctx context.Context, r *Route, req *provider.ImagesRequest) (*provider.ImagesResponse, Result, error) {
	ctx, cancel := r.deadline(ctx)
	defer cancel()
	var res Result
	var out *provider.ImagesResponse
	err := r.do(ctx, &res, func(ctx context.Context, m *member) error {
		img, ok := m.target.Adapter.(provider.ImagesAdapter)
		if !ok {
			return unsupported(m.target, "image generation")
		}
		var err error
		out, err = exchange(ctx, m.target, func(ctx context.Context) (*http.Request, error) {
			return img.NewImagesRequest(ctx, m.target, req)
		}, img.DecodeImagesResponse)
		return err
	})
	return out, res, err
}

// Speech sends a text-to-speech request along the route's plan. It returns once a provider
// has answered with its headers; the caller relays the audio as it arrives, and closing the
// Body ends the request.
func (t *Table) Speech(ctx context.Context, r *Route, req *provider.SpeechRequest) (*provider.Media, Result, error) {
	ctx, cancel := r.deadline(ctx)
	var res Result
	var out *provider.Media
	err := r.do(ctx, &res, func(ctx context.Context, m *member) error {
		var err error
		out, err = audioOnce(ctx, m.target, "text to speech", func(ctx context.Context, a provider.AudioAdapter) (*http.Request, error) {
			return a.NewSpeechRequest(ctx, m.target, req)
		})
		return err
	})
	return withDeadline(out, res, err, cancel)
}

// Transcription sends an audio upload to one target of the route, chosen by its plan, and
// returns the transcript like Speech returns audio. There is a single attempt: the upload
// streams from the client as it is sent and cannot be sent again.
func (t *Table) Transcription(ctx context.Context, r *Route, form provider.Form) (*provider.Media, Result, error) {
	ctx, cancel := r.deadline(ctx)
	var res Result
	var out *provider.Media
	err := r.do(ctx, &res, func(ctx context.Context, m *member) error {
		var err error
		out, err = audioOnce(ctx, m.target, "audio transcription", func(ctx context.Context, a provider.AudioAdapter) (*http.Request, error) {
			return a.NewTranscriptionRequest(ctx, m.target, form)
		})
		return final(err)
	})
	return withDeadline(out, res, err, cancel)
}

// withDeadline ends the route's deadline when the relayed body is closed, or at once on error.
func withDeadline(m *provider.Media, res Result, err error, cancel context.CancelFunc) (*provider.Media, Result, error) {
	if err != nil {
		cancel()
		return nil, res, err
	}
	m.Body = &timedBody{ReadCloser: m.Body, ctx: context.Background(), target: res.Target, cancel: cancel}
	return m, res, nil
}

// final keeps the route from making another attempt after err.
func final(err error) error {
	var e *api.Error
	if errors.As(err, &e) && e.Retryable {
		c := *e
		c.Retryable = false
		return &c
	}
	return err
}

func audioOnce(ctx context.Context, target *provider.Target, what string,
	build func(context.Context, provider.AudioAdapter) (*http.Request, error)) (*provider.Media, error) {
	aud, ok := target.Adapter.(provider.AudioAdapter)
	if !ok {
		return nil, unsupported(target, what)
	}
	ctx, cancel := context.WithTimeout(ctx, target.Timeout)
	httpReq, err := build(ctx, aud)
	if err != nil {
		cancel()
		return nil, translationError(err)
	}
	resp, err := send(ctx, target, httpReq)
	if err != nil {
		cancel()
		return nil, err
	}
	m, err := aud.DecodeAudioResponse(resp)
	if err != nil {
		resp.Body.Close()
		cancel()
		return nil, transportError(ctx, target, err)
	}
	m.Body = &timedBody{ReadCloser: m.Body, ctx: ctx, target: target, cancel: cancel}
	return m, nil
}

// unsupported is the 400 for a target whose format lacks an endpoint. Formats declare their
// endpoints by implementing provider.ImagesAdapter or provider.AudioAdapter.
func unsupported(target *provider.Target, what string) error {
	return api.Errorf("unsupported_endpoint", "provider %q (%s) does not offer %s", target.Provider, target.Adapter.Type(), what)
}

// timedBody ties the attempt's timeout context to the relayed body's lifetime, as timedStream
// does for chat streams.
type timedBody struct {
	io.ReadCloser
	ctx    context.Context
	target *provider.Target
	cancel context.CancelFunc
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		// Past the deadline the read fails in several ways; the deadline is the cause.
		err = transportError(b.ctx, b.target, err)
	}
	return n, err
}

func (b *timedBody) Close() error {
	err := b.ReadCloser.Close()
	b.cancel()
	return err
}
