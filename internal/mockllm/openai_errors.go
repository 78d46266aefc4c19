package mockllm

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"reflect"
	"strconv"
)

// openaiFormat renders errors as the OpenAI API does:
// {"error":{"message":...,"type":...,"param":...,"code":...}} with param and code null when unset.
// See https://platform.openai.com/docs/guides/error-codes.
type openaiFormat struct{}

type oaErrorBody struct {
	Error oaError `json:"error"`
}

type oaError struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    *string `json:"code"`
}

func (openaiFormat) writeError(w http.ResponseWriter, fl failure) error {
	e := oaErrorFor(fl)
	if fl.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(fl.RetryAfter))
	}
	return writeJSON(w, fl.Status, oaErrorBody{Error: e})
}

// oaErrorFor is the one table of OpenAI error types, codes and messages. Failures that carry a
// message keep it; injected faults (no message) get the text OpenAI sends for that status.
func oaErrorFor(fl failure) oaError {
	typ, code, msg := "invalid_request_error", fl.Code, fl.Message
	fault := msg == ""
	switch s := fl.Status; {
	case s == http.StatusUnauthorized:
		code = "invalid_api_key"
		if fault {
			msg = "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
		}
	case s == http.StatusForbidden:
		typ = "request_forbidden"
		if fault {
			code, msg = "unsupported_country_region_territory", "Country, region, or territory not supported"
		}
	case s == http.StatusNotFound && fault:
		code, msg = "model_not_found", fmt.Sprintf("The model `%s` does not exist or you do not have access to it.", fl.Model)
	case s == http.StatusTooManyRequests:
		typ = "requests"
		if fault {
			code = "rate_limit_exceeded"
			msg = fmt.Sprintf("Rate limit reached for %s in organization org-mockllm on requests per min (RPM): "+
				"Limit 1, Used 1, Requested 1. Please try again in %ds.", fl.Model, fl.RetryAfter)
		}
	case s == http.StatusServiceUnavailable:
		typ = "service_unavailable_error"
		if fault {
			code, msg = "server_is_overloaded", "The server is overloaded or not ready yet."
		}
	case s >= 500:
		typ = "server_error"
		if fault {
			msg = "The server had an error while processing your request. Sorry about that!"
		}
	case fault:
		msg = fmt.Sprintf("%s (injected by mockllm status=%d).", http.StatusText(s), s)
	}
	return oaError{Message: msg, Type: typ, Param: nullable(fl.Param), Code: nullable(code)}
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func unauthorized(r *http.Request) failure {
	if r.Header.Get("Authorization") == "" {
		return failure{Status: http.StatusUnauthorized, Message: "You didn't provide an API key. You need to provide " +
			"your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."}
	}
	return failure{Status: http.StatusUnauthorized, Message: "Incorrect API key provided."}
}

func missingParam(name string) *failure {
	return &failure{Status: http.StatusBadRequest, Param: name, Code: "missing_required_parameter",
		Message: fmt.Sprintf("Missing required parameter: '%s'.", name)}
}

func outOfRange(name string, got, lo, hi int) *failure {
	code, bound, limit := "integer_below_min_value", "below minimum", fmt.Sprintf(">= %d", lo)
	if got > hi {
		code, bound, limit = "integer_above_max_value", "above maximum", fmt.Sprintf("<= %d", hi)
	}
	return &failure{Status: http.StatusBadRequest, Param: name, Code: code,
		Message: fmt.Sprintf("Invalid '%s': integer %s value. Expected a value %s, but got %d instead.", name, bound, limit, got)}
}

func invalidKnob(err error) failure {
	return failure{Status: http.StatusBadRequest, Code: "invalid_mock_knob", Message: "mockllm: " + err.Error()}
}

// decodeJSON decodes a request body, turning a decoding error into the 400 the API sends, with the
// problem named.
func decodeJSON(body []byte, v any) *failure {
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	if se, ok := errors.AsType[*shapeError](err); ok {
		return se.failure()
	}
	if te, ok := errors.AsType[*json.UnmarshalTypeError](err); ok {
		return (&shapeError{param: te.Field, want: goKindToJSON(te.Type.Kind()), got: te.Value}).failure()
	}
	if len(body) == 0 {
		err = errors.New("the body is empty")
	}
	return &failure{Status: http.StatusBadRequest, Message: "We could not parse the JSON body of your request. " +
		"(HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, " +
		"but what was sent was not valid JSON: " + err.Error() + ")"}
}

// writeJSON writes v with status and the headers every OpenAI response carries.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	return writeBody(w, status, "application/json", b)
}

func writeBody(w http.ResponseWriter, status int, contentType string, b []byte) error {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Request-Id", randomID("req_", 32))
	w.WriteHeader(status)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write response: %w: %w", errClientGone, err)
	}
	return nil
}

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

// randomID returns prefix and n random alphanumerics, the shape of OpenAI ids ("chatcmpl-…").
func randomID(prefix string, n int) string {
	b := make([]byte, len(prefix), len(prefix)+n)
	copy(b, prefix)
	for range n {
		b = append(b, idAlphabet[rand.Uint64()%uint64(len(idAlphabet))])
	}
	return string(b)
}

// seededID is randomID drawn from seed, for ids that are part of the deterministic reply.
func seededID(prefix string, n int, seed uint64) string {
	r := rng(seed)
	b := make([]byte, len(prefix), len(prefix)+n)
	copy(b, prefix)
	for range n {
		b = append(b, idAlphabet[r.next()%uint64(len(idAlphabet))])
	}
	return string(b)
}

// shapeError is a request value of the wrong JSON type.
type shapeError struct{ param, want, got string }

func (e *shapeError) Error() string {
	return fmt.Sprintf("invalid type for '%s': expected %s, but got %s", e.param, e.want, e.got)
}

func (e *shapeError) failure() *failure {
	if e.param == "" {
		e.param = "body"
	}
	return &failure{Status: http.StatusBadRequest, Param: e.param, Code: "invalid_type",
		Message: fmt.Sprintf("Invalid type for '%s': expected %s, but got %s instead.", e.param, e.want, e.got)}
}

// jsonKind names the JSON type of a raw value, for error messages.
func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	}
	return "number"
}

// goKindToJSON names the JSON type a Go kind decodes from, for error messages.
func goKindToJSON(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another type"
}
