package bedrock

import "github.com/sluicehq/sluice/internal/jsonx"

// Bedrock's own JSON shapes. Field names follow the API reference
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html) and the
// AWS SDK's serializers (aws-sdk-go-v2/service/bedrockruntime). Content blocks are unions: one
// member is set.

// converseRequest is the body of POST /model/{modelId}/converse and /converse-stream.
type converseRequest struct {
	Messages        []message        `json:"messages"`
	System          []systemBlock    `json:"system,omitzero"`
	InferenceConfig *inferenceConfig `json:"inferenceConfig,omitzero"`
	ToolConfig      *toolConfig      `json:"toolConfig,omitzero"`
	OutputConfig    *outputConfig    `json:"outputConfig,omitzero"`
	// AdditionalModelRequestFields carries the model's own parameters: Claude's thinking object.
	AdditionalModelRequestFields *modelFields `json:"additionalModelRequestFields,omitzero"`
}

// modelFields are the additionalModelRequestFields Sluice sends: Anthropic's thinking object,
// as Claude on Bedrock takes it
// (https://docs.aws.amazon.com/bedrock/latest/userguide/claude-messages-extended-thinking.html).
type modelFields struct {
	Thinking *thinkingConfig `json:"thinking,omitzero"`
}

type thinkingConfig struct {
	Type         string `json:"type"`
	BudgetTokens int    `json:"budget_tokens,omitzero"`
	Display      string `json:"display,omitzero"`
}

type systemBlock struct {
	Text string `json:"text"`
}

type message struct {
	Role    string         `json:"role"`
	Content []contentBlock `json:"content"`
}

type contentBlock struct {
	Text       *string     `json:"text,omitzero"`
	Image      *imageBlock `json:"image,omitzero"`
	ToolUse    *toolUse    `json:"toolUse,omitzero"`
	ToolResult *toolResult `json:"toolResult,omitzero"`

	ReasoningContent *reasoningContent `json:"reasoningContent,omitzero"`
}

// reasoningContent is a union: the model's reasoning text with its signature, or redacted
// (encrypted) reasoning, a blob carried as the base64 text it arrived as.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ReasoningContentBlock.html
type reasoningContent struct {
	ReasoningText   *reasoningText `json:"reasoningText,omitzero"`
	RedactedContent string         `json:"redactedContent,omitzero"`
}

type reasoningText struct {
	Text      string `json:"text"`
	Signature string `json:"signature,omitzero"`
}

// imageBlock carries the image itself: Bedrock fetches nothing from the web, only bytes or S3.
type imageBlock struct {
	Format string      `json:"format"` // png, jpeg, gif, webp
	Source imageSource `json:"source"`
}

type imageSource struct {
	Bytes string `json:"bytes"` // base64, as a JSON blob is
}

type toolUse struct {
	ToolUseID string      `json:"toolUseId"`
	Name      string      `json:"name"`
	Input     jsonx.Value `json:"input"`
}

type toolResult struct {
	ToolUseID string              `json:"toolUseId"`
	Content   []toolResultContent `json:"content"`
}

type toolResultContent struct {
	Text string `json:"text"`
}

type inferenceConfig struct {
	MaxTokens     *int     `json:"maxTokens,omitzero"`
	Temperature   *float64 `json:"temperature,omitzero"`
	TopP          *float64 `json:"topP,omitzero"`
	StopSequences []string `json:"stopSequences,omitzero"`
}

type toolConfig struct {
	Tools      []tool      `json:"tools"`
	ToolChoice *toolChoice `json:"toolChoice,omitzero"`
}

type tool struct {
	ToolSpec toolSpec `json:"toolSpec"`
}

type toolSpec struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitzero"`
	InputSchema inputSchema `json:"inputSchema"`
	Strict      *bool       `json:"strict,omitzero"`
}

type inputSchema struct {
	JSON jsonx.Value `json:"json"`
}

type toolChoice struct {
	Any  *struct{}     `json:"any,omitzero"`
	Tool *specificTool `json:"tool,omitzero"`
}

type specificTool struct {
	Name string `json:"name"`
}

