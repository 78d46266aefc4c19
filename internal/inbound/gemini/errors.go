package gemini

import (
	"net/http"
	"strconv"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// Status is the google.rpc status name Google APIs pair with an HTTP status
// (https://ai.google.dev/gemini-api/docs/troubleshooting, https://cloud.google.com/apis/design/errors).
// Clients that branch on the body's status expect these names.
func Status(httpStatus int) string {
	switch httpStatus {
	case http.StatusBadRequest, http.StatusRequestEntityTooLarge:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusMethodNotAllowed, http.StatusNotImplemented:
		return "UNIMPLEMENTED"
	case http.StatusConflict:
		return "ABORTED"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case http.StatusServiceUnavailable, http.StatusBadGateway:
		return "UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	}
	if httpStatus >= 400 && httpStatus < 500 {
		return "FAILED_PRECONDITION"
	}
	return "INTERNAL"
}

// AppendError appends e as Google's error body. Only Message reaches the client, as in the
// OpenAI-shaped body; the cause stays in the log.
func AppendError(dst []byte, e *api.Error) []byte {
	body := ErrorBody{Error: ErrorDetail{Code: e.Status, Message: e.Message, Status: Status(e.Status)}}
	out, err := jsonx.AppendMarshal(dst, &body)
	if err != nil { // only invalid UTF-8 in the message can fail; say something valid instead
		body.Error.Message = strconv.QuoteToASCII(e.Message)
		out, _ = jsonx.AppendMarshal(dst, &body)
	}
	return out
}
