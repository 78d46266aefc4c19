package anthropic

import (
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/provider/media"
)

// translateMessages turns OpenAI's message list into Anthropic's system prompt and strictly
// alternating user/assistant messages (https://docs.anthropic.com/en/api/messages):
// system/developer messages are hoisted into system, tool results join the user turn that
// follows the assistant's tool calls, and consecutive messages of one role are merged.
func translateMessages(t *provider.Target, msgs []api.Message, marks *api.CacheMarks) (blocks, []message, error) {
	var system blocks
	out := make([]message, 0, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		var (
			role = m.Role
			b    blocks
			err  error
		)
		switch m.Role {
		case "system", "developer":
			if b, err = contentBlocks(t, i, m.Content, false, marks); err != nil {
				return nil, nil, err
			}
			system = append(system, b...)
			continue
		case "user":
			b, err = contentBlocks(t, i, m.Content, true, marks)
		case "assistant":
			b, err = assistantBlocks(t, i, m)
		case "tool":
			role = "user"
			b, err = toolResult(t, i, m)
		default:
			return nil, nil, unsupported(t, fmt.Sprintf("messages[%d].role", i), fmt.Sprintf("role %q has no Messages equivalent", m.Role))
		}
		if err != nil {
			return nil, nil, err
		}
		out = appendMessage(out, role, b)
	}
	return system, out, nil
}

// appendMessage adds blocks as a message of role, merging them into the previous message when
// it has the same role. A message without blocks (empty content) is left out: the API
// rejects empty content.
func appendMessage(out []message, role string, b blocks) []message {
	if len(b) == 0 {
		return out
	}
	if n := len(out); n > 0 && out[n-1].Role == role {
		out[n-1].Content = append(out[n-1].Content, b...)
		return out
	}
	return append(out, message{Role: role, Content: b})
}

// contentBlocks converts a message's content: text always, images when allowed. Empty text is
// left out, since the API rejects empty text blocks.
func contentBlocks(t *provider.Target, i int, c api.Content, images bool, marks *api.CacheMarks) (blocks, error) {
	if !c.IsArray() {
		if c.Text == "" {
			return nil, nil
		}
		return blocks{{Type: "text", Text: c.Text}}, nil
	}
	out := make(blocks, 0, len(c.Parts))
	for j, p := range c.Parts {
		// The parameter path is built only for an error: parts are on every request's path.
		param := func() string { return fmt.Sprintf("messages[%d].content[%d]", i, j) }
		switch {
		case p.Type == "text":
			if p.Text != "" {
				out = append(out, block{Type: "text", Text: p.Text, CacheControl: marks.Part(i, j)})
			}
		case p.Type == "refusal":
			// What an assistant refused to say is still text to the next turn.
			if r := refusalText(p); r != "" {
				out = append(out, block{Type: "text", Text: r})
			}
		case p.Type == "image_url" && images && p.ImageURL != nil:
			b, err := imageBlock(t, param, p.ImageURL.URL)
			if err != nil {
				return nil, err
			}
			b.CacheControl = marks.Part(i, j)
			out = append(out, b)
		default:
			return nil, unsupported(t, param()+".type", fmt.Sprintf("content part %q cannot be translated here", p.Type))
		}
	}
	return out, nil
}

// refusalText reads the "refusal" member of a refusal part, which api.ContentPart keeps in Extra.
func refusalText(p api.ContentPart) string {
	var r struct {
		Refusal string `json:"refusal"`
	}
	if len(p.Extra) == 0 || jsonx.Unmarshal(p.Extra, &r) != nil {
		return ""
	}
	return r.Refusal
}

// imageBlock maps an image URL: a data: URL to a base64 source, anything else to a url
// source (https://docs.anthropic.com/en/docs/build-with-claude/vision).
func imageBlock(t *provider.Target, param func() string, u string) (block, error) {
	if mediaType, data, ok := media.ParseDataURL(u); ok {
		return block{Type: "image", Source: &imageSource{Type: "base64", MediaType: mediaType, Data: data}}, nil
	}
	if strings.HasPrefix(u, "data:") {
		return block{}, unsupported(t, param()+".image_url.url", "only base64 data: URLs can be translated")
	}
	return block{Type: "image", Source: &imageSource{Type: "url", URL: u}}, nil
}

// assistantBlocks converts an assistant turn: its thinking blocks, its text, then each tool
// call as a tool_use block whose input is the parsed arguments.
func assistantBlocks(t *provider.Target, i int, m *api.Message) (blocks, error) {
	text, err := contentBlocks(t, i, m.Content, false, nil)
	if err != nil {
		return nil, err
	}
	out := text
	if th := thinkingBlocks(m.ThinkingBlocks); len(th) > 0 {
		out = append(th, text...)
	}
	for k, c := range m.ToolCalls {
		param := fmt.Sprintf("messages[%d].tool_calls[%d]", i, k)
		if c.Type != "" && c.Type != "function" {
			return nil, unsupported(t, param+".type", fmt.Sprintf("tool call type %q cannot be translated", c.Type))
		}
		input, err := toolInput(t, param, c.Function.Arguments)
		if err != nil {
			return nil, err
		}
		out = append(out, block{Type: "tool_use", ID: c.ID, Name: c.Function.Name, Input: input})
	}
	return out, nil
}

// toolInput parses a tool call's arguments: tool_use input must be a JSON object.
func toolInput(t *provider.Target, param, args string) (jsonx.Value, error) {
	if strings.TrimSpace(args) == "" {
		return jsonx.Value("{}"), nil
	}
	var v jsonx.Value
	if err := jsonx.Unmarshal([]byte(args), &v); err != nil || v.Kind() != '{' {
		e := api.Errorf("invalid_request", "%s.function.arguments must be a JSON object to send to provider %q (anthropic)", param, t.Provider)
		e.Param = param + ".function.arguments"
		return nil, e
	}
	_ = v.Compact() // cannot fail on a value that just parsed
	return v, nil
}

// toolResult turns a tool message into a tool_result block; its text and images become the
// block's content.
func toolResult(t *provider.Target, i int, m *api.Message) (blocks, error) {
	if m.ToolCallID == "" {
		e := api.Errorf("invalid_request", "messages[%d].tool_call_id is required for a tool message", i)
		e.Param = fmt.Sprintf("messages[%d].tool_call_id", i)
		return nil, e
	}
	content, err := contentBlocks(t, i, m.Content, true, nil)
	if err != nil {
		return nil, err
	}
	return blocks{{Type: "tool_result", ToolUseID: m.ToolCallID, Content: content}}, nil
}
