// Package gemini serves the Gemini API inbound (models/{model}:generateContent,
// :streamGenerateContent, :embedContent, :batchEmbedContents, :countTokens): it translates
// Gemini request bodies into Sluice's OpenAI-shaped api.ChatRequest and api.EmbeddingsRequest,
// and the answers, streams and errors back into Gemini's shapes, so clients built on the
// Gemini SDKs (google.golang.org/genai, @google/genai) can reach any provider. It does no I/O
// and imports only api and jsonx; the gateway imports it. It must not import a provider
// package: the outbound Gemini adapter translates the other way and the two evolve apart.
package gemini

import "github.com/sluicehq/sluice/internal/jsonx"

// The Gemini API's inbound shapes (https://ai.google.dev/api/generate-content,
// https://ai.google.dev/api/caching#Content, https://ai.google.dev/api/embeddings,
// https://ai.google.dev/api/tokens). The API accepts camelCase and snake_case member names
// alike, so multi-word members match case- and underscore-insensitively. Members a
// translation cannot express are still decoded into Extra, so they can be refused by name
// rather than silently dropped.

// GenerateContentRequest is the body of :generateContent and :streamGenerateContent; the
// model comes from the path.
type GenerateContentRequest struct {
	Contents          []Content         `json:"contents"`
	SystemInstruction *Content          `json:"systemInstruction,omitzero,case:ignore"`
	Tools             []Tool            `json:"tools,omitzero"`
	ToolConfig        *ToolConfig       `json:"toolConfig,omitzero,case:ignore"`
	GenerationConfig  *GenerationConfig `json:"generationConfig,omitzero,case:ignore"`
	// Model is sent inside countTokens' generateContentRequest; ignored elsewhere.
	Model string `json:"model,omitzero"`
	// Extra collects every other member (cachedContent, safetySettings, ...).
	Extra jsonx.Value `json:",embed"`
}

// Content is one turn: role "user" or "model" (absent in systemInstruction).
type Content struct {
	Role  string `json:"role,omitzero"`
	Parts []Part `json:"parts"`
}

// Part holds one kind of data. Text is a pointer because an empty text part is still a part.
type Part struct {
	Text             *string           `json:"text,omitzero"`
	Thought          bool              `json:"thought,omitzero"`
	ThoughtSignature string            `json:"thoughtSignature,omitzero,case:ignore"`
	InlineData       *Blob             `json:"inlineData,omitzero,case:ignore"`
	FileData         *FileData         `json:"fileData,omitzero,case:ignore"`
	FunctionCall     *FunctionCall     `json:"functionCall,omitzero,case:ignore"`
	FunctionResponse *FunctionResponse `json:"functionResponse,omitzero,case:ignore"`
	Extra            jsonx.Value       `json:",embed"`
}

// Blob is inline bytes, base64 in data.
type Blob struct {
	MimeType string `json:"mimeType,case:ignore"`
	Data     string `json:"data"`
}

// FileData references a file by URI.
type FileData struct {
	MimeType string `json:"mimeType,omitzero,case:ignore"`
	FileURI  string `json:"fileUri,case:ignore"`
}

// FunctionCall is a call the model made; Args is a JSON object.
type FunctionCall struct {
	ID   string      `json:"id,omitzero"`
	Name string      `json:"name"`
	Args jsonx.Value `json:"args,omitzero"`
}

// FunctionResponse returns a call's result; Response is a JSON object.
type FunctionResponse struct {
	ID       string      `json:"id,omitzero"`
	Name     string      `json:"name"`
	Response jsonx.Value `json:"response"`
}

// Tool is one entry of tools; only function declarations translate.
type Tool struct {
	FunctionDeclarations []FunctionDeclaration `json:"functionDeclarations,omitzero,case:ignore"`
	Extra                jsonx.Value           `json:",embed"` // googleSearch, codeExecution, ...
}

// FunctionDeclaration describes a function. Parameters is Gemini's Schema (an OpenAPI 3.0
// subset with upper-case types); ParametersJSONSchema is plain JSON Schema.
type FunctionDeclaration struct {
	Name                 string      `json:"name"`
	Description          string      `json:"description,omitzero"`
	Parameters           jsonx.Value `json:"parameters,omitzero"`
	ParametersJSONSchema jsonx.Value `json:"parametersJsonSchema,omitzero,case:ignore"`
}

// ToolConfig holds the function calling mode.
type ToolConfig struct {
	FunctionCallingConfig *FunctionCallingConfig `json:"functionCallingConfig,omitzero,case:ignore"`
}

