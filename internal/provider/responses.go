package provider

import (
	"context"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// ResponsesAdapter is implemented by formats whose upstream can serve OpenAI's Responses API
// (POST {base_url}/responses) natively. The gateway sends a /v1/responses request to such a
// target as the client wrote it, so what a chat-shaped translation cannot carry (reasoning,
// built-in tools, include, truncation, ...) reaches the model; whether a provider account
// uses it is its responses_api setting, checked when the config compiles.
type ResponsesAdapter interface {
	NewResponsesRequest(ctx context.Context, t *Target, req *ResponsesRequest) (*http.Request, error)
	// DecodeResponsesResponse reads a response object.
	DecodeResponsesResponse(resp *http.Response) (*ResponsesAnswer, error)
	// DecodeResponsesStream reads the semantic event stream.
	DecodeResponsesStream(resp *http.Response) (EventStream, error)
}

// ResponsesRequest is a native Responses API request on its way upstream: the members the
// gateway sets, and every other member as the client sent it.
type ResponsesRequest struct {
	Model string `json:"model"`
	// Input is the whole conversation as an array of items: the gateway expands
	// previous_response_id from its own store, so the upstream never needs its state.
	Input jsonx.Value `json:"input"`
	// Store is always false upstream: the gateway keeps the tenant's responses itself.
	Store  bool        `json:"store"`
	Stream bool        `json:"stream,omitzero"`
	Extra  jsonx.Value `json:",embed"`
}

// ResponsesAnswer is a native non-streaming answer: the response object as the upstream sent
// it, with the parts the gateway accounts for read out.
type ResponsesAnswer struct {
	Body   jsonx.Value
	Model  string
	Status string
	Usage  *api.Usage // nil when the upstream reported none
}

// ResponsesEvent is one event of a native stream, relayed as sent.
type ResponsesEvent struct {
	Type string
	Data jsonx.Value // the event's JSON object
	// Usage is set on the terminal event (response.completed, .incomplete, .failed) when its
	// response reports usage.
	Usage *api.Usage
}

// Terminal reports whether the event ends the response.
func (e *ResponsesEvent) Terminal() bool {
	switch e.Type {
	case "response.completed", "response.incomplete", "response.failed":
		return true
	}
	return false
}

// EventStream yields a native Responses stream's events.
type EventStream interface {
	// Next returns the next event, io.EOF after the terminal event, or an error — an
	// *api.Error when the upstream sent an error event or the stream broke off.
	Next() (*ResponsesEvent, error)
	// Close releases the upstream connection; safe to call more than once.
	Close() error
}

// responsesOnlyModels are OpenAI models served only by the Responses API
// (https://platform.openai.com/docs/models: their endpoints list v1/responses, not
// v1/chat/completions). Dated snapshots (o3-pro-2025-06-10) match their base name.
var responsesOnlyModels = []string{
	"o1-pro", "o3-pro", "o3-deep-research", "o4-mini-deep-research",
	"codex-mini-latest", "computer-use-preview",
}

// ResponsesOnlyModel reports whether an OpenAI model id is served only by the Responses API,
// so that chat-shaped requests for it must be translated to a Responses request.
func ResponsesOnlyModel(model string) bool {
	if strings.HasPrefix(model, "gpt-5") && (strings.Contains(model, "-codex") || strings.Contains(model, "-pro")) {
		return true // gpt-5-codex, gpt-5-pro and every later codex and pro model
	}
	for _, m := range responsesOnlyModels {
		if model == m || strings.HasPrefix(model, m+"-") {
			return true
		}
	}
	return false
}
