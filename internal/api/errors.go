package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error is the one error type that reaches a client. Message is shown to the client; Err is
// the cause, for the log only. It renders as OpenAI's {"error":{"message","type","param","code"}}.
type Error struct {
	Status  int
	Type    string
	Code    string
	Param   string
	Message string
	Err     error
	// Retryable says whether another attempt (same or other target) may succeed.
	Retryable bool
	// RetryAfter is the upstream's retry-after hint, zero when none was given.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Code + ": " + e.Message + ": " + e.Err.Error()
	}
	return e.Code + ": " + e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// AppendJSON appends the OpenAI error body.
func (e *Error) AppendJSON(dst []byte) []byte {
	dst = append(dst, `{"error":{"message":`...)
	dst = strconv.AppendQuote(dst, e.Message)
	dst = append(dst, `,"type":`...)
	dst = strconv.AppendQuote(dst, e.Type)
	dst = append(dst, `,"param":`...)
	dst = appendNullable(dst, e.Param)
	dst = append(dst, `,"code":`...)
	dst = appendNullable(dst, e.Code)
	return append(dst, "}}"...)
}

func appendNullable(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return strconv.AppendQuote(dst, s)
}

// ErrorCode describes one code a client may receive. The table below is the reference; the
// README's error section is written from it.
type ErrorCode struct {
	Code      string
	Status    int
	Type      string
	Retryable bool
	Doc       string
}

// Codes is every error code Sluice itself produces. Upstream errors keep the upstream's own
// type and code when it gives them, with the status mapped by UpstreamStatus.
var Codes = []ErrorCode{
	{"invalid_json", http.StatusBadRequest, "invalid_request_error", false, "The body is not valid JSON or a field has the wrong type."},
	{"invalid_request", http.StatusBadRequest, "invalid_request_error", false, "A required field is missing or a value is out of range."},
	{"request_too_large", http.StatusRequestEntityTooLarge, "invalid_request_error", false, "The body exceeds server.max_body_bytes (server.max_upload_bytes for audio uploads, batch.max_file_bytes for files)."},
	{"missing_api_key", http.StatusUnauthorized, "authentication_error", false, "No API key was sent (Authorization: Bearer, x-api-key, api-key or x-goog-api-key)."},
	{"invalid_api_key", http.StatusUnauthorized, "authentication_error", false, "The API key is unknown or revoked."},
	{"key_expired", http.StatusUnauthorized, "authentication_error", false, "The API key has passed its expiry."},
	{"invalid_token", http.StatusUnauthorized, "authentication_error", false, "The bearer JWT failed verification (issuer, audience, expiry, signature or key)."},
	{"model_access_denied", http.StatusForbidden, "permission_error", false, "The key or its team may not use this model."},
	{"forbidden", http.StatusForbidden, "permission_error", false, "The caller's role does not allow this admin action."},
	{"conflict", http.StatusConflict, "invalid_request_error", false, "The change conflicts with existing data (a name in use, a resource still referenced)."},
	{"model_not_found", http.StatusNotFound, "invalid_request_error", false, "The model is neither a configured alias nor provider/model of a configured provider."},
	{"not_found", http.StatusNotFound, "invalid_request_error", false, "No such endpoint."},
	{"response_not_found", http.StatusNotFound, "invalid_request_error", false, "The stored response (GET/DELETE /v1/responses/{id}, previous_response_id) does not exist, has expired or belongs to another tenant."},
	{"file_not_found", http.StatusNotFound, "invalid_request_error", false, "The file (/v1/files/{id}, a batch's input_file_id) does not exist, has expired or belongs to another tenant."},
	{"batch_not_found", http.StatusNotFound, "invalid_request_error", false, "The batch (/v1/batches/{id}) does not exist or belongs to another tenant."},
	{"batch_not_cancellable", http.StatusConflict, "invalid_request_error", false, "The batch has already finished (completed, failed, expired or cancelled)."},
	{"resource_not_found", http.StatusNotFound, "invalid_request_error", false, "The admin resource (team, project, user, key) does not exist."},
	{"method_not_allowed", http.StatusMethodNotAllowed, "invalid_request_error", false, "The endpoint exists but not for this HTTP method."},
	{"rate_limited", http.StatusTooManyRequests, "rate_limit_error", false, "A Sluice rate limit (requests, tokens or concurrent requests of the key, user, team or key and model) is used up; retry after retry-after."},
	{"upstream_quota_exhausted", http.StatusTooManyRequests, "rate_limit_error", false, "Every target of the model reported its own rate limit used up and none reset within routing.quota_wait."},
	{"unsupported_endpoint", http.StatusBadRequest, "invalid_request_error", false, "The model's provider does not offer this endpoint."},
	{"upstream_timeout", http.StatusGatewayTimeout, "timeout_error", true, "The provider did not answer within the target's timeout."},
	{"upstream_unreachable", http.StatusBadGateway, "server_error", true, "The provider could not be reached (connection refused, reset, DNS)."},
	{"upstream_error", http.StatusBadGateway, "server_error", true, "The provider answered with an error or a response Sluice could not read."},
	{"upstream_auth_error", http.StatusBadGateway, "server_error", false, "The provider rejected the gateway's credentials for it (its 401/403): an operator problem, not the client's."},
	{"stream_interrupted", http.StatusBadGateway, "server_error", false, "The provider's stream ended without its terminal event or sent an unreadable chunk."},
	{"content_policy_violation", http.StatusBadRequest, "invalid_request_error", false, "A guardrail rule blocked the request or the answer; the message names the rule, never the text."},
	{"request_aborted", http.StatusBadRequest, "invalid_request_error", false, "The client stopped sending the body or it could not be read in time."},
	{"budget_exceeded", http.StatusTooManyRequests, "insufficient_quota", false, "A spend budget covering the key, user, team, project or organization is exhausted; the message names it and when it resets, and Retry-After gives the seconds until then."},
}