// outputConfig asks for structured output; the schema travels as a JSON string.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_OutputFormat.html
type outputConfig struct {
	TextFormat outputFormat `json:"textFormat"`
}

type outputFormat struct {
	Type      string          `json:"type"` // json_schema, the only value
	Structure outputStructure `json:"structure"`
}

type outputStructure struct {
	JSONSchema jsonSchemaDefinition `json:"jsonSchema"`
}

type jsonSchemaDefinition struct {
	Schema      string `json:"schema"`
	Name        string `json:"name,omitzero"`
	Description string `json:"description,omitzero"`
}

// converseResponse is the answer of Converse.
type converseResponse struct {
	Output struct {
		Message struct {
			Role    string          `json:"role"`
			Content []responseBlock `json:"content"`
		} `json:"message"`
	} `json:"output"`
	StopReason string      `json:"stopReason"`
	Usage      *tokenUsage `json:"usage"`
}

// responseBlock is an output content block; kinds other than text, toolUse and reasoning
// (citations, images) are not part of OpenAI's message and are skipped.
type responseBlock struct {
	Text             *string           `json:"text"`
	ToolUse          *toolUse          `json:"toolUse"`
	ReasoningContent *reasoningContent `json:"reasoningContent"`
}

type tokenUsage struct {
	InputTokens           int `json:"inputTokens"`
	OutputTokens          int `json:"outputTokens"`
	TotalTokens           int `json:"totalTokens"`
	CacheReadInputTokens  int `json:"cacheReadInputTokens"`
	CacheWriteInputTokens int `json:"cacheWriteInputTokens"`
}

// ConverseStream event payloads, by :event-type.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStreamOutput.html

type contentBlockStartEvent struct {
	ContentBlockIndex int `json:"contentBlockIndex"`
	Start             struct {
		ToolUse *struct {
			ToolUseID string `json:"toolUseId"`
			Name      string `json:"name"`
		} `json:"toolUse"`
	} `json:"start"`
}

type contentBlockDeltaEvent struct {
	ContentBlockIndex int `json:"contentBlockIndex"`
	Delta             struct {
		Text    *string `json:"text"`
		ToolUse *struct {
			Input string `json:"input"`
		} `json:"toolUse"`
		// ReasoningContent is a union too: text, then the signature last; or redactedContent.
		// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ReasoningContentBlockDelta.html
		ReasoningContent *struct {
			Text            *string `json:"text"`
			Signature       *string `json:"signature"`
			RedactedContent *string `json:"redactedContent"`
		} `json:"reasoningContent"`
	} `json:"delta"`
}

type messageStopEvent struct {
	StopReason string `json:"stopReason"`
}

type metadataEvent struct {
	Usage *tokenUsage `json:"usage"`
}

// errorBody is the JSON of an error response or exception frame. AWS services spell the message
// member either way; the type may be in the body when the x-amzn-ErrorType header is absent.
type errorBody struct {
	Message      string      `json:"message"`
	MessageUpper string      `json:"Message"`
	Type         string      `json:"__type"`
	Code         jsonx.Value `json:"code"`
}

// titanEmbedRequest is the InvokeModel body of amazon.titan-embed-text models.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html
type titanEmbedRequest struct {
	InputText  string `json:"inputText"`
	Dimensions *int   `json:"dimensions,omitzero"`
}

// cohereEmbedRequest is the InvokeModel body of cohere.embed models.
// https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed-v3.html
type cohereEmbedRequest struct {
	Texts           []string `json:"texts"`
	InputType       string   `json:"input_type"`
	OutputDimension *int     `json:"output_dimension,omitzero"`
}

// embedResponse holds both answers: Titan's {"embedding","inputTextTokenCount"} and Cohere's
// {"embeddings":[[...]]} (or {"embeddings":{"float":[[...]]}} when types were requested).
type embedResponse struct {
	Embedding           jsonx.Value `json:"embedding"`
	InputTextTokenCount *int        `json:"inputTextTokenCount"`
	Embeddings          jsonx.Value `json:"embeddings"`
}
