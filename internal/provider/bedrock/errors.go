package bedrock

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

// DecodeError reads a non-2xx answer: {"message":"..."} with the error type in the
// x-amzn-ErrorType header ("ThrottlingException:http://internal.amazon.com/coral/..."), or in
// the body's __type when the header is absent. The type and message reach the client; the status
// is mapped by api.UpstreamStatus. Bedrock's statuses: 400 ValidationException, 403
// AccessDeniedException (also UnrecognizedClientException, InvalidSignatureException), 404
// ResourceNotFoundException, 408 ModelTimeoutException, 424 ModelErrorException, 429
// ThrottlingException and ModelNotReadyException, 500 InternalServerException, 503
// ServiceUnavailableException.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_Errors
func (Adapter) DecodeError(resp *http.Response) *api.Error {
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	typ, msg := errorInfo(resp.Header.Get("X-Amzn-Errortype"), raw)
	if msg == "" {
		msg = fmt.Sprintf("the provider answered %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	e := &api.Error{Status: api.UpstreamStatus(resp.StatusCode), Type: typ, Message: msg}
	if typ == "" {
		e.Type = "upstream_error"
	}
	if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
		// The client's credentials were fine; the gateway's AWS key pair was not.
		e.Type, e.Code = "server_error", "upstream_auth_error"
		e.Message = fmt.Sprintf("the provider rejected the gateway's credentials (%s): %s", typ, msg)
	}
	e.Err = fmt.Errorf("bedrock: upstream status %d %s: %s", resp.StatusCode, typ, provider.Snippet(raw))
	e.Retryable = api.RetryableStatus(resp.StatusCode)
	e.RetryAfter = provider.RetryAfter(resp.Header)
	return e
}

// errorInfo returns the error type (without namespace or URI) and message, the way the AWS SDKs
// resolve them: the header first, then the body's __type, then its code.
func errorInfo(header string, raw []byte) (typ, msg string) {
	var body errorBody
	_ = jsonx.Unmarshal(raw, &body) // a body that is not JSON leaves both empty
	typ = header
	if typ == "" {
		typ = body.Type
	}
	if typ == "" && len(body.Code) > 0 && body.Code[0] == '"' {
		_ = jsonx.Unmarshal(body.Code, &typ)
	}
	return sanitizeType(typ), body.message()
}

func (b *errorBody) message() string {
	if b.Message != "" {
		return b.Message
	}
	return b.MessageUpper
}

// messageOf reads the message of an error's JSON payload.
func messageOf(payload []byte) string {
	var body errorBody
	_ = jsonx.Unmarshal(payload, &body)
	return body.message()
}

// sanitizeType strips "aws.protocols#" style prefixes and ":http://..." suffixes.
func sanitizeType(typ string) string {
	typ, _, _ = strings.Cut(typ, ":")
	if i := strings.LastIndexByte(typ, '#'); i >= 0 {
		typ = typ[i+1:]
	}
	return typ
}
