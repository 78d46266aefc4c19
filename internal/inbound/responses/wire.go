// Package responses serves OpenAI's Responses API inbound: it translates a POST /v1/responses
// body into Sluice's chat-shaped api.ChatRequest, and the answer and stream back into the
// Responses API's response object and semantic events, so Responses clients (the Agents SDK,
// Codex CLI, openai-go's client.Responses) reach any provider. It does no I/O and imports only
// api and jsonx; the gateway imports it and owns storage of responses.
package responses

import (
	"github.com/sluicehq/sluice/internal/jsonx"
)

// The Responses API's shapes (https://platform.openai.com/docs/api-reference/responses), as
// openai-go v3's responses package types them. Members a translation cannot express are
// still decoded, so they can be refused by name rather than silently dropped.

// Request is the body of POST /v1/responses.
type Request struct {
	Model              string            `json:"model"`
	Input              Items             `json:"input"`
	Instructions       string            `json:"instructions,omitzero"`
	Tools              []Tool            `json:"tools,omitzero"`
	ToolChoice         jsonx.Value       `json:"tool_choice,omitzero"`
	ParallelToolCalls  *bool             `json:"parallel_tool_calls,omitzero"`
	Temperature        *float64          `json:"temperature,omitzero"`
	TopP               *float64          `json:"top_p,omitzero"`
	MaxOutputTokens    *int              `json:"max_output_tokens,omitzero"`
	Text               *TextConfig       `json:"text,omitzero"`
	Reasoning          *Reasoning        `json:"reasoning,omitzero"`
	Store              *bool             `json:"store,omitzero"`
	Metadata           map[string]string `json:"metadata,omitzero"`
	Stream             bool              `json:"stream,omitzero"`
	PreviousResponseID string            `json:"previous_response_id,omitzero"`
	User               string            `json:"user,omitzero"`
	// Accepted and not forwarded: they tune OpenAI's own caching, tiering and extra output
	// that a translated request has no use for, and agents (Codex CLI) always send them.
	Include          []string    `json:"include,omitzero"`
	PromptCacheKey   string      `json:"prompt_cache_key,omitzero"`
	SafetyIdentifier string      `json:"safety_identifier,omitzero"`
	ServiceTier      string      `json:"service_tier,omitzero"`
	Truncation       string      `json:"truncation,omitzero"`
	StreamOptions    jsonx.Value `json:"stream_options,omitzero"`
	// Extra collects every other member (background, conversation, prompt, top_logprobs,
	// max_tool_calls, ...); the translation refuses them by name.
	Extra jsonx.Value `json:",embed"`
}

// TextConfig is the request's text member: the output format.
type TextConfig struct {
	Format    *TextFormat `json:"format,omitzero"`
	Verbosity string      `json:"verbosity,omitzero"`
}

// TextFormat is {"type":"text"}, {"type":"json_object"} or {"type":"json_schema","name",
// "schema","strict","description"}.
type TextFormat struct {
	Type        string      `json:"type"`
	Name        string      `json:"name,omitzero"`
	Schema      jsonx.Value `json:"schema,omitzero"`
	Strict      *bool       `json:"strict,omitzero"`
	Description string      `json:"description,omitzero"`
}

// Reasoning is the request's reasoning member.
type Reasoning struct {
	Effort  string `json:"effort,omitzero"`
	Summary string `json:"summary,omitzero"`
}

// Tool is an entry of tools. Only function tools translate; built-in tools (web_search,
// file_search, computer_use_preview, code_interpreter, ...) are refused by type.
type Tool struct {
	Type        string      `json:"type"`
	Name        string      `json:"name,omitzero"`
	Description string      `json:"description,omitzero"`
	Parameters  jsonx.Value `json:"parameters,omitzero"`
	Strict      *bool       `json:"strict,omitzero"`
}

// Items is input given as a plain string (one user message) or an array of items.
type Items []Item

// UnmarshalJSONFrom accepts a string, an array of items or null.
func (it *Items) UnmarshalJSONFrom(dec *jsonx.Decoder) error {
	return jsonx.UnmarshalStringOrArray(dec, (*[]Item)(it), func(s string) Item {
		return Item{Type: "message", Role: "user", Content: Parts{{Type: "input_text", Text: s}}}
	}, "input: must be a string or an array of input items")
}

// Item is one input item: a message (type "message" or absent, as the SDKs' "easy" input
// message), a function_call the model made earlier, or a function_call_output. Other types
// (reasoning, web_search_call, item_reference, ...) are decoded by type only and refused,
// except reasoning, which carries nothing another provider can use and is skipped.
type Item struct {
	Type      string      `json:"type,omitzero"`
	ID        string      `json:"id,omitzero"`
	Role      string      `json:"role,omitzero"`
	Status    string      `json:"status,omitzero"`
	Content   Parts       `json:"content,omitzero"`
	CallID    string      `json:"call_id,omitzero"`
	Name      string      `json:"name,omitzero"`
	Arguments string      `json:"arguments,omitzero"`
	Output    jsonx.Value `json:"output,omitzero"`
}

