package mockllm

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// anthropicFormat renders errors as the Messages API does:
// {"type":"error","error":{"type":...,"message":...},"request_id":"req_..."} with the same id in
// the request-id header. See https://docs.anthropic.com/en/api/errors.
type anthropicFormat struct{}

type anErrorBody struct {
	Type      string  `json:"type"`
	Error     anError `json:"error"`
	RequestID string  `json:"request_id"`
}

type anError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

func (anthropicFormat) writeError(w http.ResponseWriter, fl failure) error {
	if fl.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(fl.RetryAfter))
	}
	return anWriteJSON(w, fl.Status, anErrorBody{Type: "error", Error: anErrorFor(fl)})
}

// anErrorFor is the one table of Anthropic error types and messages by status. Failures that
// carry a message keep it; injected faults (no message) get the text the API sends.
func anErrorFor(fl failure) anError {
	typ, msg := "invalid_request_error", fl.Message // the API's type for any other 4xx
	fault := msg == ""
	switch s := fl.Status; {
	case s == http.StatusUnauthorized:
		typ = "authentication_error"
		if fault {
			msg = "invalid x-api-key"
		}
	case s == http.StatusPaymentRequired:
		typ = "billing_error"
	case s == http.StatusForbidden:
		typ = "permission_error"
		if fault {
			msg = "Your API key does not have permission to use the specified resource."
		}
	case s == http.StatusNotFound:
		typ = "not_found_error"
		if fault {
			msg = "model: " + fl.Model
		}
	case s == http.StatusRequestEntityTooLarge:
		typ = "request_too_large"
		if fault {
			msg = "Request exceeds the maximum allowed number of bytes."
		}
	case s == http.StatusTooManyRequests:
		typ = "rate_limit_error"
		if fault {
			msg = "This request would exceed the rate limit for your organization (org-mockllm) of 1 requests per minute. " +
				"For details, refer to: https://docs.anthropic.com/en/api/rate-limits. You can see the response headers for current usage."
		}
	case s == http.StatusGatewayTimeout:
		typ = "timeout_error"
		if fault {
			msg = "Request timed out"
		}
	case s == 529:
		typ = "overloaded_error"
		if fault {
			msg = "Overloaded"
		}
	case s >= 500:
		typ = "api_error"
		if fault {
			msg = "Internal server error"
		}
	}
	if msg == "" {
		msg = fmt.Sprintf("%s (injected by mockllm status=%d).", http.StatusText(fl.Status), fl.Status)
	}
	return anError{Type: typ, Message: msg}
}

// anDecodeFailure names the problem with a body that does not decode, in the API's
// "<path>: <problem>" style.
func anDecodeFailure(err error) failure {
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok && te.Field != "" {
		return failure{Status: http.StatusBadRequest,
			Message: fmt.Sprintf("%s: Input should be %s", te.Field, goKindToJSON(te.Type.Kind()))}
	}
	return failure{Status: http.StatusBadRequest,
		Message: "There was an issue with the format of your request: " + strings.TrimPrefix(err.Error(), "json: ")}
}

// anWriteJSON writes v with the headers every Anthropic response carries.
func anWriteJSON(w http.ResponseWriter, status int, v any) error {
	id := randomID("req_01", 22)
	if e, ok := v.(anErrorBody); ok {
		e.RequestID = id
		v = e
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("Request-Id", id)
	w.WriteHeader(status)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write response: %w: %w", errClientGone, err)
	}
	return nil
}
