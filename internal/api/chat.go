package api

import (
	"errors"
	"fmt"

	"github.com/sluicehq/sluice/internal/jsonx"
)

// ChatRequest is the body of POST /v1/chat/completions. Fields that a translation to another
// provider needs are typed; everything else stays in Extra and is forwarded verbatim to
// OpenAI-compatible upstreams.
type ChatRequest struct {
	Model               string         `json:"model"`
	Messages            []Message      `json:"messages"`
	Stream              bool           `json:"stream,omitzero"`
	StreamOptions       *StreamOptions `json:"stream_options,omitzero"`
	MaxTokens           *int           `json:"max_tokens,omitzero"`
	MaxCompletionTokens *int           `json:"max_completion_tokens,omitzero"`
	Temperature         *float64       `json:"temperature,omitzero"`
	TopP                *float64       `json:"top_p,omitzero"`
	N                   *int           `json:"n,omitzero"`
	Stop                StringList     `json:"stop,omitzero"`
	Seed                *int64         `json:"seed,omitzero"`
	PresencePenalty     *float64       `json:"presence_penalty,omitzero"`
	FrequencyPenalty    *float64       `json:"frequency_penalty,omitzero"`
	Tools               []Tool         `json:"tools,omitzero"`
	ToolChoice          jsonx.Value    `json:"tool_choice,omitzero"`
	ParallelToolCalls   *bool          `json:"parallel_tool_calls,omitzero"`
	ResponseFormat      jsonx.Value    `json:"response_format,omitzero"`
	User                string         `json:"user,omitzero"`
	// ReasoningEffort is OpenAI's reasoning control (minimal, low, medium, high); adapters of
	// providers that budget thinking in tokens map it to a budget.
	ReasoningEffort string `json:"reasoning_effort,omitzero"`
	// Thinking is Anthropic's thinking object, also accepted on chat completions.
	Thinking *Thinking   `json:"thinking,omitzero"`
	Extra    jsonx.Value `json:",embed"`
}

// StreamOptions is the stream_options object.
type StreamOptions struct {
	IncludeUsage bool        `json:"include_usage,omitzero"`
	Extra        jsonx.Value `json:",embed"`
}

// WantsUsage reports whether the client asked for the final usage chunk of a stream.
func (r *ChatRequest) WantsUsage() bool {
	return r.StreamOptions != nil && r.StreamOptions.IncludeUsage
}

// Validate checks what every upstream needs; it does not second-guess provider limits.
func (r *ChatRequest) Validate() error {
	switch {
	case r.Model == "":
		return errors.New("model is required")
	case len(r.Messages) == 0:
		return errors.New("messages must contain at least one message")
	}
	for i := range r.Messages {
		if r.Messages[i].Role == "" {
			return fmt.Errorf("messages[%d].role is required", i)
		}
	}
	return nil
}

// Message is one entry of messages, and the message of a non-streaming choice.
type Message struct {
	Role       string     `json:"role"`
	Content    Content    `json:"content"`
	Name       string     `json:"name,omitzero"`
	ToolCalls  []ToolCall `json:"tool_calls,omitzero"`
	ToolCallID string     `json:"tool_call_id,omitzero"`
	Refusal    *string    `json:"refusal,omitzero"`
	// ReasoningContent is the thinking text of an answer (the thinking blocks' text joined);
	// ThinkingBlocks are the blocks themselves, which a client sends back with the assistant
	// turn so a provider that signs its thinking can continue it.
	ReasoningContent string          `json:"reasoning_content,omitzero"`
	ThinkingBlocks   []ThinkingBlock `json:"thinking_blocks,omitzero"`
	Extra            jsonx.Value     `json:",embed"`
}

// Tool is an entry of tools.
type Tool struct {
	Type     string       `json:"type"`
	Function *FunctionDef `json:"function,omitzero"`
	Extra    jsonx.Value  `json:",embed"`
}

// FunctionDef declares a function the model may call.
type FunctionDef struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitzero"`
	Parameters  jsonx.Value `json:"parameters,omitzero"`
	Strict      *bool       `json:"strict,omitzero"`
	Extra       jsonx.Value `json:",embed"`
}

// ToolCall is a call the model made, in a message or (with Index set) in a stream delta.
type ToolCall struct {
	Index    *int         `json:"index,omitzero"`
	ID       string       `json:"id,omitzero"`
	Type     string       `json:"type,omitzero"`
	Function FunctionCall `json:"function"`
	Extra    jsonx.Value  `json:",embed"`
}

// FunctionCall names the function and carries its arguments as a JSON-encoded string.
type FunctionCall struct {
	Name      string `json:"name,omitzero"`
	Arguments string `json:"arguments"`
}
