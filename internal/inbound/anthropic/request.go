package anthropic

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// ToChatRequest translates a Messages request into the gateway's OpenAI-shaped request. What
// has no OpenAI-shaped equivalent is refused with a 400 naming the member, because dropping
// it would silently change the answer the client gets.
func ToChatRequest(in *MessagesRequest) (*api.ChatRequest, error) {
	if err := refuseExtra(in.Extra); err != nil {
		return nil, err
	}
	switch {
	case in.Model == "":
		return nil, invalid("model", "model is required")
	case in.MaxTokens == nil:
		// Anthropic requires it; accepting its absence would let code work here that fails
		// against the real API.
		return nil, invalid("max_tokens", "max_tokens is required")
	case *in.MaxTokens < 1:
		return nil, invalid("max_tokens", "max_tokens must be at least 1")
	case len(in.Messages) == 0:
		return nil, invalid("messages", "messages must contain at least one message")
	}
	out := &api.ChatRequest{
		Model:       in.Model,
		MaxTokens:   in.MaxTokens,
		Temperature: in.Temperature,
		TopP:        in.TopP,
		Stream:      in.Stream,
		Messages:    make([]api.Message, 0, len(in.Messages)+1),
	}
	var err error
	if out.Thinking, err = thinkingConfig(in.Thinking, *in.MaxTokens); err != nil {
		return nil, err
	}
	if len(in.StopSequences) > 0 {
		out.Stop = api.StringList(in.StopSequences)
	}
	if in.Metadata != nil {
		out.User = in.Metadata.UserID
	}
	if in.Stream {
		// The final message_delta must carry output_tokens, so usage is always requested.
		out.StreamOptions = &api.StreamOptions{IncludeUsage: true}
	}
	if len(in.System) > 0 {
		sys, err := systemContent(in.System)
		if err != nil {
			return nil, err
		}
		out.Messages = append(out.Messages, api.Message{Role: "system", Content: sys})
	}
	for i := range in.Messages {
		var err error
		out.Messages, err = appendMessage(out.Messages, &in.Messages[i], i)
		if err != nil {
			return nil, err
		}
	}
	if err := translateTools(out, in); err != nil {
		return nil, err
	}
	return out, nil
}

// refuseExtra rejects members the translation does not know, naming them in sorted order so
// the message is stable.
func refuseExtra(extra jsonx.Value) error {
	if len(extra) == 0 {
		return nil
	}
	var members map[string]jsonx.Value
	if err := jsonx.Unmarshal(extra, &members); err != nil || len(members) == 0 {
		return nil
	}
	names := make([]string, 0, len(members))
	for k := range members {
		names = append(names, k)
	}
	slices.Sort(names)
	return invalid(names[0], fmt.Sprintf("%s: not supported by this gateway's Messages endpoint (it routes to providers without an equivalent)",
		strings.Join(names, ", ")))
}

// systemContent joins the system prompt's text blocks; other block types are not allowed there.
// Blocks marking a cache breakpoint stay separate parts, so the mark reaches an Anthropic target.
func systemContent(bs Blocks) (api.Content, error) {
	var b strings.Builder
	cached := false
	for i, blk := range bs {
		if blk.Type != "text" {
			return api.Content{}, invalid("system", fmt.Sprintf("system[%d]: only text blocks are allowed, got %q", i, blk.Type))
		}
		cached = cached || len(blk.CacheControl) > 0
	}
	if cached {
		parts := make([]api.ContentPart, len(bs))
		for i := range bs {
			parts[i] = api.ContentPart{Type: "text", Text: bs[i].Text, Extra: cacheExtra(bs[i].CacheControl)}
		}
		return api.PartsContent(parts), nil
	}
	for i, blk := range bs {
		if i > 0 {
			b.WriteString("\n\n")
		}
		b.WriteString(blk.Text)
	}
	return api.TextContent(b.String()), nil
}

