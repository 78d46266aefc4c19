package gemini

import (
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider/media"
)

// skipSignature is the value Google documents for a function call whose thought signature was
// lost (a history from another model, or a client that drops unknown fields): Gemini 3 rejects
// a function call turn without one. https://ai.google.dev/gemini-api/docs/thought-signatures
const skipSignature = "skip_thought_signature_validator"

// translateMessages turns OpenAI messages into Gemini contents plus the system instruction.
// System and developer messages, wherever they are, join systemInstruction in order: Gemini has
// no system turn. Consecutive tool results share one user turn, as Gemini expects the answers
// to one model turn's parallel calls together.
func translateMessages(msgs []api.Message) ([]content, *content, error) {
	var (
		contents []content
		system   []part
		inTools  bool // the last content holds tool results only
	)
	for i := range msgs {
		m := &msgs[i]
		switch m.Role {
		case "system", "developer":
			parts, err := systemParts(i, m.Content)
			if err != nil {
				return nil, nil, err
			}
			system = append(system, parts...)
			continue
		case "user":
			parts, err := userParts(i, m.Content)
			if err != nil {
				return nil, nil, err
			}
			contents = append(contents, content{Role: "user", Parts: parts})
		case "assistant":
			parts, err := assistantParts(i, m)
			if err != nil {
				return nil, nil, err
			}
			if len(parts) == 0 {
				continue // an empty assistant turn: Gemini rejects a content without parts
			}
			contents = append(contents, content{Role: "model", Parts: parts})
		case "tool", "function":
			p, err := toolResultPart(msgs, i)
			if err != nil {
				return nil, nil, err
			}
			if inTools {
				last := &contents[len(contents)-1]
				last.Parts = append(last.Parts, p)
			} else {
				contents = append(contents, content{Role: "user", Parts: []part{p}})
			}
			inTools = true
			continue
		default:
			return nil, nil, invalid(fmt.Sprintf("messages[%d].role", i), "%q is not one of system, developer, user, assistant, tool", m.Role)
		}
		inTools = false
	}
	if len(system) == 0 {
		return contents, nil, nil
	}
	return contents, &content{Parts: system}, nil
}

func textPart(s string) part { return part{Text: &s} }

func systemParts(i int, c api.Content) ([]part, error) {
	if !c.IsArray() {
		return []part{textPart(c.Text)}, nil
	}
	parts := make([]part, 0, len(c.Parts))
	for j, p := range c.Parts {
		if p.Type != "text" {
			return nil, invalid(fmt.Sprintf("messages[%d].content[%d].type", i, j), "a system message holds text only, got %q", p.Type)
		}
		parts = append(parts, textPart(p.Text))
	}
	return parts, nil
}

