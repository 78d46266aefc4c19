package gemini

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// droppedMembers are request members that never change the text of the answer on the
// providers Sluice routes to: safety thresholds are each provider's own policy, and labels
// are billing tags. Anything else unknown is refused.
var droppedMembers = map[string]bool{"safetySettings": true, "safety_settings": true, "labels": true}

// ToChatRequest translates a generateContent request for model (the path's model, a Sluice
// model or route name) into the gateway's OpenAI-shaped request. What has no OpenAI-shaped
// equivalent is refused with a 400 naming the member, because dropping it would silently
// change the answer the client gets.
func ToChatRequest(model string, in *GenerateContentRequest, stream bool) (*api.ChatRequest, error) {
	if err := refuseExtra("", in.Extra, droppedMembers); err != nil {
		return nil, err
	}
	if model == "" {
		return nil, invalid("model", "the model is required in the path: models/{model}:generateContent")
	}
	if len(in.Contents) == 0 {
		return nil, invalid("contents", "contents must contain at least one content")
	}
	out := &api.ChatRequest{Model: model, Stream: stream, Messages: make([]api.Message, 0, len(in.Contents)+1)}
	if stream {
		// The last event must carry usageMetadata, so usage is always requested.
		out.StreamOptions = &api.StreamOptions{IncludeUsage: true}
	}
	if in.SystemInstruction != nil {
		sys, err := systemText(in.SystemInstruction)
		if err != nil {
			return nil, err
		}
		out.Messages = append(out.Messages, api.Message{Role: "system", Content: api.TextContent(sys)})
	}
	calls := callLedger{}
	for i := range in.Contents {
		var err error
		if out.Messages, err = appendContent(out.Messages, &in.Contents[i], i, &calls); err != nil {
			return nil, err
		}
	}
	if err := translateConfig(out, in.GenerationConfig); err != nil {
		return nil, err
	}
	if err := translateTools(out, in.Tools, in.ToolConfig); err != nil {
		return nil, err
	}
	return out, nil
}

// callLedger pairs function responses with the calls they answer. Gemini ids are optional
// (most models send none), OpenAI's are required, so calls without one get a stable made-up
// id and a response without one answers the oldest unanswered call of its name.
type callLedger struct {
	calls []ledgerCall
}

type ledgerCall struct {
	id, name string
	answered bool
}

func (l *callLedger) add(fc *FunctionCall) string {
	id := fc.ID
	if id == "" {
		id = "call_" + strconv.Itoa(len(l.calls))
	}
	l.calls = append(l.calls, ledgerCall{id: id, name: fc.Name})
	return id
}

func (l *callLedger) answer(fr *FunctionResponse) (string, bool) {
	for i := range l.calls {
		c := &l.calls[i]
		if c.answered || (fr.ID != "" && c.id != fr.ID) || (fr.ID == "" && c.name != fr.Name) {
			continue
		}
		c.answered = true
		return c.id, true
	}
	return "", false
}

// systemText joins the system instruction's text parts; other parts are not allowed there.
func systemText(c *Content) (string, error) {
	var b strings.Builder
	for j := range c.Parts {
		p := &c.Parts[j]
		if p.Text == nil {
			return "", invalid("systemInstruction", fmt.Sprintf("systemInstruction.parts[%d]: only text parts are allowed", j))
		}
		if j > 0 {
			b.WriteString("\n")
		}
		b.WriteString(*p.Text)
	}
	return b.String(), nil
}

// appendContent translates one turn, which may become several OpenAI messages: function
// responses become role "tool" messages placed before the rest of the user turn.
func appendContent(dst []api.Message, c *Content, i int, calls *callLedger) ([]api.Message, error) {
	switch c.Role {
	case "model":
		msg, err := modelMessage(c, i, calls)
		if err != nil {
			return nil, err
		}
		return append(dst, msg), nil
	case "user", "function", "": // "function" is the older role of function responses
		return appendUser(dst, c, i, calls)
	default:
		return nil, invalid("contents", fmt.Sprintf("contents[%d].role: must be user or model, got %q", i, c.Role))
	}
}

