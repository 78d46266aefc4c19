// Package anthropic serves Anthropic's Messages API inbound: it translates a POST /v1/messages
// body into Sluice's OpenAI-shaped api.ChatRequest, and the answer, stream and errors back into
// Anthropic's shapes, so clients built on the Anthropic SDK can reach any provider. It does no
// I/O and imports only api and jsonx; the gateway imports it. It must not import a provider
// package: the outbound Anthropic adapter translates the other way and the two evolve apart.
package anthropic

import (
	"github.com/sluicehq/sluice/internal/jsonx"
)

// The Messages API's inbound shapes (https://docs.anthropic.com/en/api/messages). Members a
// translation cannot express are still decoded, so they can be refused by name rather than
// silently dropped.

// MessagesRequest is the body of POST /v1/messages.
type MessagesRequest struct {
	Model         string      `json:"model"`
	MaxTokens     *int        `json:"max_tokens"`
	System        Blocks      `json:"system,omitzero"`
	Messages      []Message   `json:"messages"`
	Metadata      *Metadata   `json:"metadata,omitzero"`
	StopSequences []string    `json:"stop_sequences,omitzero"`
	Stream        bool        `json:"stream,omitzero"`
	Temperature   *float64    `json:"temperature,omitzero"`
	TopP          *float64    `json:"top_p,omitzero"`
	Tools         []Tool      `json:"tools,omitzero"`
	ToolChoice    *ToolChoice `json:"tool_choice,omitzero"`
	Thinking      *Thinking   `json:"thinking,omitzero"`
	// Extra collects every other member (top_k, service_tier, mcp_servers, ...);
	// the translation refuses them by name.
	Extra jsonx.Value `json:",embed"`
}

// Thinking is {"type":"enabled","budget_tokens"}, {"type":"adaptive"}, {"type":"between_tools"}
// or {"type":"disabled"}, enabled and adaptive with an optional display, as anthropic-sdk-go
// defines them
// (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking).
type Thinking struct {
	Type         string `json:"type"`
	BudgetTokens *int   `json:"budget_tokens,omitzero"`
	Display      string `json:"display,omitzero"`
}

// Metadata is the request's metadata object.
type Metadata struct {
	UserID string `json:"user_id,omitzero"`
}

// Message is one entry of messages.
type Message struct {
	Role    string `json:"role"`
	Content Blocks `json:"content"`
}

// Blocks is content that Anthropic accepts as a plain string or an array of content blocks
// (a message's content, the system prompt, a tool result's content). A string decodes as one
// text block.
type Blocks []Block

// UnmarshalJSONFrom accepts a string, an array of blocks or null.
func (b *Blocks) UnmarshalJSONFrom(dec *jsonx.Decoder) error {
	return jsonx.UnmarshalStringOrArray(dec, (*[]Block)(b), func(s string) Block { return Block{Type: "text", Text: s} },
		"content: must be a string or an array of content blocks")
}

// Block is one content block of a request: text, image, tool_use, tool_result, and in
// assistant turns thinking and redacted_thinking (others are decoded by type only and refused). cache_control rides on text and image blocks to an
// Anthropic target (other providers ignore it); citations are accepted and dropped: they
// change presentation, not the answer.
type Block struct {
	Type      string       `json:"type"`
	Text      string       `json:"text,omitzero"`
	Source    *ImageSource `json:"source,omitzero"`
	ID        string       `json:"id,omitzero"`
	Name      string       `json:"name,omitzero"`
	Input     jsonx.Value  `json:"input,omitzero"`
	ToolUseID string       `json:"tool_use_id,omitzero"`
	Content   Blocks       `json:"content,omitzero"`
	IsError   bool         `json:"is_error,omitzero"`
	Thinking  string       `json:"thinking,omitzero"`
	Signature string       `json:"signature,omitzero"`
	Data      string       `json:"data,omitzero"` // redacted_thinking

	CacheControl jsonx.Value `json:"cache_control,omitzero"`
}

// ImageSource is {"type":"base64","media_type","data"} or {"type":"url","url"}.
type ImageSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type,omitzero"`
	Data      string `json:"data,omitzero"`
	URL       string `json:"url,omitzero"`
}

// Tool is a client tool; Type is empty or "custom". Server tools (web_search_..., bash_...)
// carry other types and are refused.
type Tool struct {
	Type        string      `json:"type,omitzero"`
	Name        string      `json:"name"`
	Description string      `json:"description,omitzero"`
	InputSchema jsonx.Value `json:"input_schema,omitzero"`

	CacheControl jsonx.Value `json:"cache_control,omitzero"`
}

// ToolChoice is {"type":"auto"|"any"|"tool"|"none"}.
type ToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitzero"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitzero"`
}

// MessageResponse is a Message object: the non-streaming answer and the message of a
// stream's message_start event.
type MessageResponse struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	Role         string          `json:"role"`
	Model        string          `json:"model"`
	Content      []ResponseBlock `json:"content"`
	StopReason   *string         `json:"stop_reason"`
	StopSequence *string         `json:"stop_sequence"`
	Usage        Usage           `json:"usage"`
}

// ResponseBlock is a thinking, redacted_thinking, text or tool_use block of an answer. The
// members each type requires are always written, even empty, as at a stream's
// content_block_start: text for text blocks, thinking and signature for thinking blocks, data
// for redacted_thinking and input for tool_use.
type ResponseBlock struct {
	Type      string      `json:"type"`
	Thinking  *string     `json:"thinking,omitzero"`
	Signature *string     `json:"signature,omitzero"`
	Data      *string     `json:"data,omitzero"`
	Text      *string     `json:"text,omitzero"`
	ID        string      `json:"id,omitzero"`
	Name      string      `json:"name,omitzero"`
	Input     jsonx.Value `json:"input,omitzero"`
}

// Usage counts tokens the way Anthropic does: input_tokens excludes cache reads and writes.
type Usage struct {
	InputTokens              int `json:"input_tokens"`
	OutputTokens             int `json:"output_tokens"`
	CacheCreationInputTokens int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     int `json:"cache_read_input_tokens"`
}

// Stream event payloads (https://docs.anthropic.com/en/docs/build-with-claude/streaming).

type messageStartEvent struct {
	Type    string           `json:"type"`
	Message *MessageResponse `json:"message"`
}

type blockStartEvent struct {
	Type         string         `json:"type"`
	Index        int            `json:"index"`
	ContentBlock *ResponseBlock `json:"content_block"`
}

type blockDeltaEvent struct {
	Type  string     `json:"type"`
	Index int        `json:"index"`
	Delta blockDelta `json:"delta"`
}

type blockDelta struct {
	Type        string  `json:"type"`
	Text        *string `json:"text,omitzero"`
	PartialJSON *string `json:"partial_json,omitzero"`
	Thinking    *string `json:"thinking,omitzero"`
	Signature   *string `json:"signature,omitzero"`
}

type blockStopEvent struct {
	Type  string `json:"type"`
	Index int    `json:"index"`
}

type messageDeltaEvent struct {
	Type  string       `json:"type"`
	Delta messageDelta `json:"delta"`
	Usage Usage        `json:"usage"`
}

type messageDelta struct {
	StopReason   *string `json:"stop_reason"`
	StopSequence *string `json:"stop_sequence"`
}

// ErrorBody is {"type":"error","error":{"type","message"}} (https://docs.anthropic.com/en/api/errors).
type ErrorBody struct {
	Type  string      `json:"type"`
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the error member of ErrorBody.
type ErrorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}
