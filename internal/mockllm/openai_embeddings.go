package mockllm

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// OpenAI embeddings and models endpoints.
// See https://platform.openai.com/docs/api-reference/embeddings and .../models.

const (
	defaultDimensions = 1536 // text-embedding-3-small and ada-002
	maxDimensions     = 16384
	maxEmbedInputs    = 2048 // the API's limit on inputs per request
)

type oaEmbeddingsRequest struct {
	Model          string          `json:"model"`
	Input          json.RawMessage `json:"input"`
	EncodingFormat string          `json:"encoding_format"`
	Dimensions     *int            `json:"dimensions"`
}

// embedInput is one input: text, or an array of token ids.
type embedInput struct {
	text   string
	tokens []int
}

// parseEmbedInput accepts a string, an array of strings, an array of token ids, or an array of
// token arrays.
func parseEmbedInput(raw json.RawMessage) ([]embedInput, *failure) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, missingParam("input")
	}
	var (
		one      string
		texts    []string
		tokens   []int
		tokenSet [][]int
		in       []embedInput
	)
	switch {
	case json.Unmarshal(raw, &one) == nil:
		in = []embedInput{{text: one}}
	case json.Unmarshal(raw, &texts) == nil:
		for _, t := range texts {
			in = append(in, embedInput{text: t})
		}
	case json.Unmarshal(raw, &tokens) == nil:
		in = []embedInput{{tokens: tokens}}
	case json.Unmarshal(raw, &tokenSet) == nil:
		for _, t := range tokenSet {
			in = append(in, embedInput{tokens: t})
		}
	default:
		return nil, &failure{Status: http.StatusBadRequest, Param: "input", Code: "invalid_type",
			Message: "Invalid 'input': expected a string, an array of strings, an array of tokens, or an array of token arrays."}
	}
	if len(in) == 0 || len(in) > maxEmbedInputs {
		return nil, &failure{Status: http.StatusBadRequest, Param: "input",
			Message: fmt.Sprintf("Invalid 'input': expected between 1 and %d inputs, got %d.", maxEmbedInputs, len(in))}
	}
	for i, e := range in {
		if e.text == "" && len(e.tokens) == 0 {
			return nil, &failure{Status: http.StatusBadRequest, Param: "input",
				Message: fmt.Sprintf("Invalid 'input[%d]': empty input.", i)}
		}
	}
	return in, nil
}

func (e embedInput) seed(model string) uint64 {
	h := newHasher()
	h.add(model)
	if e.tokens == nil {
		h.add("text")
		h.add(e.text)
		return h.sum()
	}
	h.add("tokens")
	for _, t := range e.tokens {
		h.addInt(t)
	}
	return h.sum()
}

func (e embedInput) promptTokens() int {
	if e.tokens != nil {
		return len(e.tokens)
	}
	return estimateTokens(e.text)
}

func (s *Server) embeddings(w http.ResponseWriter, r *http.Request, body []byte) error {
	f := openaiFormat{}
	var req oaEmbeddingsRequest
	if fl := decodeJSON(body, &req); fl != nil {
		return f.writeError(w, *fl)
	}
	if req.Model == "" {
		return f.writeError(w, failure{Status: http.StatusBadRequest, Message: "you must provide a model parameter"})
	}
	inputs, fl := parseEmbedInput(req.Input)
	if fl != nil {
		return f.writeError(w, *fl)
	}
	if req.EncodingFormat != "" && req.EncodingFormat != "float" && req.EncodingFormat != "base64" {
		return f.writeError(w, failure{Status: http.StatusBadRequest, Param: "encoding_format",
			Message: fmt.Sprintf("Invalid value for 'encoding_format': %q. Supported values are: 'float' and 'base64'.", req.EncodingFormat)})
	}
	dims := defaultDimensions
	if req.Dimensions != nil {
		if dims = *req.Dimensions; dims < 1 || dims > maxDimensions {
			return f.writeError(w, *outOfRange("dimensions", dims, 1, maxDimensions))
		}
	}
	b := s.defaults
	if err := b.applyHeaders(r.Header); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	if err := b.applyDirectives(inputs[len(inputs)-1].text); err != nil {
		return f.writeError(w, invalidKnob(err))
	}
	if done, err := s.inject(r.Context(), w, f, &b, req.Model); done {
		return err
	}
	if err := s.wait(r.Context(), b.TTFT); err != nil {
		return err
	}
	out := encodeEmbeddings(req.Model, inputs, dims, req.EncodingFormat == "base64", b.Usage)
	return writeBody(w, http.StatusOK, "application/json", out)
}

