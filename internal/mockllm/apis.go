package mockllm

import (
	"net/http"
	"strings"
)

// providerAPI is one provider's HTTP API as the mock speaks it: which requests are its, how
// it authenticates them, how it renders errors and how it serves them. Each lives in its own
// files (openai*.go, anthropic*.go, gemini*.go, bedrock*.go, azure*.go); the shared steps —
// knobs, deterministic content, fault injection, recording — are format-agnostic.
type providerAPI interface {
	wireFormat
	// matches reports whether the request is for this API (by path).
	matches(r *http.Request) bool
	// authorize checks the request's credentials against Options; on failure it returns the
	// failure to render in this API's error shape.
	authorize(s *Server, r *http.Request, body []byte) (failure, bool)
	// serve answers an authorized request.
	serve(s *Server, w http.ResponseWriter, r *http.Request, body []byte) error
}

// apis in match order: the first that matches a request serves it; OpenAI last, as it also
// answers unknown paths with its 404.
var apis = []providerAPI{anthropicAPI{}, geminiAPI{}, bedrockAPI{}, azureAPI{}, openaiAPI{}}

func apiFor(r *http.Request) providerAPI {
	for _, a := range apis {
		if a.matches(r) {
			return a
		}
	}
	return openaiAPI{}
}

// openaiAPI is the OpenAI API (and every OpenAI-compatible server's).
type openaiAPI struct{ openaiFormat }

func (openaiAPI) matches(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/v1/") }

func (openaiAPI) authorize(s *Server, r *http.Request, _ []byte) (failure, bool) {
	if s.authorized(r) {
		return failure{}, true
	}
	return unauthorized(r), false
}

func (openaiAPI) serve(s *Server, w http.ResponseWriter, r *http.Request, body []byte) error {
	return s.route(w, r, body)
}
