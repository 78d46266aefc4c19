package mockllm

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// InvokeModel for embedding models, whose bodies are each model's own:
// Titan Text Embeddings (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html)
// and Cohere Embed (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed-v3.html).
// Both answers carry the X-Amzn-Bedrock-Input-Token-Count header of InvokeModel.

type brTitanRequest struct {
	InputText      *string  `json:"inputText"`
	Dimensions     *int     `json:"dimensions"`
	Normalize      *bool    `json:"normalize"`
	EmbeddingTypes []string `json:"embeddingTypes"`
}

type brTitanResponse struct {
	Embedding           []float32            `json:"embedding"`
	EmbeddingsByType    map[string][]float32 `json:"embeddingsByType,omitempty"`
	InputTextTokenCount int                  `json:"inputTextTokenCount"`
}

type brCohereRequest struct {
	Texts           []string `json:"texts"`
	InputType       *string  `json:"input_type"`
	Truncate        string   `json:"truncate"`
	EmbeddingTypes  []string `json:"embedding_types"`
	Images          []string `json:"images"`
	OutputDimension *int     `json:"output_dimension"`
	MaxTokens       *int     `json:"max_tokens"`
}

type brCohereResponse struct {
	Embeddings   any      `json:"embeddings"` // [][]float32, or {"float": [][]float32} by type
	ID           string   `json:"id"`
	ResponseType string   `json:"response_type"`
	Texts        []string `json:"texts"`
}

const brCohereMaxTexts = 96

func (s *Server) bedrockInvoke(w http.ResponseWriter, r *http.Request, body []byte, model string) error {
	f := bedrockFormat{}
	var (
		texts []string
		dims  int
		fl    *failure
		build func(vectors [][]float32, tokens int) any
	)
	switch {
	case strings.Contains(model, "amazon.titan-embed"):
		texts, dims, build, fl = brTitanInvoke(body, model)
	case strings.Contains(model, "cohere.embed"):
		texts, dims, build, fl = brCohereInvoke(body, model)
	default:
		fl = &failure{Status: http.StatusBadRequest, Code: "ValidationException",
			Message: "mockllm: InvokeModel serves Titan (amazon.titan-embed-*) and Cohere (cohere.embed-*) embedding models; use Converse for " + model}
	}
	if fl != nil {
		return f.writeError(w, *fl)
	}
	b := s.defaults
	if err := b.applyHeaders(r.Header); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	if err := b.applyDirectives(texts[len(texts)-1]); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	if done, err := s.inject(r.Context(), w, f, &b, model); done {
		return err
	}
	if err := s.wait(r.Context(), b.TTFT); err != nil {
		return err
	}
	vectors := make([][]float32, len(texts))
	tokens := 0
	for i, t := range texts {
		in := embedInput{text: t}
		vectors[i] = embeddingVector(in.seed(model), dims)
		tokens += in.promptTokens()
	}
	if b.Usage {
		w.Header().Set("X-Amzn-Bedrock-Input-Token-Count", strconv.Itoa(tokens))
	}
	return brWriteJSON(w, http.StatusOK, build(vectors, tokens))
}

// brTitanInvoke validates a Titan request: one inputText, dimensions 256, 512 or 1024 for v2
// (default 1024); v1 has 1536 and no options.
func brTitanInvoke(body []byte, model string) ([]string, int, func([][]float32, int) any, *failure) {
	var req brTitanRequest
	if fl := brDecode(body, &req); fl != nil {
		return nil, 0, nil, fl
	}
	if req.InputText == nil {
		fl := brInvalid("Malformed input request: #: required key [inputText] not found, please reformat your input and try again.")
		return nil, 0, nil, &fl
	}
	dims := 1024
	if !strings.Contains(model, "-v2") {
		dims = 1536
	}
	if req.Dimensions != nil {
		if !slices.Contains([]int{256, 512, 1024}, *req.Dimensions) {
			fl := brInvalid("Malformed input request: #/dimensions: %d is not a valid enum value, please reformat your input and try again.", *req.Dimensions)
			return nil, 0, nil, &fl
		}
		dims = *req.Dimensions
	}
	build := func(v [][]float32, tokens int) any {
		out := brTitanResponse{Embedding: v[0], InputTextTokenCount: tokens}
		if len(req.EmbeddingTypes) > 0 {
			out.EmbeddingsByType = map[string][]float32{"float": v[0]}
		}
		return out
	}
	return []string{*req.InputText}, dims, build, nil
}

// brCohereInvoke validates a Cohere request: texts (1 to 96) and input_type are required;
// v3 vectors have 1024 dimensions, v4 1536 unless output_dimension says otherwise.
func brCohereInvoke(body []byte, model string) ([]string, int, func([][]float32, int) any, *failure) {
	var req brCohereRequest
	if fl := brDecode(body, &req); fl != nil {
		return nil, 0, nil, fl
	}
	switch {
	case req.InputType == nil:
		fl := brInvalid("Malformed input request: #: required key [input_type] not found, please reformat your input and try again.")
		return nil, 0, nil, &fl
	case len(req.Texts) == 0 || len(req.Texts) > brCohereMaxTexts:
		fl := brInvalid("Malformed input request: #/texts: expected between 1 and %d items, got %d, please reformat your input and try again.",
			brCohereMaxTexts, len(req.Texts))
		return nil, 0, nil, &fl
	}
	dims := 1024
	if strings.Contains(model, "embed-v4") {
		dims = 1536
		if req.OutputDimension != nil {
			dims = *req.OutputDimension
		}
	} else if req.OutputDimension != nil {
		fl := brInvalid("Malformed input request: extraneous key [output_dimension] is not permitted, please reformat your input and try again.")
		return nil, 0, nil, &fl
	}
	if dims < 1 || dims > maxDimensions {
		fl := brInvalid("Malformed input request: #/output_dimension: %d is not a valid value, please reformat your input and try again.", dims)
		return nil, 0, nil, &fl
	}
	build := func(v [][]float32, _ int) any {
		out := brCohereResponse{Embeddings: v, ID: brRequestID(), ResponseType: "embeddings_floats", Texts: req.Texts}
		if len(req.EmbeddingTypes) > 0 {
			out.Embeddings, out.ResponseType = map[string][][]float32{"float": v}, "embeddings_by_type"
		}
		return out
	}
	return req.Texts, dims, build, nil
}
