package gemini

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// maxBatchEmbed is Gemini's own limit on requests per batchEmbedContents call.
const maxBatchEmbed = 100

// ToEmbeddingsRequest translates embedContent requests (one, or a batch's) for model into one
// OpenAI-shaped embeddings request whose input holds each content's text. taskType and title
// are hints for Gemini's own embedding models; other providers have none, so they are
// dropped rather than refused, which would break every retrieval client that sets them.
func ToEmbeddingsRequest(model string, reqs []EmbedContentRequest) (*api.EmbeddingsRequest, error) {
	switch {
	case model == "":
		return nil, invalid("model", "the model is required in the path: models/{model}:embedContent")
	case len(reqs) == 0:
		return nil, invalid("requests", "requests must contain at least one request")
	case len(reqs) > maxBatchEmbed:
		return nil, invalid("requests", fmt.Sprintf("at most %d requests may be batched", maxBatchEmbed))
	}
	texts := make([]string, len(reqs))
	var dims *int
	for i := range reqs {
		r := &reqs[i]
		where := fmt.Sprintf("requests[%d]", i)
		if err := refuseExtra(where+".", r.Extra, nil); err != nil {
			return nil, err
		}
		if r.Model != "" && strings.TrimPrefix(r.Model, "models/") != model {
			return nil, invalid(where+".model", fmt.Sprintf("%s.model %q differs from the model in the path, models/%s", where, r.Model, model))
		}
		if i == 0 {
			dims = r.OutputDimensionality
		} else if !sameDims(dims, r.OutputDimensionality) {
			return nil, invalid(where+".outputDimensionality", "every request of a batch must ask for the same outputDimensionality here")
		}
		text, err := embedText(&r.Content, where)
		if err != nil {
			return nil, err
		}
		texts[i] = text
	}
	input, err := jsonx.Marshal(texts)
	if err != nil {
		return nil, fmt.Errorf("gemini: encode embeddings input: %w", err)
	}
	// Float output is what Gemini returns; the raw vectors then pass through unparsed.
	return &api.EmbeddingsRequest{Model: model, Input: input, Dimensions: dims, EncodingFormat: "float"}, nil
}

func sameDims(a, b *int) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// embedText joins a content's text parts; embeddings of other media have no common form.
func embedText(c *Content, where string) (string, error) {
	var b strings.Builder
	for j := range c.Parts {
		p := &c.Parts[j]
		if p.Text == nil {
			return "", invalid("content", fmt.Sprintf("%s.content.parts[%d]: only text parts can be embedded here", where, j))
		}
		if j > 0 {
			b.WriteString(" ")
		}
		b.WriteString(*p.Text)
	}
	if b.Len() == 0 {
		return "", invalid("content", where+".content: no text to embed")
	}
	return b.String(), nil
}

// FromEmbeddings translates an embeddings response into batchEmbedContents' answer, in input
// order.
func FromEmbeddings(resp *api.EmbeddingsResponse) *BatchEmbedContentsResponse {
	data := slices.Clone(resp.Data)
	slices.SortFunc(data, func(a, b api.Embedding) int { return a.Index - b.Index })
	out := &BatchEmbedContentsResponse{Embeddings: make([]ContentEmbedding, len(data))}
	for i := range data {
		out.Embeddings[i].Values = data[i].Embedding
	}
	return out
}

// CountRequest returns the generateContent request whose tokens countTokens counts: the one
// given whole, or one made of the contents.
func CountRequest(in *CountTokensRequest) (*GenerateContentRequest, error) {
	switch {
	case in.GenerateContentRequest != nil && len(in.Contents) > 0:
		return nil, invalid("contents", "send contents or generateContentRequest, not both")
	case in.GenerateContentRequest != nil:
		return in.GenerateContentRequest, nil
	}
	return &GenerateContentRequest{Contents: in.Contents}, nil
}
