package mockllm

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Azure OpenAI: OpenAI's API served per deployment, at
// POST /openai/deployments/{deployment}/{operation}?api-version=..., authenticated by an api-key
// header (or an Entra ID bearer token, for which the mock accepts its API key). The deployment
// names the model, whatever the body says. Answers are the OpenAI handlers' own, passed through
// azureWriter, which adds Azure's content filter annotations and renders the errors that Azure's
// gateway produces itself (credentials, missing deployments, throttling) in Azure's
// {"error":{"code","message"}} shape. See https://learn.microsoft.com/azure/ai-foundry/openai/reference.
type azureAPI struct{ azureFormat }

const azurePathPrefix = "/openai/deployments/"

// azureV1Prefix is Azure's v1 API: OpenAI's paths under /openai/v1, the deployment named by
// the body's model and no api-version (https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle).
// The mock serves its Responses API there.
const azureV1Prefix = "/openai/v1/"

func (azureAPI) matches(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, azurePathPrefix) || strings.HasPrefix(p, azureV1Prefix) ||
		strings.HasPrefix(p, "/openai/files") || strings.HasPrefix(p, "/openai/batches")
}

func (azureAPI) authorize(s *Server, r *http.Request, _ []byte) (failure, bool) {
	if s.opts.APIKey == "" {
		return failure{}, true
	}
	key := r.Header.Get("Api-Key")
	if key == "" {
		key, _ = strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	}
	if key != "" && subtle.ConstantTimeCompare([]byte(key), []byte(s.opts.APIKey)) == 1 {
		return failure{}, true
	}
	return failure{Status: http.StatusUnauthorized}, false
}

// azureOperations maps the path after the deployment to the serving handler, and the name Azure
// gives the operation in throttling messages.
var azureOperations = map[string]string{
	"chat/completions":     "ChatCompletions_Create",
	"embeddings":           "Embeddings_Create",
	"images/generations":   "ImageGenerations_Create",
	"audio/transcriptions": "Transcriptions_Create",
	"audio/speech":         "Speech_Create",
}

func (azureAPI) serve(s *Server, w http.ResponseWriter, r *http.Request, body []byte) error {
	if op, v1 := strings.CutPrefix(r.URL.Path, azureV1Prefix); v1 {
		f := azureFormat{operation: "Responses_Create"}
		switch {
		case op != "responses":
			return f.writeError(w, failure{Status: http.StatusNotFound, Message: "Resource not found"})
		case r.Method != http.MethodPost:
			w.Header().Set("Allow", http.MethodPost)
			return f.writeError(w, failure{Status: http.StatusMethodNotAllowed, Message: "Method Not Allowed"})
		}
		return s.responses(w, r, body)
	}
	if !strings.HasPrefix(r.URL.Path, azurePathPrefix) { // the Files and Batch APIs (openai_batch.go)
		if !knownAPIVersion(r.URL.Query().Get("api-version")) {
			return azureFormat{}.writeError(w, failure{Status: http.StatusNotFound, Message: "Resource not found"})
		}
		if ok, err := s.batchRoute(w, r, body); ok {
			return err
		}
		return azureFormat{}.writeError(w, failure{Status: http.StatusNotFound, Message: "Resource not found"})
	}
	deployment, op, ok := splitAzurePath(r.URL.EscapedPath())
	opName, known := azureOperations[op]
	version := r.URL.Query().Get("api-version")
	f := azureFormat{operation: opName, apiVersion: version}
	switch {
	case !ok || !known || !knownAPIVersion(version):
		// Azure's answer to a wrong path and to a missing or unknown api-version alike.
		return f.writeError(w, failure{Status: http.StatusNotFound, Message: "Resource not found"})
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", http.MethodPost)
		return f.writeError(w, failure{Status: http.StatusMethodNotAllowed, Message: "Method Not Allowed"})
	}
	aw := &azureWriter{ResponseWriter: w, f: f, op: op}
	switch op {
	case "chat/completions":
		return s.chatCompletions(aw, r, withModel(body, deployment))
	case "embeddings":
		return s.embeddings(aw, r, withModel(body, deployment))
	case "images/generations":
		return s.imageGenerations(aw, r, body, deployment)
	case "audio/transcriptions":
		return s.transcriptions(aw, r, body, deployment)
	default:
		return s.speech(aw, r, body, deployment)
	}
}

