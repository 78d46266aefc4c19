package openaiwire

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/inbound/responses"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/sse"
)

// NewResponsesRequest builds POST /responses from a native Responses request, with the
// target's model.
func NewResponsesRequest(ctx context.Context, ep Endpoint, t *provider.Target, req *provider.ResponsesRequest) (*http.Request, error) {
	out := *req
	out.Model = t.Model
	body, err := jsonx.Marshal(&out)
	if err != nil {
		return nil, fmt.Errorf("openaiwire: encode responses request: %w", err)
	}
	accept := acceptJSON
	if out.Stream {
		accept = acceptEvents
	}
	return newJSONRequest(ctx, ep, t, "/responses", body, accept)
}

// responseHead is what the gateway reads of a response object; the rest is relayed untouched.
type responseHead struct {
	Model  string                   `json:"model"`
	Status string                   `json:"status"`
	Error  *responses.ResponseError `json:"error"`
	Usage  *responses.Usage         `json:"usage"`
}

// DecodeResponsesResponse reads a response object, keeping its bytes as sent.
func DecodeResponsesResponse(resp *http.Response) (*provider.ResponsesAnswer, error) {
	var body jsonx.Value
	if err := decodeBody(resp, &body); err != nil {
		return nil, err
	}
	var head responseHead
	if err := jsonx.Unmarshal(body, &head); err != nil {
		return nil, api.NewError("upstream_error", "the provider's response is not a response object", fmt.Errorf("openaiwire: decode response: %w", err))
	}
	return &provider.ResponsesAnswer{Body: body, Model: head.Model, Status: head.Status, Usage: ResponsesUsage(head.Usage)}, nil
}

// ResponsesUsage converts the Responses API's usage to chat usage, the shape the gateway
// prices and logs: output_tokens include reasoning tokens, as completion_tokens do.
func ResponsesUsage(u *responses.Usage) *api.Usage {
	if u == nil {
		return nil
	}
	total := u.TotalTokens
	if total == 0 {
		total = u.InputTokens + u.OutputTokens
	}
	return &api.Usage{
		PromptTokens: u.InputTokens, CompletionTokens: u.OutputTokens, TotalTokens: total,
		PromptTokensDetails:     &api.PromptTokensDetails{CachedTokens: u.InputTokensDetails.CachedTokens},
		CompletionTokensDetails: &api.CompletionTokensDetails{ReasoningTokens: u.OutputTokensDetails.ReasoningTokens},
	}
}

// DecodeResponsesStream reads a Responses API event stream. It ends after the terminal event
// (response.completed, .incomplete or .failed); an end of body before it is an interrupted
// stream, and an error event is the upstream's failure.
func DecodeResponsesStream(resp *http.Response) (provider.EventStream, error) {
	return &eventStream{body: resp.Body, events: sse.NewReader(resp.Body)}, nil
}

type eventStream struct {
	body   io.ReadCloser
	events *sse.Reader
	done   bool
}

// eventHead is what is read of each event: its type, the error event's members, and the
// response of lifecycle events.
type eventHead struct {
	Type     string        `json:"type"`
	Code     jsonx.Value   `json:"code"`
	Message  string        `json:"message"`
	Param    jsonx.Value   `json:"param"`
	Response *responseHead `json:"response"`
}

func (s *eventStream) Next() (*provider.ResponsesEvent, error) {
	if s.done {
		return nil, io.EOF
	}
	for {
		ev, err := s.events.Next()
		if err != nil {
			return nil, interruptedResponses(err)
		}
		data := bytes.TrimSpace(ev.Data)
		if len(data) == 0 {
			continue
		}
		var head eventHead
		if err := jsonx.Unmarshal(data, &head); err != nil || head.Type == "" {
			s.done = true
			return nil, api.NewError("stream_interrupted", "the provider sent a malformed stream event",
				fmt.Errorf("openaiwire: decode responses event: %w", err))
		}
		if head.Type == "error" {
			s.done = true
			return nil, head.toError(data)
		}
		out := &provider.ResponsesEvent{Type: head.Type, Data: bytes.Clone(data)}
		if out.Terminal() {
			s.done = true
			if head.Response != nil {
				out.Usage = ResponsesUsage(head.Response.Usage)
			}
		}
		return out, nil
	}
}

func (s *eventStream) Close() error { return s.body.Close() }

// toError maps the error event ({"type":"error","code","message","param"}), keeping the
// provider's code and message.
func (h *eventHead) toError(data []byte) error {
	if h.Message == "" {
		return api.NewError("upstream_error", "the provider reported an error mid-stream",
			fmt.Errorf("openaiwire: responses error event: %s", provider.Snippet(data)))
	}
	var b errorBody
	b.Error.Message, b.Error.Code, b.Error.Param = h.Message, h.Code, h.Param
	b.Error.Type = "server_error"
	e := b.toAPIError(http.StatusBadGateway)
	e.Err = fmt.Errorf("openaiwire: responses error event: %s", provider.Snippet(data))
	return e
}

// interruptedResponses is interrupted for streams that end at their terminal event, not [DONE].
func interruptedResponses(err error) error {
	e := interrupted(err)
	if ae, ok := e.(*api.Error); ok && ae.Err == io.ErrUnexpectedEOF {
		ae.Message = "the provider's stream ended before its terminal event"
	}
	return e
}

// NewJSONRequest builds POST path with a JSON body already encoded, for adapters that
// translate into an OpenAI operation (openai_responses), asking for events when stream is set.
func NewJSONRequest(ctx context.Context, ep Endpoint, t *provider.Target, path string, body []byte, stream bool) (*http.Request, error) {
	accept := acceptJSON
	if stream {
		accept = acceptEvents
	}
	return newJSONRequest(ctx, ep, t, path, body, accept)
}
