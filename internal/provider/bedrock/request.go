package bedrock

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/media"
)

// Content types of the two answers.
const (
	contentJSON        = "application/json"
	contentEventStream = "application/vnd.amazon.eventstream"
)

// NewChatRequest builds POST {base}/model/{modelId}/converse, or /converse-stream for a stream,
// signed with SigV4. Translation:
//
//   - system and developer messages become system blocks, in order;
//   - user content parts become text and image blocks (images from data: URLs only);
//   - assistant tool_calls become toolUse blocks, tool messages toolResult blocks in a user
//     message; consecutive messages of one role are merged, as Converse wants turns to alternate;
//   - max_completion_tokens (or max_tokens), temperature, top_p and stop go to inferenceConfig;
//   - for Claude models, thinking (or reasoning_effort) and thinking blocks: see thinking.go;
//   - tools, tool_choice and response_format json_schema: see tools.go.
//
// Refused with a 400: n > 1, non-zero presence or frequency penalties, logprobs, logit_bias and
// audio output (Converse has no equivalent), image URLs that are not data: URLs, and content
// parts other than text and images. seed, user, parallel_tool_calls and other fields Converse
// has no place for are dropped: none of them changes the shape of the answer.
func (a Adapter) NewChatRequest(ctx context.Context, t *provider.Target, req *api.ChatRequest) (*http.Request, error) {
	body, err := toConverse(t.Model, req)
	if err != nil {
		return nil, err
	}
	enc, err := jsonx.Marshal(body)
	if err != nil {
		return nil, fmt.Errorf("bedrock: encode converse request: %w", err)
	}
	op, accept := "/converse", contentJSON
	if req.Stream {
		op, accept = "/converse-stream", contentEventStream
	}
	return a.newSignedRequest(withCall(ctx, call{model: t.Model}), t, op, enc, accept)
}

func toConverse(model string, req *api.ChatRequest) (*converseRequest, error) {
	if err := checkUnsupported(req); err != nil {
		return nil, err
	}
	out := &converseRequest{}
	var err error
	if out.Messages, out.System, err = convertMessages(req.Messages); err != nil {
		return nil, err
	}
	out.InferenceConfig = inference(req)
	if err := convertThinking(model, req, out); err != nil {
		return nil, err
	}
	if out.ToolConfig, err = convertTools(req, usesTools(out.Messages)); err != nil {
		return nil, err
	}
	if out.OutputConfig, err = convertResponseFormat(req.ResponseFormat); err != nil {
		return nil, err
	}
	return out, nil
}

// unsupported is the 400 for a parameter Converse cannot express.
func unsupported(param, format string, args ...any) *api.Error {
	e := api.Errorf("invalid_request", "parameter %s is not supported by provider type bedrock: %s", param, fmt.Sprintf(format, args...))
	e.Param = param
	return e
}

// invalid is the 400 for a value that cannot be translated.
func invalid(param, format string, args ...any) *api.Error {
	e := api.Errorf("invalid_request", "invalid %s: %s", param, fmt.Sprintf(format, args...))
	e.Param = param
	return e
}

// unsupportedExtra are the OpenAI parameters, kept in Extra, whose effect a client would miss.
type unsupportedExtra struct {
	Logprobs  bool        `json:"logprobs"`
	LogitBias jsonx.Value `json:"logit_bias"`
	Audio     jsonx.Value `json:"audio"`
}

func checkUnsupported(req *api.ChatRequest) error {
	switch {
	case req.N != nil && *req.N > 1:
		return unsupported("n", "Converse returns one choice per request")
	case req.PresencePenalty != nil && *req.PresencePenalty != 0:
		return unsupported("presence_penalty", "Converse has no penalties")
	case req.FrequencyPenalty != nil && *req.FrequencyPenalty != 0:
		return unsupported("frequency_penalty", "Converse has no penalties")
	}
	if len(req.Extra) == 0 {
		return nil
	}
	var x unsupportedExtra
	_ = jsonx.Unmarshal(req.Extra, &x) // a malformed value of an ignored field stays ignored
	switch {
	case x.Logprobs:
		return unsupported("logprobs", "Converse returns no log probabilities")
	case len(x.LogitBias) > 0 && string(x.LogitBias) != "null" && string(x.LogitBias) != "{}":
		return unsupported("logit_bias", "Converse cannot bias tokens")
	case len(x.Audio) > 0 && string(x.Audio) != "null":
		return unsupported("audio", "Converse answers with text")
	}
	return nil
}

func inference(req *api.ChatRequest) *inferenceConfig {
	c := inferenceConfig{MaxTokens: req.MaxTokens, Temperature: req.Temperature, TopP: req.TopP, StopSequences: req.Stop}
	if req.MaxCompletionTokens != nil {
		c.MaxTokens = req.MaxCompletionTokens // it supersedes max_tokens at OpenAI
	}
	if c.MaxTokens == nil && c.Temperature == nil && c.TopP == nil && len(c.StopSequences) == 0 {
		return nil
	}
	return &c
}