// encodeEmbeddings renders the response by hand: at 1536 floats per input, reflection-based
// encoding would cost more than everything else the request does.
func encodeEmbeddings(model string, inputs []embedInput, dims int, b64 bool, withUsage bool) []byte {
	per := dims*12 + 64
	if b64 {
		per = base64.StdEncoding.EncodedLen(dims*4) + 64
	}
	b := make([]byte, 0, len(inputs)*per+128)
	b = append(b, `{"object":"list","data":[`...)
	var raw []byte
	tokens := 0
	for i, in := range inputs {
		tokens += in.promptTokens()
		vec := embeddingVector(in.seed(model), dims)
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"embedding":`...)
		if b64 {
			// Little-endian float32, as the API sends and the SDKs decode.
			raw = raw[:0]
			for _, v := range vec {
				raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(v))
			}
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, raw)
			b = append(b, '"')
		} else {
			b = append(b, '[')
			for j, v := range vec {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendFloat32(b, v)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	b = append(b, `],"model":`...)
	b = appendJSONString(b, model)
	if withUsage {
		b = append(b, `,"usage":{"prompt_tokens":`...)
		b = strconv.AppendInt(b, int64(tokens), 10)
		b = append(b, `,"total_tokens":`...)
		b = strconv.AppendInt(b, int64(tokens), 10)
		b = append(b, '}')
	}
	return append(b, '}')
}

type oaModel struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

type oaModelList struct {
	Object string    `json:"object"`
	Data   []oaModel `json:"data"`
}

// oaModels is what GET /v1/models lists. Chat and embeddings accept any model name, so GET
// /v1/models/{id} also answers for names not listed here.
var oaModels = []oaModel{
	{"gpt-4o", "model", 1715367049, "system"},
	{"gpt-4o-mini", "model", 1721172741, "system"},
	{"gpt-4.1", "model", 1744316542, "system"},
	{"gpt-4.1-mini", "model", 1744318173, "system"},
	{"o3-mini", "model", 1737146383, "system"},
	{"text-embedding-3-small", "model", 1705948997, "system"},
	{"text-embedding-3-large", "model", 1705953180, "system"},
	{"text-embedding-ada-002", "model", 1671217299, "openai-internal"},
}

// unlistedModelCreated is the creation time reported for models not in oaModels.
var unlistedModelCreated = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

var oaModelListJSON = sync.OnceValue(func() []byte {
	b, err := json.Marshal(oaModelList{Object: "list", Data: oaModels})
	if err != nil {
		panic(err) // static data
	}
	return b
})

func (s *Server) modelKnobs(w http.ResponseWriter, r *http.Request, model string) (bool, error) {
	f := openaiFormat{}
	b := s.defaults
	if err := b.applyHeaders(r.Header); err != nil {
		return true, f.writeError(w, invalidKnob(err))
	}
	return s.inject(r.Context(), w, f, &b, model)
}

func (s *Server) listModels(w http.ResponseWriter, r *http.Request) error {
	if done, err := s.modelKnobs(w, r, ""); done {
		return err
	}
	return writeBody(w, http.StatusOK, "application/json", oaModelListJSON())
}

func (s *Server) getModel(w http.ResponseWriter, r *http.Request, id string) error {
	if done, err := s.modelKnobs(w, r, id); done {
		return err
	}
	m := oaModel{ID: id, Object: "model", Created: unlistedModelCreated, OwnedBy: "mockllm"}
	for _, known := range oaModels {
		if known.ID == id {
			m = known
		}
	}
	return writeJSON(w, http.StatusOK, m)
}
