package gemini

import "github.com/sluicehq/sluice/internal/jsonx"

// Gemini's own request and response shapes, limited to the members Sluice reads or writes.
// Reference: https://ai.google.dev/api/generate-content and https://ai.google.dev/api/caching
// (Content, Part, Tool, Schema). Members are camelCase: the API also accepts snake_case, but
// answers in camelCase, and the official SDKs send camelCase.

// generateContentRequest is the body of models/{model}:generateContent and
// :streamGenerateContent.
type generateContentRequest struct {
	Contents          []content         `json:"contents"`
	SystemInstruction *content          `json:"systemInstruction,omitzero"`
	Tools             []tool            `json:"tools,omitzero"`
	ToolConfig        *toolConfig       `json:"toolConfig,omitzero"`
	GenerationConfig  *generationConfig `json:"generationConfig,omitzero"`
}

// content is one turn: role "user" or "model" (absent in systemInstruction).
type content struct {
	Role  string `json:"role,omitzero"`
	Parts []part `json:"parts"`
}

// part holds exactly one kind of data. Text is a pointer because an empty text part is still
// a part, and thoughtSignature (base64) may ride on any part of a model turn.
type part struct {
	Text             *string           `json:"text,omitzero"`
	Thought          bool              `json:"thought,omitzero"`
	InlineData       *blob             `json:"inlineData,omitzero"`
	FileData         *fileData         `json:"fileData,omitzero"`
	FunctionCall     *functionCall     `json:"functionCall,omitzero"`
	FunctionResponse *functionResponse `json:"functionResponse,omitzero"`
	ThoughtSignature string            `json:"thoughtSignature,omitzero"`
}

type blob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"` // base64
}

type fileData struct {
	MimeType string `json:"mimeType,omitzero"`
	FileURI  string `json:"fileUri"`
}

// functionCall is a call the model made. Args is a JSON object; ID is set by some models only.
type functionCall struct {
	ID   string      `json:"id,omitzero"`
	Name string      `json:"name"`
	Args jsonx.Value `json:"args,omitzero"`
}

// functionResponse returns a call's result; Response must be a JSON object.
type functionResponse struct {
	Name     string      `json:"name"`
	Response jsonx.Value `json:"response"`
}

type tool struct {
	FunctionDeclarations []functionDeclaration `json:"functionDeclarations"`
}

// functionDeclaration's Parameters is a Schema: an OpenAPI 3.0 subset, see schema.go.
type functionDeclaration struct {
	Name        string      `json:"name"`
	Description string      `json:"description,omitzero"`
	Parameters  jsonx.Value `json:"parameters,omitzero"`
}

type toolConfig struct {
	FunctionCallingConfig functionCallingConfig `json:"functionCallingConfig"`
}

// functionCallingConfig.Mode is AUTO, ANY or NONE; AllowedFunctionNames needs ANY.
type functionCallingConfig struct {
	Mode                 string   `json:"mode"`
	AllowedFunctionNames []string `json:"allowedFunctionNames,omitzero"`
}

// generationConfig: https://ai.google.dev/api/generate-content#generationconfig. Seed is an
// int32 at Gemini.
type generationConfig struct {
	StopSequences      []string    `json:"stopSequences,omitzero"`
	ResponseMimeType   string      `json:"responseMimeType,omitzero"`
	ResponseJSONSchema jsonx.Value `json:"responseJsonSchema,omitzero"`
	CandidateCount     *int        `json:"candidateCount,omitzero"`
	MaxOutputTokens    *int        `json:"maxOutputTokens,omitzero"`
	Temperature        *float64    `json:"temperature,omitzero"`
	TopP               *float64    `json:"topP,omitzero"`
	Seed               *int64      `json:"seed,omitzero"`
	PresencePenalty    *float64    `json:"presencePenalty,omitzero"`
	FrequencyPenalty   *float64    `json:"frequencyPenalty,omitzero"`
}

// generateContentResponse is a whole answer, or one chunk of a stream. A stream event may
// instead hold an error object, so Error is decoded in the same pass.
type generateContentResponse struct {
	Candidates     []candidate     `json:"candidates"`
	PromptFeedback *promptFeedback `json:"promptFeedback"`
	UsageMetadata  *usageMetadata  `json:"usageMetadata"`
	ModelVersion   string          `json:"modelVersion"`
	ResponseID     string          `json:"responseId"`
	Error          *googleError    `json:"error"`
}

// candidate.Index is omitted by the API for the first candidate in some answers.
type candidate struct {
	Content      *content `json:"content"`
	FinishReason string   `json:"finishReason"`
	Index        *int     `json:"index"`
}

type promptFeedback struct {
	BlockReason        string `json:"blockReason"`
	BlockReasonMessage string `json:"blockReasonMessage"`
}

// usageMetadata: candidatesTokenCount excludes thoughtsTokenCount; totalTokenCount counts
// prompt, tool-use prompt, candidates and thoughts.
type usageMetadata struct {
	PromptTokenCount        int             `json:"promptTokenCount"`
	CandidatesTokenCount    int             `json:"candidatesTokenCount"`
	TotalTokenCount         int             `json:"totalTokenCount"`
	CachedContentTokenCount int             `json:"cachedContentTokenCount"`
	ThoughtsTokenCount      int             `json:"thoughtsTokenCount"`
	ToolUsePromptTokenCount int             `json:"toolUsePromptTokenCount"`
	PromptTokensDetails     []modalityCount `json:"promptTokensDetails"`
	CandidatesTokensDetails []modalityCount `json:"candidatesTokensDetails"`
}

type modalityCount struct {
	Modality   string `json:"modality"`
	TokenCount int    `json:"tokenCount"`
}

// googleError is Google's standard error object, the value of "error" in an error body or
// stream event: https://ai.google.dev/gemini-api/docs/troubleshooting.
type googleError struct {
	Code    int           `json:"code"`
	Message string        `json:"message"`
	Status  string        `json:"status"`
	Details []errorDetail `json:"details"`
}

// errorDetail is one google.rpc detail; only ErrorInfo.reason and RetryInfo.retryDelay matter.
type errorDetail struct {
	Type       string `json:"@type"`
	Reason     string `json:"reason"`
	RetryDelay string `json:"retryDelay"`
}

// batchEmbedRequest is the body of models/{model}:batchEmbedContents.
type batchEmbedRequest struct {
	Requests []embedRequest `json:"requests"`
}

type embedRequest struct {
	Model                string  `json:"model"`
	Content              content `json:"content"`
	OutputDimensionality *int    `json:"outputDimensionality,omitzero"`
}

type batchEmbedResponse struct {
	Embeddings []contentEmbedding `json:"embeddings"`
}

// contentEmbedding.Values stays raw: for float output it is passed through unparsed.
// Statistics is Vertex's; the Gemini API reports no token counts for embeddings.
type contentEmbedding struct {
	Values     jsonx.Value `json:"values"`
	Statistics *struct {
		TokenCount float64 `json:"tokenCount"`
	} `json:"statistics"`
}
