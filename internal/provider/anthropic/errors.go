package anthropic

import (
	"fmt"
	"io"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

// DecodeError reads a non-2xx response, {"type":"error","error":{"type","message"}}
// (https://docs.anthropic.com/en/api/errors). The provider's error type and message reach the
// client; its status is mapped by api.UpstreamStatus, so 529 overloaded_error is a 503.
func (Adapter) DecodeError(resp *http.Response) *api.Error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	status := api.UpstreamStatus(resp.StatusCode)
	var body errorBody
	var e *api.Error
	if jsonx.Unmarshal(raw, &body) == nil && body.Error.Message != "" {
		e = &api.Error{Status: status, Type: body.Error.Type, Message: body.Error.Message}
		if e.Type == "" {
			e.Type = "upstream_error"
		}
	} else {
		e = &api.Error{Status: status, Type: "upstream_error",
			Message: fmt.Sprintf("the provider answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))}
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		// The client's credentials were fine; the gateway's provider key was not.
		e.Type, e.Code = "server_error", "upstream_auth_error"
		e.Message = "the provider rejected the gateway's credentials: " + e.Message
	}
	requestID := resp.Header.Get("Request-Id")
	if requestID == "" {
		requestID = body.RequestID
	}
	e.Err = fmt.Errorf("anthropic: upstream status %d (request-id %q): %s", resp.StatusCode, requestID, provider.Snippet(raw))
	e.Retryable = api.RetryableStatus(resp.StatusCode)
	e.RetryAfter = provider.RetryAfter(resp.Header)
	return e
}

// statusOfType is the HTTP status Anthropic documents for each error type; an error event
// inside a 200 stream carries only the type.
var statusOfType = map[string]int{
	"invalid_request_error": http.StatusBadRequest,
	"authentication_error":  http.StatusUnauthorized,
	"billing_error":         http.StatusPaymentRequired,
	"permission_error":      http.StatusForbidden,
	"not_found_error":       http.StatusNotFound,
	"request_too_large":     http.StatusRequestEntityTooLarge,
	"rate_limit_error":      http.StatusTooManyRequests,
	"api_error":             http.StatusInternalServerError,
	"timeout_error":         http.StatusGatewayTimeout,
	"overloaded_error":      529,
}

// streamError maps an error event, keeping the provider's type and message. It is never
// retryable: the client already has the status line and possibly part of the answer.
func streamError(d *errorDetail, data []byte) *api.Error {
	if d == nil || d.Message == "" {
		return api.NewError("upstream_error", "the provider reported an error mid-stream",
			fmt.Errorf("anthropic: stream error event: %s", provider.Snippet(data)))
	}
	status, ok := statusOfType[d.Type]
	if !ok {
		status = http.StatusInternalServerError
	}
	return &api.Error{Status: api.UpstreamStatus(status), Type: d.Type, Message: d.Message,
		Err: fmt.Errorf("anthropic: stream error event: %s", provider.Snippet(data))}
}
