package bedrock

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
)

// Embedding model families, chosen by the model id (which may also be an inference profile id
// or ARN, hence a substring match).
const (
	familyTitan  = "amazon.titan-embed"
	familyCohere = "cohere.embed"
)

// defaultCohereInputType is the input_type Cohere requires when the client names none: the
// usual use of OpenAI's embeddings endpoint is indexing documents.
const defaultCohereInputType = "search_document"

// NewEmbeddingsRequest builds POST {base}/model/{modelId}/invoke for an embedding model:
//
//   - amazon.titan-embed-*: {"inputText","dimensions"}. Titan embeds one text per call and
//     adapters make one request, so input must be one string (or an array of one); larger
//     arrays are a 400. normalize is left to its default, true, as OpenAI's vectors are
//     normalized and Titan v1 rejects the field.
//   - cohere.embed-*: {"texts","input_type","output_dimension"}: arrays of up to 96 strings.
//     input_type defaults to search_document; a client may set another in the request's
//     input_type field, as with Cohere's own API.
//
// Token-id inputs and other models are a 400. encoding_format base64 is honoured by encoding
// the returned floats.
func (a Adapter) NewEmbeddingsRequest(ctx context.Context, t *provider.Target, req *api.EmbeddingsRequest) (*http.Request, error) {
	texts, err := embeddingTexts(req.Input)
	if err != nil {
		return nil, err
	}
	switch req.EncodingFormat {
	case "", "float", "base64":
	default:
		return nil, unsupported("encoding_format", "only float and base64 exist, got %q", req.EncodingFormat)
	}
	var body any
	switch {
	case strings.Contains(t.Model, familyTitan):
		if len(texts) != 1 {
			return nil, unsupported("input", "%s embeds one text per request; send a single string, or one request per text (got %d)", t.Model, len(texts))
		}
		body = titanEmbedRequest{InputText: texts[0], Dimensions: req.Dimensions}
	case strings.Contains(t.Model, familyCohere):
		body = cohereEmbedRequest{Texts: texts, InputType: cohereInputType(req.Extra), OutputDimension: req.Dimensions}
	default:
		return nil, api.Errorf("unsupported_endpoint",
			"bedrock embeddings support Amazon Titan (%s-*) and Cohere (%s-*) models, not %q", familyTitan, familyCohere, t.Model)
	}
	enc, err := jsonx.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("bedrock: encode embeddings request: %w", err)
	}
	ctx = withCall(ctx, call{model: t.Model, base64: req.EncodingFormat == "base64"})
	return a.newSignedRequest(ctx, t, "/invoke", enc, contentJSON)
}

// embeddingTexts accepts a string or an array of strings.
func embeddingTexts(raw jsonx.Value) ([]string, error) {
	var one string
	if jsonx.Unmarshal(raw, &one) == nil {
		return []string{one}, nil
	}
	var many []string
	if jsonx.Unmarshal(raw, &many) == nil && len(many) > 0 {
		return many, nil
	}
	return nil, unsupported("input", "Bedrock embedding models take text: a string or a non-empty array of strings, not token ids")
}

func cohereInputType(extra jsonx.Value) string {
	var x struct {
		InputType string `json:"input_type"`
	}
	if len(extra) > 0 && jsonx.Unmarshal(extra, &x) == nil && x.InputType != "" {
		return x.InputType
	}
	return defaultCohereInputType
}

// DecodeEmbeddingsResponse reads Titan's or Cohere's answer. Titan counts its input tokens in
// the body; for Cohere the count comes from the X-Amzn-Bedrock-Input-Token-Count header that
// InvokeModel answers carry, zero when absent.
func (Adapter) DecodeEmbeddingsResponse(resp *http.Response) (*api.EmbeddingsResponse, error) {
	var body embedResponse
	if err := decodeBody(resp, &body); err != nil {
		return nil, err
	}
	vectors, err := body.vectors()
	if err != nil {
		e := api.NewError("upstream_error", "the provider's embeddings response has an unexpected shape", err)
		e.Retryable = false
		return nil, e
	}
	c := callOf(resp)
	out := &api.EmbeddingsResponse{Object: "list", Model: c.model, Data: make([]api.Embedding, len(vectors))}
	for i, v := range vectors {
		if c.base64 {
			if v, err = base64Vector(v); err != nil {
				return nil, api.NewError("upstream_error", "the provider's embedding is not an array of numbers", err)
			}
		}
		out.Data[i] = api.Embedding{Object: "embedding", Index: i, Embedding: v}
	}
	tokens, _ := strconv.Atoi(resp.Header.Get("X-Amzn-Bedrock-Input-Token-Count"))
	if body.InputTextTokenCount != nil {
		tokens = *body.InputTextTokenCount
	}
	out.Usage = api.EmbeddingsUsage{PromptTokens: tokens, TotalTokens: tokens}
	return out, nil
}

func (b *embedResponse) vectors() ([]jsonx.Value, error) {
	if len(b.Embedding) > 0 {
		return []jsonx.Value{b.Embedding}, nil
	}
	var list []jsonx.Value
	if jsonx.Unmarshal(b.Embeddings, &list) == nil && len(list) > 0 {
		return list, nil
	}
	var byType struct {
		Float []jsonx.Value `json:"float"`
	}
	if jsonx.Unmarshal(b.Embeddings, &byType) == nil && len(byType.Float) > 0 {
		return byType.Float, nil
	}
	return nil, fmt.Errorf("bedrock: no embedding or embeddings member in the answer")
}

// base64Vector encodes floats as OpenAI does for encoding_format base64: little-endian float32.
func base64Vector(v jsonx.Value) (jsonx.Value, error) {
	var floats []float64
	if err := jsonx.Unmarshal(v, &floats); err != nil {
		return nil, fmt.Errorf("bedrock: decode embedding: %w", err)
	}
	raw := make([]byte, 0, 4*len(floats))
	for _, f := range floats {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(f)))
	}
	out := make([]byte, 0, base64.StdEncoding.EncodedLen(len(raw))+2)
	out = append(out, '"')
	out = base64.StdEncoding.AppendEncode(out, raw)
	return append(out, '"'), nil
}