func userParts(i int, c api.Content) ([]part, error) {
	if !c.IsArray() {
		return []part{textPart(c.Text)}, nil
	}
	parts := make([]part, 0, len(c.Parts))
	for j := range c.Parts {
		p, err := userPart(fmt.Sprintf("messages[%d].content[%d]", i, j), &c.Parts[j])
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// mediaParts are the members of audio and file content parts, which api.ContentPart keeps in
// Extra.
type mediaParts struct {
	InputAudio *struct {
		Data   string `json:"data"`
		Format string `json:"format"`
	} `json:"input_audio"`
	File *struct {
		FileData string `json:"file_data"`
		FileID   string `json:"file_id"`
	} `json:"file"`
}

func userPart(param string, p *api.ContentPart) (part, error) {
	switch p.Type {
	case "text":
		return textPart(p.Text), nil
	case "image_url":
		if p.ImageURL == nil {
			return part{}, invalid(param+".image_url", "is required")
		}
		return urlPart(param+".image_url.url", p.ImageURL.URL)
	}
	var m mediaParts
	if len(p.Extra) > 0 {
		if err := jsonx.Unmarshal(p.Extra, &m); err != nil {
			return part{}, invalid(param, "cannot read the %s part", p.Type)
		}
	}
	switch {
	case p.Type == "input_audio" && m.InputAudio != nil:
		if m.InputAudio.Format != "wav" && m.InputAudio.Format != "mp3" {
			return part{}, invalid(param+".input_audio.format", "%q is not one of wav, mp3", m.InputAudio.Format)
		}
		return part{InlineData: &blob{MimeType: "audio/" + m.InputAudio.Format, Data: m.InputAudio.Data}}, nil
	case p.Type == "file" && m.File != nil && m.File.FileData != "":
		return urlPart(param+".file.file_data", m.File.FileData)
	case p.Type == "file":
		// OpenAI file ids name files in OpenAI's storage, which Gemini cannot read.
		return part{}, invalid(param+".file", "Gemini takes files inline only (file_data as a data: URL)")
	}
	return part{}, invalid(param+".type", "content parts of type %q are not supported by Gemini", p.Type)
}

// urlPart sends a data: URL inline and an http(s) URL by reference; Gemini needs the media
// type either way, so a URL whose extension does not tell it is refused.
func urlPart(param, u string) (part, error) {
	if mediaType, data, ok := media.ParseDataURL(u); ok {
		return part{InlineData: &blob{MimeType: mediaType, Data: data}}, nil
	}
	if strings.HasPrefix(u, "data:") {
		return part{}, invalid(param, "a data: URL must be base64-encoded with a media type")
	}
	if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return part{}, invalid(param, "must be an http(s) or data: URL")
	}
	mediaType := media.TypeFromURL(u)
	if mediaType == "" {
		return part{}, invalid(param, "Gemini needs the media type of %s; send a data: URL or a URL ending in .png, .jpg, .gif, .webp or .pdf", u)
	}
	return part{FileData: &fileData{MimeType: mediaType, FileURI: u}}, nil
}

func assistantParts(i int, m *api.Message) ([]part, error) {
	var parts []part
	if text := m.Content.String(); text != "" {
		parts = append(parts, textPart(text))
	}
	calls := m.ToolCalls
	if legacy := legacyFunctionCall(m.Extra); legacy != nil && len(calls) == 0 {
		calls = []api.ToolCall{{Type: "function", Function: *legacy}}
	}
	for k, tc := range calls {
		param := fmt.Sprintf("messages[%d].tool_calls[%d]", i, k)
		if tc.Type != "function" && tc.Type != "" {
			return nil, invalid(param+".type", "%q tool calls are not supported by Gemini", tc.Type)
		}
		args, err := objectArgs(tc.Function.Arguments)
		if err != nil {
			return nil, invalid(param+".function.arguments", "must be a JSON object")
		}
		p := part{FunctionCall: &functionCall{Name: tc.Function.Name, Args: args}, ThoughtSignature: thoughtSignature(tc.Extra)}
		if k == 0 && p.ThoughtSignature == "" {
			p.ThoughtSignature = skipSignature // only a step's first call carries one
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// legacyFunctionCall reads the function_call of an assistant message from before tool calls,
// answered by a "function" message, which api.Message keeps in Extra.
func legacyFunctionCall(extra jsonx.Value) *api.FunctionCall {
	if len(extra) == 0 {
		return nil
	}
	var m struct {
		FunctionCall *api.FunctionCall `json:"function_call"`
	}
	if jsonx.Unmarshal(extra, &m) != nil {
		return nil
	}
	return m.FunctionCall
}

// objectArgs parses a tool call's arguments; Gemini takes them as an object, not a string.
func objectArgs(s string) (jsonx.Value, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return jsonx.Value("{}"), nil
	}
	var v jsonx.Value
	if err := jsonx.Unmarshal([]byte(s), &v); err != nil || v.Kind() != '{' {
		return nil, fmt.Errorf("gemini: arguments are not a JSON object")
	}
	return v, nil
}

// googleExtra is where Gemini's own OpenAI-compatible endpoint puts a tool call's thought
// signature, so clients that keep unknown fields of a message send it back the same way:
// https://ai.google.dev/gemini-api/docs/openai.
type googleExtra struct {
	ExtraContent struct {
		Google struct {
			ThoughtSignature string `json:"thought_signature"`
		} `json:"google"`
	} `json:"extra_content"`
}

func thoughtSignature(extra jsonx.Value) string {
	if len(extra) == 0 {
		return ""
	}
	var g googleExtra
	if jsonx.Unmarshal(extra, &g) != nil {
		return ""
	}
	return g.ExtraContent.Google.ThoughtSignature
}

// signatureExtra renders a thought signature as googleExtra, for a tool call's Extra.
func signatureExtra(sig string) jsonx.Value {
	q, _ := jsonx.Marshal(sig) // a string always encodes
	b := make([]byte, 0, len(q)+64)
	b = append(b, `{"extra_content":{"google":{"thought_signature":`...)
	b = append(b, q...)
	return append(b, "}}}"...)
}

// toolResultPart answers an earlier function call. Gemini matches results by function name,
// which OpenAI's tool message lacks: it is found in the nearest earlier assistant message that
// made a call with this id (ids repeat across turns, as Gemini has none and Sluice numbers them
// per response). A result that is a JSON object is sent as is; anything else is wrapped as
// {"content": text}, since Gemini's response must be an object.
func toolResultPart(msgs []api.Message, i int) (part, error) {
	m := &msgs[i]
	name := m.Name
	if m.Role == "tool" {
		name = callName(msgs[:i], m.ToolCallID)
		if name == "" {
			return part{}, invalid(fmt.Sprintf("messages[%d].tool_call_id", i), "no earlier assistant message has a tool call with id %q", m.ToolCallID)
		}
	}
	text := m.Content.String()
	var resp jsonx.Value
	if err := jsonx.Unmarshal([]byte(text), &resp); err != nil || resp.Kind() != '{' {
		q, _ := jsonx.Marshal(text)
		resp = append(append(jsonx.Value(`{"content":`), q...), '}')
	}
	return part{FunctionResponse: &functionResponse{Name: name, Response: resp}}, nil
}

func callName(earlier []api.Message, id string) string {
	for i := len(earlier) - 1; i >= 0; i-- {
		if earlier[i].Role != "assistant" {
			continue
		}
		for _, tc := range earlier[i].ToolCalls {
			if tc.ID == id {
				return tc.Function.Name
			}
		}
	}
	return ""
}