func appendUser(dst []api.Message, c *Content, i int, calls *callLedger) ([]api.Message, error) {
	var parts []api.ContentPart
	results := 0
	for j := range c.Parts {
		p := &c.Parts[j]
		where := fmt.Sprintf("contents[%d].parts[%d]", i, j)
		if err := refuseExtra(where+".", p.Extra, nil); err != nil {
			return nil, err
		}
		switch {
		case p.FunctionResponse != nil:
			msg, err := toolMessage(p.FunctionResponse, where, calls)
			if err != nil {
				return nil, err
			}
			dst = append(dst, msg)
			results++
		case p.Text != nil:
			parts = append(parts, api.ContentPart{Type: "text", Text: *p.Text})
		case p.InlineData != nil || p.FileData != nil:
			part, err := imagePart(p, where)
			if err != nil {
				return nil, err
			}
			parts = append(parts, part)
		case p.FunctionCall != nil:
			return nil, invalid("contents", where+": functionCall parts belong to model turns")
		default:
			return nil, invalid("contents", where+": empty part")
		}
	}
	if len(parts) > 0 || results == 0 {
		dst = append(dst, api.Message{Role: "user", Content: partsContent(parts)})
	}
	return dst, nil
}

// partsContent keeps a lone text part as a plain string, the form every upstream accepts.
func partsContent(parts []api.ContentPart) api.Content {
	switch {
	case len(parts) == 0:
		return api.TextContent("")
	case len(parts) == 1 && parts[0].Type == "text":
		return api.TextContent(parts[0].Text)
	}
	return api.PartsContent(parts)
}

// imagePart maps inline and file images. OpenAI carries inline images as data URLs; every
// outbound adapter decodes them back. Other media (audio, PDF) has no chat-completions form
// every provider takes, so it is refused.
func imagePart(p *Part, where string) (api.ContentPart, error) {
	if d := p.InlineData; d != nil {
		if !strings.HasPrefix(d.MimeType, "image/") || d.Data == "" {
			return api.ContentPart{}, invalid("contents", fmt.Sprintf("%s.inlineData: only images with data are supported here, got mimeType %q", where, d.MimeType))
		}
		return api.ContentPart{Type: "image_url", ImageURL: &api.ImageURL{URL: "data:" + d.MimeType + ";base64," + d.Data}}, nil
	}
	f := p.FileData
	isHTTP := strings.HasPrefix(f.FileURI, "https://") || strings.HasPrefix(f.FileURI, "http://")
	// Files API URIs are https too, but only Gemini, with the uploader's key, can read them.
	filesAPI := strings.Contains(f.FileURI, "generativelanguage.googleapis.com/")
	if !isHTTP || filesAPI || (f.MimeType != "" && !strings.HasPrefix(f.MimeType, "image/")) {
		return api.ContentPart{}, invalid("contents", fmt.Sprintf("%s.fileData: only images at http(s) URLs are supported here (Gemini Files API URIs are not)", where))
	}
	return api.ContentPart{Type: "image_url", ImageURL: &api.ImageURL{URL: f.FileURI}}, nil
}

// toolMessage turns a functionResponse into an OpenAI tool message whose text is the
// response object, which is what the model is shown either way.
func toolMessage(fr *FunctionResponse, where string, calls *callLedger) (api.Message, error) {
	if fr.Name == "" {
		return api.Message{}, invalid("contents", where+".functionResponse.name is required")
	}
	id, ok := calls.answer(fr)
	if !ok {
		return api.Message{}, invalid("contents", fmt.Sprintf("%s.functionResponse: no earlier functionCall %q is left to answer", where, fr.Name))
	}
	text := "{}"
	if len(fr.Response) > 0 {
		text = compact(fr.Response)
	}
	return api.Message{Role: "tool", ToolCallID: id, Content: api.TextContent(text)}, nil
}