// appendMessage translates one Anthropic message, which may become several OpenAI messages:
// tool_result blocks become role "tool" messages placed before the rest of the user turn,
// the order in which Anthropic requires them (results first, then any new text).
func appendMessage(dst []api.Message, m *Message, i int) ([]api.Message, error) {
	switch m.Role {
	case "user":
		return appendUser(dst, m.Content, i)
	case "assistant":
		msg, err := assistantMessage(m.Content, i)
		if err != nil {
			return nil, err
		}
		return append(dst, msg), nil
	default:
		return nil, invalid("messages", fmt.Sprintf("messages[%d].role: must be user or assistant, got %q", i, m.Role))
	}
}

func appendUser(dst []api.Message, bs Blocks, i int) ([]api.Message, error) {
	var parts []api.ContentPart
	results := 0
	for j := range bs {
		blk := &bs[j]
		where := fmt.Sprintf("messages[%d].content[%d]", i, j)
		switch blk.Type {
		case "tool_result":
			msg, err := toolMessage(blk, where)
			if err != nil {
				return nil, err
			}
			dst = append(dst, msg)
			results++
		case "text", "image":
			p, err := contentPart(blk, where)
			if err != nil {
				return nil, err
			}
			parts = append(parts, p)
		default:
			return nil, unsupportedBlock(blk.Type, where)
		}
	}
	if len(parts) > 0 || results == 0 {
		dst = append(dst, api.Message{Role: "user", Content: partsContent(parts)})
	}
	return dst, nil
}

// partsContent keeps a lone text block as a plain string, the form every upstream accepts,
// unless it carries a cache mark.
func partsContent(parts []api.ContentPart) api.Content {
	if len(parts) == 1 && parts[0].Type == "text" && len(parts[0].Extra) == 0 {
		return api.TextContent(parts[0].Text)
	}
	if len(parts) == 0 {
		return api.TextContent("")
	}
	return api.PartsContent(parts)
}

func contentPart(blk *Block, where string) (api.ContentPart, error) {
	p, err := contentPartOf(blk, where)
	p.Extra = cacheExtra(blk.CacheControl)
	return p, err
}

// cacheExtra carries a block's cache_control in a part's or tool's extra members, where the
// Anthropic adapter looks for it; nil when the block has none.
func cacheExtra(cc jsonx.Value) jsonx.Value {
	if len(cc) == 0 {
		return nil
	}
	return jsonx.Value(`{"cache_control":` + string(cc) + `}`)
}

func contentPartOf(blk *Block, where string) (api.ContentPart, error) {
	if blk.Type == "text" {
		return api.ContentPart{Type: "text", Text: blk.Text}, nil
	}
	src := blk.Source
	switch {
	case src == nil:
		return api.ContentPart{}, invalid("messages", where+".source is required")
	case src.Type == "base64" && src.MediaType != "" && src.Data != "":
		// OpenAI carries inline images as data URLs; every outbound adapter decodes them back.
		return api.ContentPart{Type: "image_url", ImageURL: &api.ImageURL{URL: "data:" + src.MediaType + ";base64," + src.Data}}, nil
	case src.Type == "url" && src.URL != "":
		return api.ContentPart{Type: "image_url", ImageURL: &api.ImageURL{URL: src.URL}}, nil
	default:
		return api.ContentPart{}, invalid("messages", fmt.Sprintf("%s.source: want base64 with media_type and data, or url with url (got type %q)", where, src.Type))
	}
}

// toolMessage turns a tool_result into an OpenAI tool message. OpenAI tool messages carry
// text only and have no error flag, so an error result is marked in its text for the model.
func toolMessage(blk *Block, where string) (api.Message, error) {
	if blk.ToolUseID == "" {
		return api.Message{}, invalid("messages", where+".tool_use_id is required")
	}
	var b strings.Builder
	if blk.IsError {
		b.WriteString("Error: ")
	}
	for k, c := range blk.Content {
		if c.Type != "text" {
			return api.Message{}, invalid("messages", fmt.Sprintf("%s.content[%d]: tool results may contain only text here, got %q", where, k, c.Type))
		}
		if k > 0 {
			b.WriteString("\n")
		}
		b.WriteString(c.Text)
	}
	return api.Message{Role: "tool", ToolCallID: blk.ToolUseID, Content: api.TextContent(b.String())}, nil
}

