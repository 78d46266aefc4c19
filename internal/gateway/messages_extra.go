package gateway

import (
	"context"
	"net/http"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/inbound/anthropic"
	"github.com/sluicehq/sluice/internal/provider"
)

// maxBetaHeaderBytes bounds the anthropic-beta values passed on.
const maxBetaHeaderBytes = 1 << 10

// anthropicContext carries what only an Anthropic target understands beside the translated
// request: the client's cache_control marks and its anthropic-beta header (extended cache
// TTL, token-efficient tools, ...), which other providers' adapters never see, and the mark
// that its thinking object is Claude's, which OpenAI-compatible adapters then leave out.
func anthropicContext(ctx context.Context, r *http.Request, req *api.ChatRequest) context.Context {
	ctx = api.WithCacheMarks(ctx, api.TakeCacheMarks(req))
	if req.Thinking != nil {
		ctx = api.WithClaudeThinking(ctx)
	}
	vs := r.Header.Values("Anthropic-Beta")
	n := 0
	for _, v := range vs {
		n += len(v)
	}
	if len(vs) == 0 || n > maxBetaHeaderBytes {
		return ctx
	}
	return provider.WithForwardedHeaders(ctx, http.Header{"Anthropic-Beta": vs})
}

// countTokensResponse is the body of Anthropic's count_tokens answer.
type countTokensResponse struct {
	InputTokens int `json:"input_tokens"`
}

// messagesCountTokens serves POST /v1/messages/count_tokens with an estimate (see
// countPromptTokens). The caller must be allowed the model and the model must exist, as for a
// real request.
func (g *Gateway) messagesCountTokens(w http.ResponseWriter, r *http.Request) error {
	snap := g.snapshot.Load()
	var in anthropic.MessagesRequest
	if err := decodeJSON(w, r, snap.MaxBodyBytes, &in); err != nil {
		return err
	}
	overrideModel(r, &in.Model)
	// count_tokens takes no max_tokens and no stream; thinking and other members that change
	// the answer, not the prompt, do not change the count.
	one := 1
	in.MaxTokens, in.Stream, in.Extra, in.Thinking = &one, false, nil, nil
	req, err := anthropic.ToChatRequest(&in)
	if err != nil {
		return err
	}
	if _, err := g.resolve(r, snap.Routes, in.Model); err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, &countTokensResponse{InputTokens: countPromptTokens(req)})
}
