package mockllm

import (
	"fmt"
	"net/http"
	"strings"
)

// Gemini embeddings: models/{model}:batchEmbedContents and :embedContent.
// https://ai.google.dev/api/embeddings. Vectors come from the same generator as OpenAI's, so
// the same text and model give the same direction whatever the API.

const (
	gmMaxBatch      = 100  // "at most 100 requests can be in one batch"
	gmGeminiEmbDims = 3072 // gemini-embedding-001
	gmLegacyEmbDims = 768  // text-embedding-004, embedding-001
)

type gmEmbedRequest struct {
	Model                string    `json:"model"`
	Content              gmContent `json:"content"`
	TaskType             string    `json:"taskType"`
	Title                string    `json:"title"`
	OutputDimensionality *int      `json:"outputDimensionality"`
}

type gmBatchEmbedRequest struct {
	Requests []gmEmbedRequest `json:"requests"`
}

func gmDims(model string) int {
	if strings.HasPrefix(model, "gemini-embedding") {
		return gmGeminiEmbDims
	}
	return gmLegacyEmbDims
}

// check validates one request of a batch (at) against the model of the URL.
func (e *gmEmbedRequest) check(at, model string) (string, int, *failure) {
	if e.Model != "" && e.Model != "models/"+model && e.Model != model {
		return "", 0, ptr(gmInvalid("* BatchEmbedContentsRequest.%s.model: the model %q differs from the model of the URL, models/%s.\n", at, e.Model, model))
	}
	if len(e.Content.Parts) == 0 {
		return "", 0, ptr(gmInvalid("* BatchEmbedContentsRequest.%s.content.parts: contents.parts must not be empty.\n", at))
	}
	dims := gmDims(model)
	if d := e.OutputDimensionality; d != nil {
		if *d < 1 || *d > dims {
			return "", 0, ptr(gmInvalid("* BatchEmbedContentsRequest.%s.output_dimensionality: must be between 1 and %d, got %d.\n", at, dims, *d))
		}
		dims = *d
	}
	return e.Content.text(), dims, nil
}

func (s *Server) gmBatchEmbed(w http.ResponseWriter, r *http.Request, body []byte, model string) error {
	f := geminiFormat{}
	var req gmBatchEmbedRequest
	if fl := decodeGemini(body, &req); fl != nil {
		return f.writeError(w, *fl)
	}
	if len(req.Requests) == 0 || len(req.Requests) > gmMaxBatch {
		return f.writeError(w, gmInvalid("* BatchEmbedContentsRequest.requests: at most %d requests can be in one batch (got %d), and at least one.\n", gmMaxBatch, len(req.Requests)))
	}
	texts := make([]string, len(req.Requests))
	dims := make([]int, len(req.Requests))
	for i := range req.Requests {
		var fl *failure
		if texts[i], dims[i], fl = req.Requests[i].check(fmt.Sprintf("requests[%d]", i), model); fl != nil {
			return f.writeError(w, *fl)
		}
	}
	if done, err := s.gmEmbedKnobs(w, r, model, texts[len(texts)-1]); done {
		return err
	}
	b := []byte(`{"embeddings":[`)
	for i, text := range texts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendGeminiEmbedding(b, model, text, dims[i])
	}
	return writeGeminiBody(w, http.StatusOK, append(b, "]}"...))
}

func (s *Server) gmEmbed(w http.ResponseWriter, r *http.Request, body []byte, model string) error {
	f := geminiFormat{}
	var req gmEmbedRequest
	if fl := decodeGemini(body, &req); fl != nil {
		return f.writeError(w, *fl)
	}
	text, dims, fl := req.check("request", model)
	if fl != nil {
		return f.writeError(w, *fl)
	}
	if done, err := s.gmEmbedKnobs(w, r, model, text); done {
		return err
	}
	b := appendGeminiEmbedding([]byte(`{"embedding":`), model, text, dims)
	return writeGeminiBody(w, http.StatusOK, append(b, '}'))
}

// gmEmbedKnobs applies the knobs (headers, then a directive in the last input) and the shared
// latency, hang, status and TTFT steps.
func (s *Server) gmEmbedKnobs(w http.ResponseWriter, r *http.Request, model, last string) (bool, error) {
	f := geminiFormat{}
	b := s.defaults
	if err := b.applyHeaders(r.Header); err != nil {
		return true, f.writeError(w, invalidKnob(err))
	}
	if err := b.applyDirectives(last); err != nil {
		return true, f.writeError(w, invalidKnob(err))
	}
	if done, err := s.inject(r.Context(), w, f, &b, model); done {
		return true, err
	}
	if err := s.wait(r.Context(), b.TTFT); err != nil {
		return true, err
	}
	return false, nil
}

// appendGeminiEmbedding appends {"values":[...]} for text, encoded by hand as the OpenAI
// embeddings are: thousands of floats per input.
func appendGeminiEmbedding(b []byte, model, text string, dims int) []byte {
	vec := embeddingVector(embedInput{text: text}.seed(model), dims)
	b = append(b, `{"values":[`...)
	for j, v := range vec {
		if j > 0 {
			b = append(b, ',')
		}
		b = appendFloat32(b, v)
	}
	return append(b, "]}"...)
}