// assistantMessage folds text blocks into content, tool_use blocks into tool_calls and
// thinking blocks, in their order, into thinking_blocks.
func assistantMessage(bs Blocks, i int) (api.Message, error) {
	msg := api.Message{Role: "assistant"}
	var text strings.Builder
	for j := range bs {
		blk := &bs[j]
		where := fmt.Sprintf("messages[%d].content[%d]", i, j)
		switch blk.Type {
		case "text":
			text.WriteString(blk.Text)
		case "tool_use":
			if blk.ID == "" || blk.Name == "" {
				return api.Message{}, invalid("messages", where+": tool_use needs id and name")
			}
			args := "{}"
			if len(blk.Input) > 0 {
				args = string(blk.Input)
			}
			msg.ToolCalls = append(msg.ToolCalls, api.ToolCall{ID: blk.ID, Type: "function",
				Function: api.FunctionCall{Name: blk.Name, Arguments: args}})
		case api.ThinkingBlockThinking, api.ThinkingBlockRedacted:
			tb, err := thinkingBlock(blk, where)
			if err != nil {
				return api.Message{}, err
			}
			msg.ThinkingBlocks = append(msg.ThinkingBlocks, tb)
		default:
			return api.Message{}, unsupportedBlock(blk.Type, where)
		}
	}
	// OpenAI wants null content beside tool calls when there is no text.
	if text.Len() > 0 || len(msg.ToolCalls) == 0 {
		msg.Content = api.TextContent(text.String())
	}
	return msg, nil
}

func unsupportedBlock(typ, where string) error {
	return invalid("messages", fmt.Sprintf("%s: content block type %q is not supported by this gateway (text, image, tool_use, tool_result and, from the assistant, thinking and redacted_thinking are)", where, typ))
}

// translateTools maps client tools to functions and tool_choice to OpenAI's forms.
func translateTools(out *api.ChatRequest, in *MessagesRequest) error {
	for i, t := range in.Tools {
		if t.Type != "" && t.Type != "custom" {
			return invalid("tools", fmt.Sprintf("tools[%d]: server tool %q is not supported by this gateway; only client tools are", i, t.Type))
		}
		if t.Name == "" {
			return invalid("tools", fmt.Sprintf("tools[%d].name is required", i))
		}
		out.Tools = append(out.Tools, api.Tool{Type: "function", Function: &api.FunctionDef{
			Name: t.Name, Description: t.Description, Parameters: t.InputSchema}, Extra: cacheExtra(t.CacheControl)})
	}
	tc := in.ToolChoice
	if tc == nil {
		return nil
	}
	var choice string
	switch tc.Type {
	case "auto":
		choice = `"auto"`
	case "any":
		choice = `"required"`
	case "none":
		choice = `"none"`
	case "tool":
		if tc.Name == "" {
			return invalid("tool_choice", `tool_choice.name is required with type "tool"`)
		}
		name, err := jsonx.Marshal(tc.Name)
		if err != nil {
			return fmt.Errorf("anthropic: encode tool name: %w", err)
		}
		choice = `{"type":"function","function":{"name":` + string(name) + `}}`
	default:
		return invalid("tool_choice", fmt.Sprintf("tool_choice.type: must be auto, any, tool or none, got %q", tc.Type))
	}
	out.ToolChoice = jsonx.Value(choice)
	if tc.DisableParallelToolUse {
		f := false
		out.ParallelToolCalls = &f
	}
	return nil
}

func invalid(param, msg string) *api.Error {
	e := api.Errorf("invalid_request", "%s", msg)
	e.Param = param
	return e
}
