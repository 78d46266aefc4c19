package anthropic

import (
	"net/http"
	"strconv"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// ErrorType is Anthropic's error type for an HTTP status
// (https://docs.anthropic.com/en/api/errors). The SDKs pick their exception class from the
// status, and clients that branch on the body's type expect these names, not OpenAI's.
func ErrorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusPaymentRequired:
		return "billing_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case http.StatusGatewayTimeout:
		return "timeout_error"
	case http.StatusServiceUnavailable, 529:
		return "overloaded_error"
	}
	if status >= 400 && status < 500 {
		return "invalid_request_error"
	}
	return "api_error"
}

// AppendError appends e as Anthropic's error body. Only Message reaches the client, as in the
// OpenAI-shaped body; the cause stays in the log.
func AppendError(dst []byte, e *api.Error) []byte {
	body := ErrorBody{Type: "error", Error: ErrorDetail{Type: ErrorType(e.Status), Message: e.Message}}
	out, err := jsonx.AppendMarshal(dst, &body)
	if err != nil { // only invalid UTF-8 in the message can fail; say something valid instead
		body.Error.Message = strconv.QuoteToASCII(e.Message)
		out, _ = jsonx.AppendMarshal(dst, &body)
	}
	return out
}

// AppendErrorEvent appends e as a stream's error event, sent when a failure happens after the
// status line has gone out.
func AppendErrorEvent(dst []byte, e *api.Error) []byte {
	dst = append(dst, "event: error\ndata: "...)
	dst = AppendError(dst, e)
	return append(dst, '\n', '\n')
}
