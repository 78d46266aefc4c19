package mockllm

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
)

// geminiFormat renders errors as the Gemini API does, Google's standard error object:
// {"error":{"code":429,"message":...,"status":"RESOURCE_EXHAUSTED","details":[...]}}, with the
// statuses and messages of https://ai.google.dev/gemini-api/docs/troubleshooting. Gemini sends
// no Retry-After header; a 429 carries a google.rpc.RetryInfo detail instead.
type geminiFormat struct{}

type gmErrorBody struct {
	Error gmError `json:"error"`
}

type gmError struct {
	Code    int              `json:"code"`
	Message string           `json:"message"`
	Status  string           `json:"status"`
	Details []map[string]any `json:"details,omitempty"`
}

// gmInternalMessage is the text of Gemini's 500, in a body or mid-stream.
const gmInternalMessage = "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"

func (geminiFormat) writeError(w http.ResponseWriter, fl failure) error {
	return writeGeminiJSON(w, fl.Status, gmErrorBody{Error: gmErrorFor(fl)})
}

// gmErrorFor is the one table of Gemini statuses and messages. Failures that carry a message
// keep it; injected faults get the text Gemini sends. fl.Code, when set, is an ErrorInfo reason.
func gmErrorFor(fl failure) gmError {
	e := gmError{Code: fl.Status, Message: fl.Message, Status: gmStatus(fl.Status)}
	fault := e.Message == ""
	switch fl.Status {
	case http.StatusBadRequest:
		if fault {
			e.Message = fmt.Sprintf("Request contains an invalid argument. (injected by mockllm status=%d)", fl.Status)
		}
	case http.StatusForbidden:
		if fault {
			e.Message = "The caller does not have permission"
		}
	case http.StatusNotFound:
		if fault {
			e.Message = fmt.Sprintf("models/%s is not found for API version v1beta, or is not supported for generateContent. "+
				"Call ListModels to see the list of available models and their supported methods.", fl.Model)
		}
	case http.StatusTooManyRequests:
		if fault {
			e.Message = "You exceeded your current quota, please check your plan and billing details. For more information " +
				"on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
		}
		e.Details = append(e.Details, map[string]any{"@type": "type.googleapis.com/google.rpc.Help",
			"links": []map[string]string{{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}}})
		if fl.RetryAfter > 0 {
			e.Details = append(e.Details, map[string]any{"@type": "type.googleapis.com/google.rpc.RetryInfo",
				"retryDelay": strconv.Itoa(fl.RetryAfter) + "s"})
		}
	case http.StatusInternalServerError:
		if fault {
			e.Message = gmInternalMessage
		}
	case http.StatusServiceUnavailable:
		if fault {
			e.Message = "The model is overloaded. Please try again later."
		}
	case http.StatusGatewayTimeout:
		if fault {
			e.Message = "Deadline expired before operation could complete."
		}
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("%s (injected by mockllm status=%d).", http.StatusText(fl.Status), fl.Status)
	}
	if fl.Code != "" {
		e.Details = append([]map[string]any{{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": fl.Code,
			"domain": "googleapis.com", "metadata": map[string]string{"service": "generativelanguage.googleapis.com"}}}, e.Details...)
	}
	return e
}

// gmStatus is google.rpc.Code's name for an HTTP status, as Google's APIs map them.
func gmStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "INVALID_ARGUMENT"
	case http.StatusUnauthorized:
		return "UNAUTHENTICATED"
	case http.StatusForbidden:
		return "PERMISSION_DENIED"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusConflict:
		return "ABORTED"
	case http.StatusRequestEntityTooLarge:
		return "INVALID_ARGUMENT"
	case http.StatusTooManyRequests:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case http.StatusNotImplemented:
		return "UNIMPLEMENTED"
	case http.StatusServiceUnavailable:
		return "UNAVAILABLE"
	case http.StatusGatewayTimeout:
		return "DEADLINE_EXCEEDED"
	}
	if status >= 500 {
		return "INTERNAL"
	}
	return "FAILED_PRECONDITION"
}

// gmUnauthorized is what Gemini answers without a key (403) and with a wrong one (400, reason
// API_KEY_INVALID).
func gmUnauthorized(given bool) failure {
	if !given {
		return failure{Status: http.StatusForbidden, Message: "Method doesn't allow unregistered callers (callers without " +
			"established identity). Please use API Key or other form of API consumer identity to call this API."}
	}
	return failure{Status: http.StatusBadRequest, Code: "API_KEY_INVALID", Message: "API key not valid. Please pass a valid API key."}
}

// gmInvalid is a 400 INVALID_ARGUMENT with Gemini's field-error wording.
func gmInvalid(format string, args ...any) failure {
	return failure{Status: http.StatusBadRequest, Message: fmt.Sprintf(format, args...)}
}

// writeGeminiJSON writes v with the content type Google's front end sends.
func writeGeminiJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	return writeGeminiBody(w, status, b)
}

func writeGeminiBody(w http.ResponseWriter, status int, b []byte) error {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write response: %w: %w", errClientGone, err)
	}
	return nil
}
