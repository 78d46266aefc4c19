package gemini

import (
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// FromChatResponse translates a chat completion into a GenerateContentResponse, one
// candidate per choice.
func FromChatResponse(resp *api.ChatResponse) (*GenerateContentResponse, error) {
	out := &GenerateContentResponse{
		Candidates:    make([]Candidate, 0, len(resp.Choices)),
		UsageMetadata: usageFrom(resp.Usage),
		ModelVersion:  resp.Model,
		ResponseID:    resp.ID,
	}
	for i := range resp.Choices {
		c := &resp.Choices[i]
		parts := make([]ResponsePart, 0, 1+len(c.Message.ToolCalls))
		if text := c.Message.Content.String(); text != "" {
			parts = append(parts, ResponsePart{Text: &text})
		}
		if r := c.Message.Refusal; r != nil && *r != "" {
			parts = append(parts, ResponsePart{Text: r})
		}
		for _, tc := range c.Message.ToolCalls {
			fc, err := functionCall(tc.ID, tc.Function.Name, tc.Function.Arguments)
			if err != nil {
				return nil, err
			}
			parts = append(parts, ResponsePart{FunctionCall: fc})
		}
		out.Candidates = append(out.Candidates, Candidate{Index: c.Index, FinishReason: FinishReason(c.FinishReason),
			Content: &ResponseContent{Role: "model", Parts: parts}})
	}
	return out, nil
}

// functionCall parses a call's arguments: Gemini clients receive args as a JSON object, not a
// string, so arguments that are not a JSON object cannot be passed on.
func functionCall(id, name, args string) (*FunctionCall, error) {
	args = strings.TrimSpace(args)
	if args == "" {
		args = "{}"
	}
	if !strings.HasPrefix(args, "{") || !jsonx.Value(args).IsValid() {
		return nil, api.Errorf("upstream_error", "the provider returned function arguments that are not a JSON object")
	}
	return &FunctionCall{ID: id, Name: name, Args: jsonx.Value(args)}, nil
}

// FinishReason maps an OpenAI finish_reason to Gemini's. Gemini ends a turn of function calls
// with STOP, like any other complete answer.
func FinishReason(finish string) string {
	switch finish {
	case "length":
		return "MAX_TOKENS"
	case "content_filter":
		return "SAFETY"
	case "":
		return "FINISH_REASON_UNSPECIFIED"
	default:
		return "STOP"
	}
}

// usageFrom converts OpenAI usage, whose completion_tokens includes reasoning, into Gemini's,
// whose candidatesTokenCount does not.
func usageFrom(u *api.Usage) *UsageMetadata {
	if u == nil {
		return nil
	}
	out := &UsageMetadata{PromptTokenCount: u.PromptTokens, CandidatesTokenCount: u.CompletionTokens, TotalTokenCount: u.TotalTokens}
	if d := u.CompletionTokensDetails; d != nil && d.ReasoningTokens > 0 {
		out.ThoughtsTokenCount = d.ReasoningTokens
		out.CandidatesTokenCount = max(0, u.CompletionTokens-d.ReasoningTokens)
	}
	if d := u.PromptTokensDetails; d != nil {
		out.CachedContentTokenCount = d.CachedTokens
	}
	if out.TotalTokenCount == 0 {
		out.TotalTokenCount = u.PromptTokens + u.CompletionTokens
	}
	return out
}
