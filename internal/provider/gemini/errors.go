package gemini

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

// errorBody is {"error":{"code":429,"message":"...","status":"RESOURCE_EXHAUSTED","details":[...]}}.
// https://ai.google.dev/gemini-api/docs/troubleshooting lists the statuses: 400
// INVALID_ARGUMENT / FAILED_PRECONDITION, 403 PERMISSION_DENIED, 404 NOT_FOUND, 429
// RESOURCE_EXHAUSTED, 500 INTERNAL, 503 UNAVAILABLE, 504 DEADLINE_EXCEEDED.
type errorBody struct {
	Error *googleError `json:"error"`
}

// toAPIError keeps Google's status as the type and ErrorInfo's reason (API_KEY_INVALID,
// RATE_LIMIT_EXCEEDED, ...) as the code.
func (g *googleError) toAPIError(status int) *api.Error {
	typ := g.Status
	if typ == "" {
		typ = "upstream_error"
	}
	msg := g.Message
	if msg == "" {
		msg = "the provider reported an error"
	}
	return &api.Error{Status: status, Type: typ, Code: g.reason(), Message: msg}
}

func (g *googleError) reason() string {
	for _, d := range g.Details {
		if d.Reason != "" {
			return d.Reason
		}
	}
	return ""
}

// retryDelay reads RetryInfo.retryDelay, a protobuf Duration such as "37s" or "0.5s", which
// Gemini sends with RESOURCE_EXHAUSTED instead of a Retry-After header.
func (g *googleError) retryDelay() time.Duration {
	for _, d := range g.Details {
		if d.RetryDelay == "" {
			continue
		}
		if v, err := time.ParseDuration(d.RetryDelay); err == nil && v > 0 {
			return v
		}
	}
	return 0
}

// DecodeError reads a non-2xx response. Google's status and message reach the client; the HTTP
// status is mapped by api.UpstreamStatus.
func (Adapter) DecodeError(resp *http.Response) *api.Error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	status := api.UpstreamStatus(resp.StatusCode)
	var body errorBody
	var e *api.Error
	if jsonx.Unmarshal(raw, &body) == nil && body.Error != nil && body.Error.Message != "" {
		e = body.Error.toAPIError(status)
		e.RetryAfter = body.Error.retryDelay()
	} else {
		body.Error = nil
		e = &api.Error{Status: status, Type: "upstream_error",
			Message: fmt.Sprintf("the provider answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))}
	}
	// Gemini answers a wrong key with 400 INVALID_ARGUMENT and reason API_KEY_INVALID, not 401.
	badKey := body.Error != nil && body.Error.reason() == "API_KEY_INVALID"
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden || badKey {
		// The client's credentials were fine; the gateway's provider key was not.
		e.Status, e.Type, e.Code = http.StatusBadGateway, "server_error", "upstream_auth_error"
		e.Message = "the provider rejected the gateway's credentials: " + e.Message
	}
	e.Err = fmt.Errorf("gemini: upstream status %d: %s", resp.StatusCode, provider.Snippet(raw))
	e.Retryable = api.RetryableStatus(resp.StatusCode)
	if d := provider.RetryAfter(resp.Header); d > 0 {
		e.RetryAfter = d
	}
	return e
}