// Parts is a message's content: a plain string or an array of content parts. A string
// decodes as one input_text part.
type Parts []Part

// UnmarshalJSONFrom accepts a string, an array of parts or null.
func (p *Parts) UnmarshalJSONFrom(dec *jsonx.Decoder) error {
	return jsonx.UnmarshalStringOrArray(dec, (*[]Part)(p), func(s string) Part { return Part{Type: "input_text", Text: s} },
		"content: must be a string or an array of content parts")
}

// Part is one content part: input_text, input_image, output_text or refusal (input_file
// and input_audio are decoded by type only and refused). Annotations of output_text are
// accepted and dropped.
type Part struct {
	Type     string `json:"type"`
	Text     string `json:"text,omitzero"`
	ImageURL string `json:"image_url,omitzero"`
	FileID   string `json:"file_id,omitzero"`
	Detail   string `json:"detail,omitzero"`
	Refusal  string `json:"refusal,omitzero"`
}

// Response is the response object: the non-streaming answer, what GET /v1/responses/{id}
// returns, and the response carried by the stream's lifecycle events.
type Response struct {
	ID                 string             `json:"id"`
	Object             string             `json:"object"`
	CreatedAt          int64              `json:"created_at"`
	Status             string             `json:"status"`
	Error              *ResponseError     `json:"error"`
	IncompleteDetails  *IncompleteDetails `json:"incomplete_details"`
	Instructions       *string            `json:"instructions"`
	MaxOutputTokens    *int               `json:"max_output_tokens"`
	Model              string             `json:"model"`
	Output             []OutputItem       `json:"output"`
	ParallelToolCalls  bool               `json:"parallel_tool_calls"`
	PreviousResponseID *string            `json:"previous_response_id"`
	Reasoning          Reasoning          `json:"reasoning"`
	Store              bool               `json:"store"`
	Temperature        *float64           `json:"temperature"`
	Text               TextConfig         `json:"text"`
	ToolChoice         jsonx.Value        `json:"tool_choice"`
	Tools              []Tool             `json:"tools"`
	TopP               *float64           `json:"top_p"`
	Truncation         string             `json:"truncation"`
	Usage              *Usage             `json:"usage"`
	User               *string            `json:"user"`
	Metadata           map[string]string  `json:"metadata"`
}

// ResponseError is a failed response's error member.
type ResponseError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// IncompleteDetails says why a response stopped early: max_output_tokens or content_filter.
type IncompleteDetails struct {
	Reason string `json:"reason"`
}

// OutputItem is a message with output_text (or refusal) content, or a function_call. The
// members of the other type are left out.
type OutputItem struct {
	Type      string          `json:"type"`
	ID        string          `json:"id"`
	Status    string          `json:"status"`
	Role      string          `json:"role,omitzero"`
	Content   []OutputContent `json:"content,omitzero"`
	CallID    string          `json:"call_id,omitzero"`
	Name      string          `json:"name,omitzero"`
	Arguments *string         `json:"arguments,omitzero"`
}

// OutputContent is an output_text or a refusal part of an output message.
type OutputContent struct {
	Type        string      `json:"type"`
	Text        *string     `json:"text,omitzero"`
	Annotations jsonx.Value `json:"annotations,omitzero"` // [] on output_text
	Refusal     *string     `json:"refusal,omitzero"`
}

// Usage counts tokens the Responses way: total_tokens and the two details objects are always
// present.
type Usage struct {
	InputTokens         int                 `json:"input_tokens"`
	InputTokensDetails  InputTokensDetails  `json:"input_tokens_details"`
	OutputTokens        int                 `json:"output_tokens"`
	OutputTokensDetails OutputTokensDetails `json:"output_tokens_details"`
	TotalTokens         int                 `json:"total_tokens"`
}

// InputTokensDetails breaks down input tokens.
type InputTokensDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

// OutputTokensDetails breaks down output tokens.
type OutputTokensDetails struct {
	ReasoningTokens int `json:"reasoning_tokens"`
}

// Event is one streaming event. Which members are set depends on Type; sequence_number and
// type are always written.
type Event struct {
	Type           string         `json:"type"`
	SequenceNumber int            `json:"sequence_number"`
	Response       *Response      `json:"response,omitzero"`
	OutputIndex    *int           `json:"output_index,omitzero"`
	Item           *OutputItem    `json:"item,omitzero"`
	ItemID         string         `json:"item_id,omitzero"`
	ContentIndex   *int           `json:"content_index,omitzero"`
	Part           *OutputContent `json:"part,omitzero"`
	Delta          *string        `json:"delta,omitzero"`
	Text           *string        `json:"text,omitzero"`
	Arguments      *string        `json:"arguments,omitzero"`
	Logprobs       jsonx.Value    `json:"logprobs,omitzero"`
	// The error event's members. Param is raw JSON because the error event always carries it,
	// null when no parameter is at fault, and other events never do.
	Code    string      `json:"code,omitzero"`
	Message string      `json:"message,omitzero"`
	Param   jsonx.Value `json:"param,omitzero"`
}
