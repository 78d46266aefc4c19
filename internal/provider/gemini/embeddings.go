package gemini

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

// maxEmbedInputs is Gemini's limit on requests in one batchEmbedContents call ("at most 100
// requests can be in one batch").
const maxEmbedInputs = 100

// embedMeta is what decoding the answer needs from the request: Gemini's answer carries neither
// the model nor token counts, and base64 output is Sluice's to produce. It travels in the
// request's context, which the HTTP client hands back as resp.Request.
type embedMeta struct {
	model        string
	base64       bool
	promptTokens int
}

type embedMetaKey struct{}

// NewEmbeddingsRequest builds POST {base}/models/{model}:batchEmbedContents with one request per
// input: https://ai.google.dev/api/embeddings#method:-models.batchembedcontents. Token-id input
// has no Gemini equivalent and is refused.
func (Adapter) NewEmbeddingsRequest(ctx context.Context, t *provider.Target, req *api.EmbeddingsRequest) (*http.Request, error) {
	texts, err := embedInputs(req.Input)
	if err != nil {
		return nil, err
	}
	meta := embedMeta{model: t.Model}
	switch req.EncodingFormat {
	case "", "float":
	case "base64":
		meta.base64 = true
	default:
		return nil, invalid("encoding_format", "%q is not one of float, base64", req.EncodingFormat)
	}
	resource := modelPath(t.Model)
	out := batchEmbedRequest{Requests: make([]embedRequest, len(texts))}
	for i, text := range texts {
		out.Requests[i] = embedRequest{Model: resource, Content: content{Parts: []part{textPart(text)}},
			OutputDimensionality: req.Dimensions}
		meta.promptTokens += estimateTokens(text)
	}
	body, err := jsonx.Marshal(&out)
	if err != nil {
		return nil, fmt.Errorf("gemini: encode embeddings request: %w", err)
	}
	ctx = context.WithValue(ctx, embedMetaKey{}, meta)
	return newRequest(ctx, t, resource+":batchEmbedContents", body, false)
}

func embedInputs(raw jsonx.Value) ([]string, error) {
	var one string
	if jsonx.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if err := jsonx.Unmarshal(raw, &many); err != nil {
		return nil, invalid("input", "Gemini embeds text only: a string or an array of strings, not token ids")
	}
	if len(many) == 0 || len(many) > maxEmbedInputs {
		return nil, invalid("input", "Gemini embeds 1 to %d inputs per request, got %d", maxEmbedInputs, len(many))
	}
	return many, nil
}

// estimateTokens approximates a tokenizer at 4 bytes a token, rounded up. The Gemini API
// reports no usage for embeddings; an estimate keeps budgets and rate limits meaningful, and is
// deterministic, so the same input is always counted the same.
func estimateTokens(s string) int { return (len(s) + 3) / 4 }

// DecodeEmbeddingsResponse turns embeddings[].values into OpenAI's data list. Float vectors pass
// through unparsed; base64 ones are encoded as OpenAI does, little-endian float32.
func (Adapter) DecodeEmbeddingsResponse(resp *http.Response) (*api.EmbeddingsResponse, error) {
	var g batchEmbedResponse
	if err := decodeBody(resp, &g); err != nil {
		return nil, err
	}
	var meta embedMeta
	if resp.Request != nil {
		meta, _ = resp.Request.Context().Value(embedMetaKey{}).(embedMeta)
	}
	out := &api.EmbeddingsResponse{Object: "list", Model: meta.model, Data: make([]api.Embedding, len(g.Embeddings))}
	tokens := 0
	for i, e := range g.Embeddings {
		vec := e.Values
		if meta.base64 {
			var err error
			if vec, err = base64Vector(e.Values); err != nil {
				return nil, err
			}
		}
		if len(vec) == 0 {
			vec = jsonx.Value("[]")
		}
		out.Data[i] = api.Embedding{Object: "embedding", Index: i, Embedding: vec}
		if e.Statistics != nil {
			tokens += int(e.Statistics.TokenCount)
		}
	}
	if tokens == 0 {
		tokens = meta.promptTokens
	}
	out.Usage = api.EmbeddingsUsage{PromptTokens: tokens, TotalTokens: tokens}
	return out, nil
}

func base64Vector(values jsonx.Value) (jsonx.Value, error) {
	var floats []float64
	if err := jsonx.Unmarshal(values, &floats); err != nil {
		e := api.NewError("upstream_error", "the provider's embedding is not an array of numbers", fmt.Errorf("gemini: decode values: %w", err))
		e.Retryable = false
		return nil, e
	}
	raw := make([]byte, 0, 4*len(floats))
	for _, f := range floats {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(f)))
	}
	b := make([]byte, 0, base64.StdEncoding.EncodedLen(len(raw))+2)
	b = append(b, '"')
	b = base64.StdEncoding.AppendEncode(b, raw)
	return append(b, '"'), nil
}
