package gateway

import (
	"sync"

	"github.com/tiktoken-go/tokenizer"

	"github.com/sluicehq/sluice/internal/api"
)

// The count-tokens endpoints (Gemini's :countTokens, Anthropic's /v1/messages/count_tokens)
// answer without calling a provider: a route may lead to any of several, and a count must not
// cost a request. The figure is an o200k_base estimate of the translated prompt. It is one
// small function so that a shared token counter can replace it.

// OpenAI's chat format adds a few tokens of framing per message and for the reply's priming.
const (
	framingPerMessage = 3
	framingReply      = 3
)

// o200k loads the vocabulary on first use: it costs tens of milliseconds and most processes
// never count.
var o200k = sync.OnceValues(func() (tokenizer.Codec, error) { return tokenizer.Get(tokenizer.O200kBase) })

// countPromptTokens estimates the prompt tokens of req: messages, tool calls and tool
// declarations. Images count nothing; their cost follows each provider's own sizing rules.
func countPromptTokens(req *api.ChatRequest) int {
	n := framingReply
	for i := range req.Messages {
		m := &req.Messages[i]
		n += framingPerMessage + countText(m.Role)
		if m.Content.IsArray() {
			for _, p := range m.Content.Parts {
				n += countText(p.Text)
			}
		} else {
			n += countText(m.Content.Text)
		}
		for _, tc := range m.ToolCalls {
			n += countText(tc.Function.Name) + countText(tc.Function.Arguments)
		}
	}
	for _, t := range req.Tools {
		if t.Function != nil {
			n += countText(t.Function.Name) + countText(t.Function.Description) + countText(string(t.Function.Parameters))
		}
	}
	return n
}

// countText falls back to four characters per token should the embedded vocabulary fail to
// load, which it cannot in a correct build.
func countText(s string) int {
	if s == "" {
		return 0
	}
	c, err := o200k()
	if err != nil {
		return (len(s) + 3) / 4
	}
	n, err := c.Count(s)
	if err != nil {
		return (len(s) + 3) / 4
	}
	return n
}
