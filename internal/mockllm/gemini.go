package mockllm

import (
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// geminiAPI is the Gemini API (generativelanguage.googleapis.com): models/{model}:generateContent,
// :streamGenerateContent (server-sent events with alt=sse, else one JSON array),
// :batchEmbedContents, :embedContent, the model list, and Batch Mode (:batchGenerateContent,
// batches/{id}, batches/{id}:cancel) under /v1beta (and /v1). Reference:
// https://ai.google.dev/api. Its files: gemini.go (routes, auth, models), gemini_request.go
// (the request as the API validates it), gemini_chat.go (answers), gemini_stream.go,
// gemini_embeddings.go, gemini_errors.go, gemini_batch.go.
type geminiAPI struct{ geminiFormat }

// matches takes /v1beta/..., and the POST model methods of Gemini's v1, which shares its /v1/
// prefix with OpenAI's API (where no POST path has a ':').
func (geminiAPI) matches(r *http.Request) bool {
	p := r.URL.Path
	return strings.HasPrefix(p, "/v1beta/") ||
		r.Method == http.MethodPost && strings.HasPrefix(p, "/v1/models/") && strings.Contains(p, ":")
}

// authorize accepts the key in x-goog-api-key or the ?key= query parameter, as Gemini does.
func (geminiAPI) authorize(s *Server, r *http.Request, _ []byte) (failure, bool) {
	if s.opts.APIKey == "" {
		return failure{}, true
	}
	key := r.Header.Get("X-Goog-Api-Key")
	if key == "" {
		key = r.URL.Query().Get("key")
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(s.opts.APIKey)) == 1 {
		return failure{}, true
	}
	return gmUnauthorized(key != ""), false
}

// serve dispatches on the resource and method: "models/{model}:{method}" or "models[/{model}]".
func (g geminiAPI) serve(s *Server, w http.ResponseWriter, r *http.Request, body []byte) error {
	rest, ok := strings.CutPrefix(r.URL.Path, "/v1beta/")
	if !ok {
		rest = strings.TrimPrefix(r.URL.Path, "/v1/")
	}
	resource, method, hasMethod := strings.Cut(rest, ":")
	model, isModel := strings.CutPrefix(resource, "models/")
	if !isModel {
		model, isModel = resource, strings.HasPrefix(resource, "tunedModels/")
	}
	switch {
	case hasMethod && isModel && model != "" && r.Method == http.MethodPost:
		switch method {
		case "generateContent":
			return s.gmGenerate(w, r, body, model, false)
		case "streamGenerateContent":
			return s.gmGenerate(w, r, body, model, true)
		case "batchEmbedContents":
			return s.gmBatchEmbed(w, r, body, model)
		case "embedContent":
			return s.gmEmbed(w, r, body, model)
		case "batchGenerateContent":
			return s.gmBatchGenerate(w, r, body, model)
		}
	case !hasMethod && strings.HasPrefix(resource, "batches/") && r.Method == http.MethodGet:
		return s.gmGetBatch(w, resource)
	case method == "cancel" && strings.HasPrefix(resource, "batches/") && r.Method == http.MethodPost:
		return s.gmCancelBatch(w, resource)
	case !hasMethod && resource == "models" && r.Method == http.MethodGet:
		return s.gmListModels(w, r)
	case !hasMethod && isModel && model != "" && r.Method == http.MethodGet:
		return s.gmGetModel(w, r, model)
	}
	return g.writeError(w, failure{Status: http.StatusNotFound, Message: fmt.Sprintf("Method not found: %s %s", r.Method, r.URL.Path)})
}

// gmModel is a Model of the list: https://ai.google.dev/api/models#Model.
type gmModel struct {
	Name                       string   `json:"name"`
	Version                    string   `json:"version"`
	DisplayName                string   `json:"displayName"`
	Description                string   `json:"description,omitempty"`
	InputTokenLimit            int      `json:"inputTokenLimit"`
	OutputTokenLimit           int      `json:"outputTokenLimit"`
	SupportedGenerationMethods []string `json:"supportedGenerationMethods"`
	Temperature                float64  `json:"temperature,omitempty"`
	MaxTemperature             float64  `json:"maxTemperature,omitempty"`
	TopP                       float64  `json:"topP,omitempty"`
	TopK                       int      `json:"topK,omitempty"`
	Thinking                   bool     `json:"thinking,omitempty"`
}

var gmChatMethods = []string{"generateContent", "countTokens", "createCachedContent", "batchGenerateContent"}

// gmModels is what the model list shows. Generation and embeddings accept any model name, so
// models/{name} also answers for names not listed here.
var gmModels = []gmModel{
	{"models/gemini-2.5-flash", "001", "Gemini 2.5 Flash", "Stable version of Gemini 2.5 Flash.", 1048576, 65536, gmChatMethods, 1, 2, 0.95, 64, true},
	{"models/gemini-2.5-pro", "2.5", "Gemini 2.5 Pro", "Stable release of Gemini 2.5 Pro.", 1048576, 65536, gmChatMethods, 1, 2, 0.95, 64, true},
	{"models/gemini-2.5-flash-lite", "001", "Gemini 2.5 Flash-Lite", "Stable version of Gemini 2.5 Flash-Lite.", 1048576, 65536, gmChatMethods, 1, 2, 0.95, 64, true},
	{"models/gemini-3-pro-preview", "3-pro-preview-11-2025", "Gemini 3 Pro Preview", "Gemini 3 Pro Preview.", 1048576, 65536, gmChatMethods, 1, 2, 0.95, 64, true},
	{"models/gemini-embedding-001", "001", "Gemini Embedding 001", "Obtain a distributed representation of a text.", 2048, 1, []string{"embedContent", "countTextTokens", "countTokens", "asyncBatchEmbedContent"}, 0, 0, 0, 0, false},
	{"models/text-embedding-004", "004", "Text Embedding 004", "Obtain a distributed representation of a text.", 2048, 1, []string{"embedContent"}, 0, 0, 0, 0, false},
}

var gmModelListJSON = sync.OnceValue(func() []byte {
	b, err := json.Marshal(struct {
		Models []gmModel `json:"models"`
	}{gmModels})
	if err != nil {
		panic(err) // static data
	}
	return b
})

func (s *Server) gmModelKnobs(w http.ResponseWriter, r *http.Request, model string) (bool, error) {
	b := s.defaults
	if err := b.applyHeaders(r.Header); err != nil {
		return true, geminiFormat{}.writeError(w, invalidKnob(err))
	}
	return s.inject(r.Context(), w, geminiFormat{}, &b, model)
}

func (s *Server) gmListModels(w http.ResponseWriter, r *http.Request) error {
	if done, err := s.gmModelKnobs(w, r, ""); done {
		return err
	}
	return writeGeminiBody(w, http.StatusOK, gmModelListJSON())
}

func (s *Server) gmGetModel(w http.ResponseWriter, r *http.Request, id string) error {
	if done, err := s.gmModelKnobs(w, r, id); done {
		return err
	}
	m := gmModel{Name: "models/" + id, Version: "001", DisplayName: id, InputTokenLimit: 1048576, OutputTokenLimit: 65536,
		SupportedGenerationMethods: gmChatMethods}
	for _, known := range gmModels {
		if known.Name == m.Name {
			m = known
		}
	}
	return writeGeminiJSON(w, http.StatusOK, m)
}