// convertMessages splits system text from the conversation and turns each message into blocks.
func convertMessages(in []api.Message) ([]message, []systemBlock, error) {
	var (
		out    []message
		system []systemBlock
	)
	for i := range in {
		m := &in[i]
		role, blocks, err := convertMessage(i, m)
		if err != nil {
			return nil, nil, err
		}
		if role == "system" {
			if text := m.Content.String(); text != "" {
				system = append(system, systemBlock{Text: text})
			}
			continue
		}
		if n := len(out); n > 0 && out[n-1].Role == role {
			out[n-1].Content = append(out[n-1].Content, blocks...)
			continue
		}
		out = append(out, message{Role: role, Content: blocks})
	}
	return out, system, nil
}

// convertMessage returns the Converse role of message i and its content blocks.
func convertMessage(i int, m *api.Message) (string, []contentBlock, error) {
	switch m.Role {
	case "system", "developer":
		if err := textOnly(i, m.Content); err != nil {
			return "", nil, err
		}
		return "system", nil, nil
	case "user":
		blocks, err := userBlocks(i, m.Content)
		return "user", blocks, err
	case "assistant":
		blocks, err := assistantBlocks(i, m)
		return "assistant", blocks, err
	case "tool":
		if err := textOnly(i, m.Content); err != nil {
			return "", nil, err
		}
		// Results are always text: every Converse model that calls tools accepts a text result,
		// while json results are not accepted by all of them.
		res := &toolResult{ToolUseID: m.ToolCallID, Content: []toolResultContent{{Text: m.Content.String()}}}
		return "user", []contentBlock{{ToolResult: res}}, nil
	}
	return "", nil, unsupported(fmt.Sprintf("messages[%d].role", i), "role %q has no Converse equivalent", m.Role)
}

func textBlock(s string) contentBlock { return contentBlock{Text: &s} }

func textOnly(i int, c api.Content) error {
	for j, p := range c.Parts {
		if p.Type != "text" {
			return unsupported(fmt.Sprintf("messages[%d].content[%d]", i, j), "this role takes text parts only, got %q", p.Type)
		}
	}
	return nil
}

func userBlocks(i int, c api.Content) ([]contentBlock, error) {
	if !c.IsArray() {
		return []contentBlock{textBlock(c.Text)}, nil
	}
	blocks := make([]contentBlock, 0, len(c.Parts))
	for j, p := range c.Parts {
		param := fmt.Sprintf("messages[%d].content[%d]", i, j)
		switch {
		case p.Type == "text":
			blocks = append(blocks, textBlock(p.Text))
		case p.Type == "image_url" && p.ImageURL != nil:
			img, err := imageFromURL(param+".image_url.url", p.ImageURL.URL)
			if err != nil {
				return nil, err
			}
			blocks = append(blocks, contentBlock{Image: img})
		default:
			return nil, unsupported(param, "content parts of type %q have no Converse equivalent", p.Type)
		}
	}
	return blocks, nil
}

// imageFromURL takes a base64 data: URL. Converse reads images from bytes or S3 only; fetching
// web URLs on the client's behalf is not a gateway's job.
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ImageSource.html
func imageFromURL(param, u string) (*imageBlock, error) {
	mediaType, data, ok := media.ParseDataURL(u)
	if !ok {
		return nil, unsupported(param, "images must be base64 data: URLs (data:image/png;base64,...), as Bedrock takes image bytes, not web URLs")
	}
	format, ok := imageFormats[strings.ToLower(mediaType)]
	if !ok {
		return nil, unsupported(param, "image type %q is not one of png, jpeg, gif, webp", mediaType)
	}
	return &imageBlock{Format: format, Source: imageSource{Bytes: data}}, nil
}

var imageFormats = map[string]string{
	"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/gif": "gif", "image/webp": "webp",
}

func assistantBlocks(i int, m *api.Message) ([]contentBlock, error) {
	blocks := reasoningBlocks(m.ThinkingBlocks) // first, as Claude requires
	for j, p := range m.Content.Parts {
		if p.Type != "text" && p.Type != "refusal" {
			return nil, unsupported(fmt.Sprintf("messages[%d].content[%d]", i, j), "assistant content parts of type %q have no Converse equivalent", p.Type)
		}
	}
	if text := m.Content.String(); text != "" || len(m.ToolCalls) == 0 {
		blocks = append(blocks, textBlock(text))
	}
	for j, tc := range m.ToolCalls {
		input, err := toolInput(tc.Function.Arguments)
		if err != nil {
			return nil, invalid(fmt.Sprintf("messages[%d].tool_calls[%d].function.arguments", i, j), "%s", err)
		}
		blocks = append(blocks, contentBlock{ToolUse: &toolUse{ToolUseID: tc.ID, Name: tc.Function.Name, Input: input}})
	}
	return blocks, nil
}

// toolInput turns OpenAI's arguments string into the JSON object Converse carries.
func toolInput(args string) (jsonx.Value, error) {
	v := jsonx.Value(strings.TrimSpace(args))
	if len(v) == 0 {
		return jsonx.Value("{}"), nil
	}
	if !v.IsValid() || v[0] != '{' {
		return nil, fmt.Errorf("must be a JSON object, as Bedrock stores tool input as an object")
	}
	return v, nil
}

func usesTools(msgs []message) bool {
	for _, m := range msgs {
		for _, b := range m.Content {
			if b.ToolUse != nil || b.ToolResult != nil {
				return true
			}
		}
	}
	return false
}