// splitAzurePath splits /openai/deployments/{deployment}/{operation}; the deployment is
// unescaped on its own, so a name with an escaped slash stays one name.
func splitAzurePath(escaped string) (deployment, op string, ok bool) {
	rest, _ := strings.CutPrefix(escaped, azurePathPrefix)
	dep, op, found := strings.Cut(rest, "/")
	if !found || dep == "" {
		return "", "", false
	}
	dep, err := url.PathUnescape(dep)
	return dep, op, err == nil
}

var apiVersionPattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}(-preview)?$`)

// knownAPIVersion accepts dated versions from the first GA release (2022-12-01) on; anything
// else gets Azure's 404, which is how a mistyped api_version shows up in practice.
func knownAPIVersion(v string) bool {
	return apiVersionPattern.MatchString(v) && v[:10] >= "2022-12-01"
}

// withModel sets the body's model to the deployment, so the OpenAI handlers — which require
// a model — answer as the deployment. A body that is not a JSON object is left for them to
// reject.
func withModel(body []byte, deployment string) []byte {
	var obj map[string]json.RawMessage
	if json.Unmarshal(body, &obj) != nil || obj == nil {
		return body
	}
	obj["model"], _ = json.Marshal(deployment)
	out, err := json.Marshal(obj)
	if err != nil {
		return body
	}
	return out
}

// azureFormat renders errors as Azure does. What Azure's own gateway rejects comes as
// {"error":{"code","message"}} with the code a status number or a name; what the model service
// rejects (validation, server errors) keeps OpenAI's shape.
type azureFormat struct {
	operation, apiVersion string // for throttling messages; empty outside a request
}

type azureErrorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (f azureFormat) writeError(w http.ResponseWriter, fl failure) error {
	body, ok := f.errorBody(fl, w.Header())
	if !ok {
		return openaiFormat{}.writeError(w, fl)
	}
	return writeBody(w, fl.Status, "application/json", body)
}

// errorBody renders fl in Azure's own shape, setting the headers that go with it; ok is false
// for failures Azure passes on in OpenAI's shape.
func (f azureFormat) errorBody(fl failure, h http.Header) (body []byte, ok bool) {
	var e azureErrorBody
	e.Error.Code, e.Error.Message = strconv.Itoa(fl.Status), fl.Message
	switch fl.Status {
	case http.StatusUnauthorized:
		e.Error.Message = "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide " +
			"a valid key for an active subscription and use a correct regional API endpoint for your resource."
	case http.StatusForbidden:
		e.Error.Message = "Public access is disabled. Please configure private endpoint."
	case http.StatusNotFound:
		if fl.Message == "" {
			e.Error.Code = "DeploymentNotFound"
			e.Error.Message = "The API deployment for this resource does not exist. If you created the deployment " +
				"within the last 5 minutes, please wait a moment and try again."
		}
	case http.StatusTooManyRequests:
		op, version := f.operation, f.apiVersion
		if op == "" {
			op = "ChatCompletions_Create"
		}
		e.Error.Message = fmt.Sprintf("Requests to the %s Operation under Azure OpenAI API version %s have exceeded "+
			"token rate limit of your current OpenAI S0 pricing tier. Please retry after %d seconds. Please go here: "+
			"https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.", op, version, fl.RetryAfter)
		if fl.RetryAfter > 0 {
			h.Set("Retry-After", strconv.Itoa(fl.RetryAfter))
			h.Set("Retry-After-Ms", strconv.Itoa(fl.RetryAfter*1000))
		}
	case http.StatusMethodNotAllowed:
	default:
		return nil, false
	}
	b, err := json.Marshal(e)
	if err != nil {
		return nil, false
	}
	return b, true
}
