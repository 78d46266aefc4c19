package responses

import "github.com/sluicehq/sluice/internal/api"

// ChatView is the chat-shaped view of a request that goes to a provider natively: what
// ToChatRequest would make of it once what only the Responses API carries (built-in tools and
// their items, files, reasoning settings, unknown members) is left out. The gateway's policies
// — rate limits, budgets, routing rules — read it; no provider is sent it.
func ChatView(in *Request, conversation Items) (*api.ChatRequest, error) {
	v := *in
	v.Extra, v.Reasoning = nil, nil
	v.Tools = make([]Tool, 0, len(in.Tools))
	for _, t := range in.Tools {
		if t.Type == "function" && t.Name != "" {
			v.Tools = append(v.Tools, t)
		}
	}
	if len(v.ToolChoice) > 0 && v.ToolChoice[0] == '{' {
		v.ToolChoice = nil // may name a built-in tool
	}
	if v.Text != nil && v.Text.Format != nil {
		switch v.Text.Format.Type {
		case "text", "json_object", "json_schema":
		default:
			v.Text = nil
		}
	}
	conv := make(Items, 0, len(conversation))
	for _, it := range conversation {
		switch it.Type {
		case "", "message":
			parts := make(Parts, 0, len(it.Content))
			for _, p := range it.Content {
				switch {
				case p.Type == "input_text", p.Type == "output_text", p.Type == "refusal",
					p.Type == "input_image" && p.ImageURL != "":
					parts = append(parts, p)
				}
			}
			it.Content = parts
			conv = append(conv, it)
		case "function_call", "function_call_output":
			conv = append(conv, it)
		}
	}
	if len(conv) == 0 && len(conversation) > 0 {
		conv = Items{{Type: "message", Role: "user", Content: Parts{{Type: "input_text"}}}}
	}
	return ToChatRequest(&v, conv)
}