// modelMessage folds text parts into content and functionCall parts into tool_calls.
// Thought summaries are the model's own notes and thought signatures are opaque to every
// other provider, so both are left out of the history.
func modelMessage(c *Content, i int, calls *callLedger) (api.Message, error) {
	msg := api.Message{Role: "assistant"}
	var text strings.Builder
	for j := range c.Parts {
		p := &c.Parts[j]
		where := fmt.Sprintf("contents[%d].parts[%d]", i, j)
		switch {
		case p.Thought:
		case p.FunctionCall != nil:
			fc := p.FunctionCall
			if fc.Name == "" {
				return api.Message{}, invalid("contents", where+".functionCall.name is required")
			}
			args := "{}"
			if len(fc.Args) > 0 {
				args = compact(fc.Args)
			}
			msg.ToolCalls = append(msg.ToolCalls, api.ToolCall{ID: calls.add(fc), Type: "function",
				Function: api.FunctionCall{Name: fc.Name, Arguments: args}})
		case p.Text != nil:
			text.WriteString(*p.Text)
		default:
			return api.Message{}, invalid("contents", where+": model turns may contain only text and functionCall parts here")
		}
	}
	// OpenAI wants null content beside tool calls when there is no text.
	if text.Len() > 0 || len(msg.ToolCalls) == 0 {
		msg.Content = api.TextContent(text.String())
	}
	return msg, nil
}

// droppedConfig are generationConfig members that do not change what the answer says:
// thinkingConfig tunes the model's hidden reasoning, which other providers budget their own way.
var droppedConfig = map[string]bool{"thinkingConfig": true, "thinking_config": true}

// translateConfig maps generationConfig's sampling, limits and JSON output.
func translateConfig(out *api.ChatRequest, gc *GenerationConfig) error {
	if gc == nil {
		return nil
	}
	if err := refuseExtra("generationConfig.", textOnlyModalities(gc.Extra), droppedConfig); err != nil {
		return err
	}
	if gc.CandidateCount != nil && *gc.CandidateCount != 1 {
		return invalid("generationConfig.candidateCount", "generationConfig.candidateCount: only 1 is supported by this gateway")
	}
	if gc.MaxOutputTokens != nil && *gc.MaxOutputTokens < 1 {
		return invalid("generationConfig.maxOutputTokens", "generationConfig.maxOutputTokens must be at least 1")
	}
	out.MaxTokens = gc.MaxOutputTokens
	out.Temperature, out.TopP, out.Seed = gc.Temperature, gc.TopP, gc.Seed
	out.PresencePenalty, out.FrequencyPenalty = gc.PresencePenalty, gc.FrequencyPenalty
	if len(gc.StopSequences) > 0 {
		out.Stop = api.StringList(gc.StopSequences)
	}
	rf, err := responseFormat(gc)
	if err != nil {
		return err
	}
	out.ResponseFormat = rf
	return nil
}

// textOnlyModalities removes responseModalities when it asks for text only, the one value
// every provider honours, so that only other values are refused.
func textOnlyModalities(extra jsonx.Value) jsonx.Value {
	if len(extra) == 0 {
		return extra
	}
	var members map[string]jsonx.Value
	if jsonx.Unmarshal(extra, &members) != nil {
		return extra
	}
	for _, k := range []string{"responseModalities", "response_modalities"} {
		v, ok := members[k]
		if !ok {
			continue
		}
		var mods []string
		if jsonx.Unmarshal(v, &mods) == nil && len(mods) == 1 && strings.EqualFold(mods[0], "TEXT") {
			delete(members, k)
		}
	}
	b, err := jsonx.Marshal(members)
	if err != nil {
		return extra
	}
	return b
}

// responseFormat maps responseMimeType and a schema to OpenAI's response_format.
func responseFormat(gc *GenerationConfig) (jsonx.Value, error) {
	switch gc.ResponseMimeType {
	case "", "text/plain":
		if len(gc.ResponseSchema) > 0 || len(gc.ResponseJSONSchema) > 0 {
			return nil, invalid("generationConfig.responseSchema", "generationConfig.responseSchema needs responseMimeType application/json")
		}
		return nil, nil
	case "application/json":
	default:
		return nil, invalid("generationConfig.responseMimeType", fmt.Sprintf("generationConfig.responseMimeType %q is not supported by this gateway (text/plain and application/json are)", gc.ResponseMimeType))
	}
	schema := gc.ResponseJSONSchema
	if len(schema) == 0 && len(gc.ResponseSchema) > 0 {
		var err error
		if schema, err = jsonSchema(gc.ResponseSchema); err != nil {
			return nil, invalid("generationConfig.responseSchema", "generationConfig.responseSchema: "+err.Error())
		}
	}
	if len(schema) == 0 {
		return jsonx.Value(`{"type":"json_object"}`), nil
	}
	return jsonx.Value(`{"type":"json_schema","json_schema":{"name":"response","schema":` + string(schema) + `}}`), nil
}

