package api

import (
	"errors"

	"github.com/sluicehq/sluice/internal/jsonx"
)

// EmbeddingsRequest is the body of POST /v1/embeddings. Input stays raw: it may be a string,
// strings, token ids or arrays of token ids, and OpenAI-compatible upstreams take it as is.
type EmbeddingsRequest struct {
	Model          string      `json:"model"`
	Input          jsonx.Value `json:"input"`
	EncodingFormat string      `json:"encoding_format,omitzero"`
	Dimensions     *int        `json:"dimensions,omitzero"`
	User           string      `json:"user,omitzero"`
	Extra          jsonx.Value `json:",embed"`
}

// Validate checks the fields every upstream needs.
func (r *EmbeddingsRequest) Validate() error {
	switch {
	case r.Model == "":
		return errors.New("model is required")
	case len(r.Input) == 0 || string(r.Input) == "null":
		return errors.New("input is required")
	}
	return nil
}

// EmbeddingsResponse is the answer to an embeddings request.
type EmbeddingsResponse struct {
	Object string          `json:"object"`
	Data   []Embedding     `json:"data"`
	Model  string          `json:"model"`
	Usage  EmbeddingsUsage `json:"usage"`
	Extra  jsonx.Value     `json:",embed"`
}

// Embedding is one vector. It stays raw: an array of floats, or a base64 string of
// little-endian float32 when encoding_format is "base64".
type Embedding struct {
	Object    string      `json:"object"`
	Index     int         `json:"index"`
	Embedding jsonx.Value `json:"embedding"`
	Extra     jsonx.Value `json:",embed"`
}

// EmbeddingsUsage counts the input tokens of an embeddings request.
type EmbeddingsUsage struct {
	PromptTokens int         `json:"prompt_tokens"`
	TotalTokens  int         `json:"total_tokens"`
	Extra        jsonx.Value `json:",embed"`
}

// Model is an entry of GET /v1/models.
type Model struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	OwnedBy string `json:"owned_by"`
}

// ModelList is the body of GET /v1/models.
type ModelList struct {
	Object string  `json:"object"`
	Data   []Model `json:"data"`
}