var codeIndex = func() map[string]*ErrorCode {
	m := make(map[string]*ErrorCode, len(Codes))
	for i := range Codes {
		m[Codes[i].Code] = &Codes[i]
	}
	return m
}()

// NewError returns the Error for one of the codes in Codes. An unknown code is a programming
// error and yields a 500 that still names it.
func NewError(code, message string, cause error) *Error {
	c, ok := codeIndex[code]
	if !ok {
		return &Error{Status: http.StatusInternalServerError, Type: "server_error", Code: code, Message: message, Err: cause}
	}
	return &Error{Status: c.Status, Type: c.Type, Code: c.Code, Message: message, Err: cause, Retryable: c.Retryable}
}

// Errorf is NewError with a formatted message and no cause.
func Errorf(code, format string, args ...any) *Error {
	return NewError(code, fmt.Sprintf(format, args...), nil)
}

// AsError returns err as an *Error, wrapping anything else as an internal error whose
// details stay in the log.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Status: http.StatusInternalServerError, Type: "server_error", Code: "internal_error",
		Message: "internal error", Err: err}
}

// UpstreamStatus maps a provider's HTTP error status to the status the client receives.
// Client errors pass through, except credential failures: the client's own credentials were
// fine, the gateway's were not, so that is a 502. Provider outages keep their meaning
// (503, 504) and other server errors become 502. Anthropic's 529 "overloaded" is a 503.
// A 424 Failed Dependency (Bedrock's ModelErrorException and ModelStreamErrorException) says the
// model behind the provider failed, not the request, so it is a 502 too: as a 4xx it would
// reach Anthropic and Gemini clients as invalid_request_error or FAILED_PRECONDITION.
func UpstreamStatus(status int) int {
	switch {
	case status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusFailedDependency:
		return http.StatusBadGateway
	case status == http.StatusRequestTimeout:
		return http.StatusGatewayTimeout
	case status >= 400 && status < 500:
		return status
	case status == http.StatusServiceUnavailable || status == 529:
		return http.StatusServiceUnavailable
	case status == http.StatusGatewayTimeout:
		return http.StatusGatewayTimeout
	default:
		return http.StatusBadGateway
	}
}

// RetryableStatus reports whether a provider status is worth another attempt.
func RetryableStatus(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusRequestTimeout ||
		status == 529 || status >= 500
}
