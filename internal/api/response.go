package api

import "github.com/sluicehq/sluice/internal/jsonx"

// ChatResponse is a non-streaming chat completion.
type ChatResponse struct {
	ID                string      `json:"id"`
	Object            string      `json:"object"`
	Created           int64       `json:"created"`
	Model             string      `json:"model"`
	Choices           []Choice    `json:"choices"`
	Usage             *Usage      `json:"usage,omitzero"`
	SystemFingerprint string      `json:"system_fingerprint,omitzero"`
	ServiceTier       string      `json:"service_tier,omitzero"`
	Extra             jsonx.Value `json:",embed"`
}

// Choice is one completion of a ChatResponse.
type Choice struct {
	Index        int         `json:"index"`
	Message      Message     `json:"message"`
	FinishReason string      `json:"finish_reason"`
	Logprobs     jsonx.Value `json:"logprobs,omitzero"`
	Extra        jsonx.Value `json:",embed"`
}

// ChatChunk is one server-sent event of a streaming chat completion. The last chunk of a
// stream whose request set stream_options.include_usage has no choices and carries Usage.
type ChatChunk struct {
	ID                string        `json:"id"`
	Object            string        `json:"object"`
	Created           int64         `json:"created"`
	Model             string        `json:"model"`
	Choices           []ChunkChoice `json:"choices"`
	Usage             *Usage        `json:"usage,omitzero"`
	SystemFingerprint string        `json:"system_fingerprint,omitzero"`
	ServiceTier       string        `json:"service_tier,omitzero"`
	Extra             jsonx.Value   `json:",embed"`
}

// IsUsageOnly reports whether the chunk is the trailing usage chunk (no choices).
func (c *ChatChunk) IsUsageOnly() bool { return len(c.Choices) == 0 && c.Usage != nil }

// ChunkChoice is one choice's increment within a ChatChunk.
type ChunkChoice struct {
	Index        int         `json:"index"`
	Delta        Delta       `json:"delta"`
	FinishReason *string     `json:"finish_reason"`
	Logprobs     jsonx.Value `json:"logprobs,omitzero"`
	Extra        jsonx.Value `json:",embed"`
}

// Delta is the increment of a message within a chunk.
type Delta struct {
	Role      string     `json:"role,omitzero"`
	Content   *string    `json:"content,omitzero"`
	Refusal   *string    `json:"refusal,omitzero"`
	ToolCalls []ToolCall `json:"tool_calls,omitzero"`
	// ReasoningContent is a fragment of thinking text; ThinkingBlocks carry the same text
	// with the block structure and, last in each block, its signature (see ThinkingBlock).
	ReasoningContent string          `json:"reasoning_content,omitzero"`
	ThinkingBlocks   []ThinkingBlock `json:"thinking_blocks,omitzero"`
	Extra            jsonx.Value     `json:",embed"`
}

// Usage is the token accounting of a request.
type Usage struct {
	PromptTokens            int                      `json:"prompt_tokens"`
	CompletionTokens        int                      `json:"completion_tokens"`
	TotalTokens             int                      `json:"total_tokens"`
	PromptTokensDetails     *PromptTokensDetails     `json:"prompt_tokens_details,omitzero"`
	CompletionTokensDetails *CompletionTokensDetails `json:"completion_tokens_details,omitzero"`
	Extra                   jsonx.Value              `json:",embed"`
}

// PromptTokensDetails breaks down prompt tokens.
type PromptTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
	AudioTokens  int `json:"audio_tokens"`
	// CacheCreationTokens is a Sluice extension: prompt tokens written to the provider's
	// prompt cache (Anthropic's cache_creation_input_tokens, Bedrock's cacheWriteInputTokens),
	// billed differently from both plain and cached input.
	CacheCreationTokens int         `json:"cache_creation_tokens,omitzero"`
	Extra               jsonx.Value `json:",embed"`
}

// CompletionTokensDetails breaks down completion tokens.
type CompletionTokensDetails struct {
	ReasoningTokens          int         `json:"reasoning_tokens"`
	AudioTokens              int         `json:"audio_tokens"`
	AcceptedPredictionTokens int         `json:"accepted_prediction_tokens"`
	RejectedPredictionTokens int         `json:"rejected_prediction_tokens"`
	Extra                    jsonx.Value `json:",embed"`
}
