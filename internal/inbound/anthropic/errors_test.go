package anthropic

import (
	"testing"

	"github.com/sluicehq/sluice/internal/api"
)

func TestErrorType(t *testing.T) {
	for status, want := range map[int]string{400: "invalid_request_error", 401: "authentication_error",
		402: "billing_error", 403: "permission_error", 404: "not_found_error", 405: "invalid_request_error",
		413: "request_too_large", 429: "rate_limit_error", 500: "api_error", 502: "api_error",
		503: "overloaded_error", 504: "timeout_error", 529: "overloaded_error"} {
		if got := ErrorType(status); got != want {
			t.Errorf("ErrorType(%d) = %q, want %q", status, got, want)
		}
	}
}

func TestAppendError(t *testing.T) {
	e := api.Errorf("model_not_found", "model \"x\" is \x00unknown")
	got := string(AppendError(nil, e))
	want := `{"type":"error","error":{"type":"not_found_error","message":"model \"x\" is \u0000unknown"}}`
	if !jsonEqual(t, got, want) {
		t.Errorf("AppendError = %s, want %s", got, want)
	}
	ev := string(AppendErrorEvent(nil, &api.Error{Status: 503, Message: "Overloaded"}))
	if want := "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n"; ev != want {
		t.Errorf("AppendErrorEvent = %q, want %q", ev, want)
	}
	bad := string(AppendError(nil, &api.Error{Status: 500, Message: "bad \xff utf8"}))
	if !jsonEqual(t, bad, `{"type":"error","error":{"type":"api_error","message":"\"bad \\xff utf8\""}}`) {
		t.Errorf("AppendError with invalid UTF-8 = %s", bad)
	}
}
