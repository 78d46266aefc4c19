package mockllm

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Amazon Bedrock runtime: POST /model/{modelId}/converse, /converse-stream and /invoke
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_Operations_Amazon_Bedrock_Runtime.html),
// authenticated with AWS Signature Version 4. Converse is in bedrock_converse.go, its event
// stream in bedrock_stream.go, InvokeModel's embedding models in bedrock_embed.go, the signature
// check in bedrock_sigv4.go.

// bedrockAPI speaks the Bedrock runtime API.
type bedrockAPI struct{ bedrockFormat }

func (bedrockAPI) matches(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/model/") }

// authorize verifies the SigV4 signature when the server has an AWS key pair.
func (bedrockAPI) authorize(s *Server, r *http.Request, body []byte) (failure, bool) {
	if s.opts.AWSAccessKeyID == "" {
		return failure{}, true
	}
	return brVerifySigV4(r, body, s.opts.AWSAccessKeyID, s.opts.AWSSecretAccessKey, time.Now())
}

func (a bedrockAPI) serve(s *Server, w http.ResponseWriter, r *http.Request, body []byte) error {
	model, op, ok := brRoute(r)
	if !ok || r.Method != http.MethodPost {
		return a.writeError(w, failure{Status: http.StatusNotFound, Code: "UnknownOperationException",
			Message: "mockllm: no Bedrock operation at " + r.Method + " " + r.URL.Path +
				"; use POST /model/{modelId}/converse, /converse-stream or /invoke"})
	}
	switch op {
	case "converse":
		return s.bedrockConverse(w, r, body, model, false)
	case "converse-stream":
		return s.bedrockConverse(w, r, body, model, true)
	default:
		return s.bedrockInvoke(w, r, body, model)
	}
}

// brRoute splits /model/{modelId}/{operation}. The model id is one escaped path segment (its
// ":" and "/" arrive as %3A and %2F), so it is read from the escaped path.
func brRoute(r *http.Request) (model, op string, ok bool) {
	rest, found := strings.CutPrefix(r.URL.EscapedPath(), "/model/")
	i := strings.LastIndexByte(rest, '/')
	if !found || i <= 0 {
		return "", "", false
	}
	model, err := url.PathUnescape(rest[:i])
	op = rest[i+1:]
	switch op {
	case "converse", "converse-stream", "invoke":
		return model, op, err == nil && model != ""
	}
	return "", "", false
}

// bedrockFormat renders errors as Bedrock does: the type in the x-amzn-ErrorType header,
// suffixed with its namespace, and {"message": ...} as the body. The SDKs read the type from
// the header.
type bedrockFormat struct{}

// Namespaces of x-amzn-ErrorType: credential errors come from the AWS front end, the rest from
// Bedrock itself.
const (
	brNamespaceCoral   = "http://internal.amazon.com/coral/com.amazon.coral.service/"
	brNamespaceBedrock = "http://internal.amazon.com/coral/com.amazon.bedrock/"
)

func (bedrockFormat) writeError(w http.ResponseWriter, fl failure) error {
	typ, msg := brErrorFor(fl)
	ns := brNamespaceBedrock
	switch typ {
	case "UnrecognizedClientException", "InvalidSignatureException", "MissingAuthenticationTokenException",
		"IncompleteSignatureException", "UnknownOperationException":
		ns = brNamespaceCoral
	}
	w.Header().Set("X-Amzn-Errortype", typ+":"+ns)
	if fl.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(fl.RetryAfter))
	}
	return brWriteJSON(w, fl.Status, struct {
		Message string `json:"message"`
	}{msg})
}

// brErrorFor is the one table of Bedrock error types and messages by status
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_Errors).
// A failure's Code, when set, is the type; its Message, when set, the message.
func brErrorFor(fl failure) (typ, msg string) {
	switch s := fl.Status; {
	case s == http.StatusBadRequest || s == http.StatusRequestEntityTooLarge:
		typ, msg = "ValidationException", "Malformed input request, please reformat your input and try again."
	case s == http.StatusUnauthorized:
		typ, msg = "UnrecognizedClientException", "The security token included in the request is invalid."
	case s == http.StatusForbidden:
		typ, msg = "AccessDeniedException", "You don't have access to the model with the specified model ID."
	case s == http.StatusNotFound:
		typ, msg = "ResourceNotFoundException", "Could not resolve the foundation model from the provided model identifier."
	case s == http.StatusRequestTimeout:
		typ, msg = "ModelTimeoutException", "Model has timed out in processing the request. Try your request again."
	case s == http.StatusFailedDependency:
		typ, msg = "ModelErrorException", "The model returned an error. Try your request again."
	case s == http.StatusTooManyRequests:
		typ, msg = "ThrottlingException", "Too many requests, please wait before trying again."
	case s == http.StatusServiceUnavailable:
		typ, msg = "ServiceUnavailableException", "Bedrock is unable to process your request."
	case s >= 500:
		typ, msg = "InternalServerException", "The system encountered an unexpected error during processing. Try your request again."
	default:
		typ, msg = "ValidationException", fmt.Sprintf("%s (injected by mockllm status=%d).", http.StatusText(s), s)
	}
	if fl.Code != "" {
		typ = fl.Code
	}
	if fl.Message != "" {
		msg = fl.Message
	}
	return typ, msg
}

// brInvalid is a ValidationException with Bedrock's message.
func brInvalid(format string, args ...any) failure {
	return failure{Status: http.StatusBadRequest, Code: "ValidationException", Message: fmt.Sprintf(format, args...)}
}

// brDecode decodes a request body and refuses members the API does not define. Bedrock's
// handling of unknown members is not documented; the mock is strict so that a misspelt field
// in a client fails a test instead of being dropped in silence.
func brDecode(body []byte, v any) *failure {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return nil
	}
	if field, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		fl := brInvalid("Malformed input request: extraneous key [%s] is not permitted, please reformat your input and try again.", strings.Trim(field, `"`))
		return &fl
	}
	fl := brInvalid("Malformed input request: %s, please reformat your input and try again.", err)
	return &fl
}

// brWriteJSON writes v with the headers every Bedrock answer carries.
func brWriteJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	h.Set("X-Amzn-Requestid", brRequestID())
	w.WriteHeader(status)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("write response: %w: %w", errClientGone, err)
	}
	return nil
}

// brRequestID is a random UUID, the form of x-amzn-RequestId.
func brRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}
