package openaiwire

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

// errorBody is {"error":{"message","type","param","code"}}. code is a string at OpenAI, a
// number or null at some compatible servers; it is kept raw and rendered as text.
type errorBody struct {
	Error struct {
		Message string      `json:"message"`
		Type    string      `json:"type"`
		Param   jsonx.Value `json:"param"`
		Code    jsonx.Value `json:"code"`
	} `json:"error"`
}

func (b *errorBody) toAPIError(status int) *api.Error {
	typ := b.Error.Type
	switch {
	case typ != "":
	case status >= 400 && status < 500 && status != http.StatusTooManyRequests:
		// Azure's own errors (content filter, missing deployment) carry no type; a client
		// error still reads as one.
		typ = "invalid_request_error"
	default:
		typ = "upstream_error"
	}
	return &api.Error{
		Status:  status,
		Type:    typ,
		Code:    rawText(b.Error.Code),
		Param:   rawText(b.Error.Param),
		Message: b.Error.Message,
	}
}

// DecodeError reads a non-2xx response. The provider's type, code and message reach the
// client; its status is mapped by api.UpstreamStatus.
func DecodeError(resp *http.Response) *api.Error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	status := api.UpstreamStatus(resp.StatusCode)
	var e *api.Error
	var body errorBody
	if jsonx.Unmarshal(raw, &body) == nil && body.Error.Message != "" {
		e = body.toAPIError(status)
	} else {
		e = &api.Error{Status: status, Type: "upstream_error",
			Message: fmt.Sprintf("the provider answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))}
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		// The client's credentials were fine; the gateway's provider key was not.
		e.Type, e.Code = "server_error", "upstream_auth_error"
		e.Message = "the provider rejected the gateway's credentials: " + e.Message
	}
	e.Err = fmt.Errorf("openaiwire: upstream status %d: %s", resp.StatusCode, provider.Snippet(raw))
	e.Retryable = api.RetryableStatus(resp.StatusCode)
	e.RetryAfter = provider.RetryAfter(resp.Header)
	return e
}

func rawText(v jsonx.Value) string {
	s := strings.TrimSpace(string(v))
	if s == "" || s == "null" {
		return ""
	}
	if unq, err := strconv.Unquote(s); err == nil {
		return unq
	}
	return s
}