// translateTools maps function declarations to functions and the calling mode to tool_choice.
func translateTools(out *api.ChatRequest, tools []Tool, tc *ToolConfig) error {
	for i := range tools {
		t := &tools[i]
		if err := refuseExtra(fmt.Sprintf("tools[%d].", i), t.Extra, nil); err != nil {
			return err
		}
		for j := range t.FunctionDeclarations {
			fd := &t.FunctionDeclarations[j]
			where := fmt.Sprintf("tools[%d].functionDeclarations[%d]", i, j)
			if fd.Name == "" {
				return invalid("tools", where+".name is required")
			}
			params := fd.ParametersJSONSchema
			if len(params) == 0 && len(fd.Parameters) > 0 {
				var err error
				if params, err = jsonSchema(fd.Parameters); err != nil {
					return invalid("tools", where+".parameters: "+err.Error())
				}
			}
			out.Tools = append(out.Tools, api.Tool{Type: "function", Function: &api.FunctionDef{
				Name: fd.Name, Description: fd.Description, Parameters: params}})
		}
	}
	if tc == nil || tc.FunctionCallingConfig == nil || len(out.Tools) == 0 {
		return nil
	}
	fc := tc.FunctionCallingConfig
	switch strings.ToUpper(fc.Mode) {
	case "", "AUTO", "VALIDATED", "MODE_UNSPECIFIED":
		out.ToolChoice = jsonx.Value(`"auto"`)
	case "NONE":
		out.ToolChoice = jsonx.Value(`"none"`)
	case "ANY":
		if len(fc.AllowedFunctionNames) > 1 {
			return invalid("toolConfig.functionCallingConfig.allowedFunctionNames",
				"toolConfig.functionCallingConfig.allowedFunctionNames: at most one name is supported by this gateway")
		}
		if len(fc.AllowedFunctionNames) == 0 {
			out.ToolChoice = jsonx.Value(`"required"`)
			return nil
		}
		name, err := jsonx.Marshal(fc.AllowedFunctionNames[0])
		if err != nil {
			return fmt.Errorf("gemini: encode function name: %w", err)
		}
		out.ToolChoice = jsonx.Value(`{"type":"function","function":{"name":` + string(name) + `}}`)
	default:
		return invalid("toolConfig.functionCallingConfig.mode", fmt.Sprintf("toolConfig.functionCallingConfig.mode: must be AUTO, ANY, NONE or VALIDATED, got %q", fc.Mode))
	}
	return nil
}

// refuseExtra rejects members the translation does not know (except those in dropped),
// naming them in sorted order so the message is stable.
func refuseExtra(prefix string, extra jsonx.Value, dropped map[string]bool) error {
	if len(extra) == 0 {
		return nil
	}
	var members map[string]jsonx.Value
	if err := jsonx.Unmarshal(extra, &members); err != nil {
		return nil
	}
	names := make([]string, 0, len(members))
	for k := range members {
		if !dropped[k] {
			names = append(names, prefix+k)
		}
	}
	if len(names) == 0 {
		return nil
	}
	slices.Sort(names)
	return invalid(names[0], fmt.Sprintf("%s: not supported by this gateway's Gemini endpoint (it routes to providers without an equivalent)",
		strings.Join(names, ", ")))
}

func invalid(param, msg string) *api.Error {
	e := api.Errorf("invalid_request", "%s", msg)
	e.Param = param
	return e
}

// compact renders a client's JSON value without its whitespace, as OpenAI clients send
// arguments; the value decoded, so compacting cannot fail.
func compact(v jsonx.Value) string {
	c := slices.Clone(v)
	_ = c.Compact()
	return string(c)
}
