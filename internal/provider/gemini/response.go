package gemini

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// DecodeChatResponse reads a GenerateContentResponse: candidates become choices, function calls
// tool calls, usageMetadata usage. The id is Gemini's responseId, the model its modelVersion,
// and created the response's Date, as Gemini reports no creation time.
func (Adapter) DecodeChatResponse(resp *http.Response) (*api.ChatResponse, error) {
	var g generateContentResponse
	if err := decodeBody(resp, &g); err != nil {
		return nil, err
	}
	if g.Error != nil {
		return nil, g.Error.toAPIError(http.StatusBadGateway)
	}
	if len(g.Candidates) == 0 {
		return nil, noCandidates(&g)
	}
	out := &api.ChatResponse{
		ID:      g.ResponseID,
		Object:  "chat.completion",
		Created: created(resp),
		Model:   modelName(g.ModelVersion, resp),
		Choices: make([]api.Choice, len(g.Candidates)),
	}
	for i := range g.Candidates {
		out.Choices[i] = choice(i, &g.Candidates[i])
	}
	if g.UsageMetadata != nil {
		out.Usage = usage(g.UsageMetadata)
	}
	return out, nil
}

func choice(pos int, c *candidate) api.Choice {
	msg := api.Message{Role: "assistant"}
	var text strings.Builder
	hasText := false
	if c.Content != nil {
		for _, p := range c.Content.Parts {
			switch {
			case p.Thought:
				// Thought summaries (includeThoughts) are not the answer; OpenAI has no place for them.
			case p.FunctionCall != nil:
				msg.ToolCalls = append(msg.ToolCalls, toolCall(&p, len(msg.ToolCalls)))
			case p.Text != nil:
				text.WriteString(*p.Text)
				hasText = true
			}
		}
	}
	if hasText {
		msg.Content = api.TextContent(text.String())
	}
	return api.Choice{Index: candidateIndex(pos, c), Message: msg, FinishReason: finishReason(c.FinishReason, len(msg.ToolCalls) > 0)}
}

func candidateIndex(pos int, c *candidate) int {
	if c.Index != nil {
		return *c.Index
	}
	return pos
}

// toolCall gives a Gemini function call an OpenAI id. Gemini usually sends none, so the n-th
// call of a choice is "call_<n>": deterministic, so a stream and a whole answer agree, and
// unique within the response, which is all a tool message's tool_call_id must resolve (see
// callName). A thought signature rides along in extra_content, where Gemini's own OpenAI
// endpoint puts it; signatures on text parts are dropped, as Gemini requires only those of
// function calls back (https://ai.google.dev/gemini-api/docs/thought-signatures).
func toolCall(p *part, n int) api.ToolCall {
	fc := p.FunctionCall
	id := fc.ID
	if id == "" {
		id = "call_" + strconv.Itoa(n)
	}
	args := string(fc.Args)
	if args == "" || args == "null" {
		args = "{}"
	}
	tc := api.ToolCall{ID: id, Type: "function", Function: api.FunctionCall{Name: fc.Name, Arguments: args}}
	if p.ThoughtSignature != "" {
		tc.Extra = signatureExtra(p.ThoughtSignature)
	}
	return tc
}

// finishReason maps Gemini's FinishReason (https://ai.google.dev/api/generate-content#FinishReason)
// to OpenAI's. Gemini ends a function call turn with STOP. Reasons without an OpenAI
// counterpart (OTHER, MALFORMED_FUNCTION_CALL, ...) become "stop".
func finishReason(r string, hasCalls bool) string {
	switch r {
	case "MAX_TOKENS":
		return "length"
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "LANGUAGE",
		"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return "content_filter"
	}
	if hasCalls {
		return "tool_calls"
	}
	return "stop"
}

// usage maps usageMetadata. Thinking tokens are billed as output, so they are completion
// tokens (and reasoning_tokens); tool-use prompt tokens (grounding results) are billed as
// input, so they are prompt tokens. Audio counts come from the per-modality details.
func usage(u *usageMetadata) *api.Usage {
	prompt := u.PromptTokenCount + u.ToolUsePromptTokenCount
	completion := u.CandidatesTokenCount + u.ThoughtsTokenCount
	total := u.TotalTokenCount
	if total == 0 {
		total = prompt + completion
	}
	return &api.Usage{
		PromptTokens:     prompt,
		CompletionTokens: completion,
		TotalTokens:      total,
		PromptTokensDetails: &api.PromptTokensDetails{
			CachedTokens: u.CachedContentTokenCount,
			AudioTokens:  modalityTokens(u.PromptTokensDetails, "AUDIO"),
		},
		CompletionTokensDetails: &api.CompletionTokensDetails{
			ReasoningTokens: u.ThoughtsTokenCount,
			AudioTokens:     modalityTokens(u.CandidatesTokensDetails, "AUDIO"),
		},
	}
}

func modalityTokens(details []modalityCount, modality string) int {
	n := 0
	for _, d := range details {
		if d.Modality == modality {
			n += d.TokenCount
		}
	}
	return n
}

// noCandidates explains an answer without candidates. A blocked prompt is the client's
// problem, reported like Azure OpenAI's content filter: 400, code content_filter.
// https://ai.google.dev/api/generate-content#PromptFeedback
func noCandidates(g *generateContentResponse) *api.Error {
	if pf := g.PromptFeedback; pf != nil && pf.BlockReason != "" {
		msg := "the provider blocked the prompt (" + pf.BlockReason + ")"
		if pf.BlockReasonMessage != "" {
			msg += ": " + pf.BlockReasonMessage
		}
		return &api.Error{Status: http.StatusBadRequest, Type: "invalid_request_error", Code: "content_filter",
			Param: "messages", Message: msg}
	}
	e := api.Errorf("upstream_error", "the provider answered without any candidate")
	e.Retryable = false
	return e
}

// created is the response's Date, else now.
func created(resp *http.Response) int64 {
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		return t.Unix()
	}
	return now().Unix()
}

// modelName is Gemini's modelVersion, else the model the request named.
func modelName(version string, resp *http.Response) string {
	if version != "" || resp.Request == nil || resp.Request.URL == nil {
		return version
	}
	path := resp.Request.URL.Path
	i := strings.LastIndex(path, "/models/")
	if i < 0 {
		return ""
	}
	name, _, _ := strings.Cut(path[i+len("/models/"):], ":")
	return name
}

func decodeBody(resp *http.Response, v any) error {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	if err != nil {
		return api.NewError("upstream_unreachable", "reading the provider's response failed", fmt.Errorf("gemini: read body: %w", err))
	}
	if len(body) > maxResponseBytes {
		return api.Errorf("upstream_error", "the provider's response exceeds %d bytes", maxResponseBytes)
	}
	if err := jsonx.Unmarshal(body, v); err != nil {
		e := api.NewError("upstream_error", "the provider's response is not valid JSON", fmt.Errorf("gemini: decode response: %w", err))
		e.Retryable = false
		return e
	}
	return nil
}
