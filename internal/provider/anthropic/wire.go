package anthropic

import "github.com/sluicehq/sluice/internal/jsonx"

// The Messages API's own shapes (https://docs.anthropic.com/en/api/messages and
// https://docs.anthropic.com/en/docs/build-with-claude/streaming). Only the members Sluice
// writes or reads are modelled; unknown response members are ignored.

// messagesRequest is the body of POST /v1/messages.
type messagesRequest struct {
	Model         string      `json:"model"`
	MaxTokens     int         `json:"max_tokens"`
	System        blocks      `json:"system,omitzero"`
	Messages      []message   `json:"messages"`
	Metadata      *metadata   `json:"metadata,omitzero"`
	StopSequences []string    `json:"stop_sequences,omitzero"`
	Stream        bool        `json:"stream,omitzero"`
	Temperature   *float64    `json:"temperature,omitzero"`
	TopP          *float64    `json:"top_p,omitzero"`
	Tools         []tool      `json:"tools,omitzero"`
	ToolChoice    *toolChoice `json:"tool_choice,omitzero"`
	Thinking      *thinking   `json:"thinking,omitzero"`
}

// thinking is {"type":"enabled","budget_tokens"}, {"type":"disabled"} or {"type":"adaptive"}
// (https://docs.anthropic.com/en/docs/build-with-claude/extended-thinking).
type thinking struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens,omitzero"`
	Display      string `json:"display,omitzero"`
}

type metadata struct {
	UserID string `json:"user_id"`
}

type message struct {
	Role    string `json:"role"` // user or assistant
	Content blocks `json:"content"`
}

// blocks is a list of content blocks: a message's content, the system prompt or a tool
// result's content. A lone text block is sent as a plain string, the form the API reference
// uses in its examples.
type blocks []block

// MarshalJSONTo writes a lone text block as a string and anything else as an array.
func (b blocks) MarshalJSONTo(enc *jsonx.Encoder) error {
	if len(b) == 1 && b[0].Type == "text" && len(b[0].CacheControl) == 0 {
		return enc.WriteToken(jsonx.String(b[0].Text))
	}
	return jsonx.MarshalEncode(enc, []block(b))
}

// block is one content block of a request: text, image, tool_use, tool_result, thinking or
// redacted_thinking.
type block struct {
	Type      string       `json:"type"`
	Text      string       `json:"text,omitzero"`
	Source    *imageSource `json:"source,omitzero"`
	ID        string       `json:"id,omitzero"`
	Name      string       `json:"name,omitzero"`
	Input     jsonx.Value  `json:"input,omitzero"`
	ToolUseID string       `json:"tool_use_id,omitzero"`
	Content   blocks       `json:"content,omitzero"`
	// A thinking block has both members even when the text is empty (display "omitted").
	Thinking  *string `json:"thinking,omitzero"`
	Signature *string `json:"signature,omitzero"`
	Data      string  `json:"data,omitzero"` // redacted_thinking

	// CacheControl marks a prompt cache breakpoint
	// (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching), passed through
	// from the client's cache_control (api.CacheMarks).
	CacheControl jsonx.Value `json:"cache_control,omitzero"`
}

// imageSource is {"type":"base64","media_type","data"} or {"type":"url","url"}.
type imageSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type,omitzero"`
	Data      string `json:"data,omitzero"`
	URL       string `json:"url,omitzero"`
}

type tool struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitzero"`
	InputSchema jsonx.Value `json:"input_schema"`

	CacheControl jsonx.Value `json:"cache_control,omitzero"`
}

// toolChoice is {"type":"auto"|"any"|"tool"|"none"}; disable_parallel_tool_use is valid with
// every type but none.
type toolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitzero"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitzero"`
}

// messageResponse is a Message object: the non-streaming answer, and the message of a
// stream's message_start event.
type messageResponse struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Model      string          `json:"model"`
	Content    []responseBlock `json:"content"`
	StopReason string          `json:"stop_reason"`
	Usage      *usage          `json:"usage"`
}

// responseBlock is a content block of an answer. Server tool blocks are read but not
// translated.
type responseBlock struct {
	Type      string      `json:"type"`
	Text      string      `json:"text"`
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	Input     jsonx.Value `json:"input"`
	Thinking  string      `json:"thinking"`
	Signature string      `json:"signature"`
	Data      string      `json:"data"` // redacted_thinking
}

// usage counts tokens. Members are pointers because message_delta repeats only some of them
// and the ones it sends replace message_start's (they are whole-message totals).
type usage struct {
	InputTokens              *int `json:"input_tokens"`
	OutputTokens             *int `json:"output_tokens"`
	CacheCreationInputTokens *int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     *int `json:"cache_read_input_tokens"`
}

// streamEvent is the data of any stream event; which members are set depends on Type.
type streamEvent struct {
	Type         string           `json:"type"`
	Message      *messageResponse `json:"message"`       // message_start
	Index        int              `json:"index"`         // content_block_*
	ContentBlock *responseBlock   `json:"content_block"` // content_block_start
	Delta        *eventDelta      `json:"delta"`         // content_block_delta, message_delta
	Usage        *usage           `json:"usage"`         // message_delta
	Error        *errorDetail     `json:"error"`         // error
}

// eventDelta is a content_block_delta's delta (text_delta, input_json_delta, thinking_delta,
// ...) or a message_delta's delta (stop_reason).
type eventDelta struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	PartialJSON string `json:"partial_json"`
	Thinking    string `json:"thinking"`
	Signature   string `json:"signature"`
	StopReason  string `json:"stop_reason"`
}

// errorBody is {"type":"error","error":{"type","message"},"request_id"}
// (https://docs.anthropic.com/en/api/errors).
type errorBody struct {
	Type      string      `json:"type"`
	Error     errorDetail `json:"error"`
	RequestID string      `json:"request_id"`
}

type errorDetail struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}
