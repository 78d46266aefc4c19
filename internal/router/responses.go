package router

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/config"
	"github.com/sluicehq/sluice/internal/provider"
)

// The formats the Responses API support is decided by.
const (
	openaiFormat          = "openai"
	openaiResponsesFormat = "openai_responses"
)

// nativeResponses resolves a provider's responses_api setting: whether /v1/responses requests
// go to it natively. The default is native for the openai preset, whose upstream is OpenAI's
// own API, and translate for everything else, since most OpenAI-compatible servers have no
// /responses. Native needs a format that can speak it.
func nativeResponses(name, format, setting string, a provider.Adapter) (bool, error) {
	_, speaks := a.(provider.ResponsesAdapter)
	switch setting {
	case config.ResponsesNative:
		if !speaks {
			return false, fmt.Errorf("provider type %q cannot send the Responses API natively (openai, openai_responses and azure can)", format)
		}
		return true, nil
	case config.ResponsesTranslate:
		return false, nil
	}
	return speaks && ((name == openaiFormat && format == openaiFormat) || format == openaiResponsesFormat), nil
}

// speak sets the OpenAI API a target uses for chat-shaped requests: chat, or responses,
// through the openai_responses adapter, for models only the Responses API serves. A target on
// the Responses API takes /v1/responses requests natively too: its upstream speaks it.
func (a *account) speak(t *provider.Target, api string) error {
	switch {
	case api == config.TargetAPIChat:
		t.Adapter = a.adapter
		t.NativeResponses = a.template.NativeResponses
	case a.format == openaiResponsesFormat:
	case a.responses == nil:
		return fmt.Errorf("api: responses needs a provider of type openai, not %q", a.format)
	default:
		t.Adapter = a.responses
		t.NativeResponses = true
	}
	return nil
}

// ResponsesCall is one /v1/responses request as each kind of target takes it: Native for
// targets that speak the Responses API natively, Chat (its translation) for the others.
type ResponsesCall struct {
	Native *provider.ResponsesRequest // nil: every target gets Chat
	Chat   *api.ChatRequest
	// ChatErr is why the request has no chat translation (a built-in tool, say): the answer
	// of a target that needs one.
	ChatErr error
}

// nativeFor returns the target's native Responses adapter when the call goes to it natively.
func (c *ResponsesCall) nativeFor(t *provider.Target) provider.ResponsesAdapter {
	if c.Native == nil || !t.NativeResponses {
		return nil
	}
	ra, _ := t.Adapter.(provider.ResponsesAdapter)
	return ra
}

func (c *ResponsesCall) chat() (*api.ChatRequest, error) {
	if c.ChatErr != nil {
		return nil, c.ChatErr
	}
	if c.Chat == nil {
		return nil, errors.New("router: responses call without a chat request")
	}
	return c.Chat, nil
}

// fits passes over the targets a request without a chat translation cannot go to, so that a
// later native target in the plan still serves it.
func (c *ResponsesCall) fits(t *provider.Target) error {
	if c.ChatErr != nil && c.nativeFor(t) == nil {
		return c.ChatErr
	}
	return nil
}

// ResponsesAnswer is a non-streaming answer: the native response object, or the chat
// completion of a translated attempt.
type ResponsesAnswer struct {
	Native *provider.ResponsesAnswer
	Chat   *api.ChatResponse
}

// Responses sends a /v1/responses request along the route's plan, with the same attempts,
// retries and fallbacks as Chat: each target gets it natively or translated, so a failing
// native target can fall back to any provider.
func (t *Table) Responses(ctx context.Context, r *Route, call *ResponsesCall) (ResponsesAnswer, Result, error) {
	ctx, cancel := r.deadline(ctx)
	defer cancel()
	var res Result
	var out ResponsesAnswer
	err := r.doWhere(ctx, &res, call.fits, func(ctx context.Context, m *member) error {
		out = ResponsesAnswer{}
		var err error
		if ra := call.nativeFor(m.target); ra != nil {
			out.Native, err = exchange(ctx, m.target, func(ctx context.Context) (*http.Request, error) {
				return ra.NewResponsesRequest(ctx, m.target, call.Native)
			}, ra.DecodeResponsesResponse)
			return err
		}
		req, err := call.chat()
		if err != nil {
			return err
		}
		out.Chat, err = chatOnce(ctx, m.target, req)
		return err
	})
	return out, res, err
}

// ResponsesStream is an opened stream: native events, or the chat chunks of a translated
// attempt. Close ends whichever it is.
type ResponsesStream struct {
	Native provider.EventStream
	Chat   provider.Stream
	cancel context.CancelFunc
}

// Close ends the stream and the route's deadline.
func (s *ResponsesStream) Close() error {
	var err error
	if s.Native != nil {
		err = s.Native.Close()
	}
	if s.Chat != nil {
		err = s.Chat.Close()
	}
	s.cancel()
	return err
}

// ResponsesStream opens a streaming /v1/responses request like ChatStream: it returns once
// the first event (or chunk) has arrived, so a target failing before it can still fall back.
func (t *Table) ResponsesStream(ctx context.Context, r *Route, call *ResponsesCall) (*ResponsesStream, Result, error) {
	ctx, cancel := r.deadline(ctx)
	var res Result
	out := &ResponsesStream{cancel: cancel}
	err := r.doWhere(ctx, &res, call.fits, func(ctx context.Context, m *member) error {
		out.Native, out.Chat = nil, nil
		var err error
		if ra := call.nativeFor(m.target); ra != nil {
			s, err := openStream(ctx, m.target, r.ttftTimeout, r.idleTimeout, func(ctx context.Context) (*http.Request, error) {
				return ra.NewResponsesRequest(ctx, m.target, call.Native)
			}, func(resp *http.Response) (chunks[*provider.ResponsesEvent], error) {
				return ra.DecodeResponsesStream(resp)
			})
			if err != nil {
				return err
			}
			out.Native = s
			return nil
		}
		req, err := call.chat()
		if err != nil {
			return err
		}
		out.Chat, err = streamOnce(ctx, m.target, req, r.ttftTimeout, r.idleTimeout)
		return err
	})
	if err != nil {
		cancel()
		return nil, res, err
	}
	return out, res, nil
}

// NativeResponses reports whether any target of the route or of its fallbacks takes
// /v1/responses requests natively, so that a request only a native target can serve (one
// with a built-in tool, say) is worth routing at all.
func (r *Route) NativeResponses() bool {
	seen := map[*Route]bool{}
	var walk func(*Route) bool
	walk = func(r *Route) bool {
		if seen[r] {
			return false
		}
		seen[r] = true
		for _, t := range r.Targets {
			if _, ok := t.Adapter.(provider.ResponsesAdapter); ok && t.NativeResponses {
				return true
			}
		}
		for _, fb := range r.fallbacks {
			if walk(fb) {
				return true
			}
		}
		return false
	}
	return walk(r)
}