// FunctionCallingConfig.Mode is AUTO, ANY, NONE or VALIDATED.
type FunctionCallingConfig struct {
	Mode                 string   `json:"mode,omitzero"`
	AllowedFunctionNames []string `json:"allowedFunctionNames,omitzero,case:ignore"`
}

// GenerationConfig: https://ai.google.dev/api/generate-content#generationconfig.
type GenerationConfig struct {
	StopSequences      []string    `json:"stopSequences,omitzero,case:ignore"`
	ResponseMimeType   string      `json:"responseMimeType,omitzero,case:ignore"`
	ResponseSchema     jsonx.Value `json:"responseSchema,omitzero,case:ignore"`
	ResponseJSONSchema jsonx.Value `json:"responseJsonSchema,omitzero,case:ignore"`
	CandidateCount     *int        `json:"candidateCount,omitzero,case:ignore"`
	MaxOutputTokens    *int        `json:"maxOutputTokens,omitzero,case:ignore"`
	Temperature        *float64    `json:"temperature,omitzero"`
	TopP               *float64    `json:"topP,omitzero,case:ignore"`
	Seed               *int64      `json:"seed,omitzero"`
	PresencePenalty    *float64    `json:"presencePenalty,omitzero,case:ignore"`
	FrequencyPenalty   *float64    `json:"frequencyPenalty,omitzero,case:ignore"`
	// Extra collects topK, responseModalities, thinkingConfig, ...
	Extra jsonx.Value `json:",embed"`
}

// GenerateContentResponse is a whole answer, or one event of a stream.
type GenerateContentResponse struct {
	Candidates    []Candidate    `json:"candidates"`
	UsageMetadata *UsageMetadata `json:"usageMetadata,omitzero"`
	ModelVersion  string         `json:"modelVersion,omitzero"`
	ResponseID    string         `json:"responseId,omitzero"`
}

// Candidate is one answer. FinishReason is empty until its last event.
type Candidate struct {
	Content      *ResponseContent `json:"content,omitzero"`
	FinishReason string           `json:"finishReason,omitzero"`
	Index        int              `json:"index"`
}

// ResponseContent is Content as the API writes it: parts always present.
type ResponseContent struct {
	Role  string         `json:"role"`
	Parts []ResponsePart `json:"parts"`
}

// ResponsePart is a text or functionCall part of an answer.
type ResponsePart struct {
	Text         *string       `json:"text,omitzero"`
	FunctionCall *FunctionCall `json:"functionCall,omitzero"`
}

// UsageMetadata: candidatesTokenCount excludes thoughtsTokenCount; totalTokenCount counts all.
type UsageMetadata struct {
	PromptTokenCount        int `json:"promptTokenCount"`
	CandidatesTokenCount    int `json:"candidatesTokenCount"`
	TotalTokenCount         int `json:"totalTokenCount"`
	CachedContentTokenCount int `json:"cachedContentTokenCount,omitzero"`
	ThoughtsTokenCount      int `json:"thoughtsTokenCount,omitzero"`
}

// EmbedContentRequest is the body of :embedContent and one entry of :batchEmbedContents.
type EmbedContentRequest struct {
	Model                string      `json:"model,omitzero"`
	Content              Content     `json:"content"`
	TaskType             string      `json:"taskType,omitzero,case:ignore"`
	Title                string      `json:"title,omitzero"`
	OutputDimensionality *int        `json:"outputDimensionality,omitzero,case:ignore"`
	Extra                jsonx.Value `json:",embed"`
}

// BatchEmbedContentsRequest is the body of :batchEmbedContents.
type BatchEmbedContentsRequest struct {
	Requests []EmbedContentRequest `json:"requests"`
}

// ContentEmbedding is one vector; Values stays raw, passed through from the provider.
type ContentEmbedding struct {
	Values jsonx.Value `json:"values"`
}

// EmbedContentResponse answers :embedContent.
type EmbedContentResponse struct {
	Embedding ContentEmbedding `json:"embedding"`
}

// BatchEmbedContentsResponse answers :batchEmbedContents.
type BatchEmbedContentsResponse struct {
	Embeddings []ContentEmbedding `json:"embeddings"`
}

// CountTokensRequest is the body of :countTokens: contents, or a whole generateContentRequest.
type CountTokensRequest struct {
	Contents               []Content               `json:"contents,omitzero"`
	GenerateContentRequest *GenerateContentRequest `json:"generateContentRequest,omitzero,case:ignore"`
}

// CountTokensResponse answers :countTokens.
type CountTokensResponse struct {
	TotalTokens int `json:"totalTokens"`
}

// ErrorBody is Google's standard error object
// (https://ai.google.dev/gemini-api/docs/troubleshooting).
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the error member of ErrorBody.
type ErrorDetail struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
	Status  string `json:"status"`
}
