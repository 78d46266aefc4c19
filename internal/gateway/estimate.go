package gateway

import (
	"net/http"
	"sync"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/tokens"
)

// Usage the provider did not report — a self-hosted server that sends none, a stream cut or
// abandoned before its usage chunk — is estimated with the o200k tokenizer from the request and
// the text that was delivered, and the log marks it as estimated. Cost is then computed from
// the estimate: an approximate figure is more useful to a budget than a silent zero.

// maxEstimateText bounds the streamed text a request keeps for an estimate. Beyond it only the
// byte count grows, and the token count is scaled from the kept part, so memory per stream
// stays bounded however long the answer.
const maxEstimateText = 64 << 10

var estimateBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 2048); return &b }}

// streamedText is what a stream has delivered so far, for an estimate.
type streamedText struct {
	buf   *[]byte // pooled; nil until the first text arrives
	total int     // bytes delivered, kept or not
}

func (s *streamedText) add(text string) {
	if text == "" {
		return
	}
	s.total += len(text)
	if s.buf == nil {
		s.buf = estimateBufPool.Get().(*[]byte)
		*s.buf = (*s.buf)[:0]
	}
	if room := maxEstimateText - len(*s.buf); room > 0 {
		*s.buf = append(*s.buf, text[:min(room, len(text))]...)
	}
}

// addChunk keeps a chunk's content, thinking and tool-call arguments: thinking is billed as
// output.
func (s *streamedText) addChunk(chunk *api.ChatChunk) {
	for i := range chunk.Choices {
		d := &chunk.Choices[i].Delta
		s.add(thinkingText(d.ReasoningContent, d.ThinkingBlocks))
		if d.Content != nil {
			s.add(*d.Content)
		}
		if d.Refusal != nil {
			s.add(*d.Refusal)
		}
		for j := range d.ToolCalls {
			s.add(d.ToolCalls[j].Function.Arguments)
		}
	}
}

// tokens counts the kept text and scales the count to every byte delivered.
func (s *streamedText) tokens() int {
	if s.buf == nil || len(*s.buf) == 0 {
		return 0
	}
	n := tokens.Text(string(*s.buf))
	if kept := len(*s.buf); s.total > kept {
		n = int(int64(n) * int64(s.total) / int64(kept))
	}
	return n
}

// release returns the kept text to the pool once the record is written.
func (s *streamedText) release() {
	if s.buf != nil && cap(*s.buf) <= maxEstimateText {
		estimateBufPool.Put(s.buf)
	}
	s.buf = nil
}

// estimateUsage fills in the call's usage when a provider answered without reporting any.
// Nothing is estimated for a request no provider answered: nothing was generated.
func estimateUsage(w http.ResponseWriter, c *call) {
	if c.usage != nil || c.req == nil || (c.resp == nil && !c.answered) {
		return
	}
	// Counting takes about 0.1 ms per KB: let a buffered response reach the client first.
	_ = http.NewResponseController(w).Flush()
	completion := c.text.tokens()
	if c.resp != nil {
		for i := range c.resp.Choices {
			m := &c.resp.Choices[i].Message
			completion += tokens.Text(m.Content.String()) + tokens.Text(thinkingText(m.ReasoningContent, m.ThinkingBlocks))
			if m.Refusal != nil {
				completion += tokens.Text(*m.Refusal)
			}
			for j := range m.ToolCalls {
				completion += tokens.Text(m.ToolCalls[j].Function.Name) + tokens.Text(m.ToolCalls[j].Function.Arguments)
			}
		}
	}
	prompt := tokens.Prompt(c.req)
	c.usage = &api.Usage{PromptTokens: prompt, CompletionTokens: completion, TotalTokens: prompt + completion}
	c.estimated = true
}

// thinkingText is the thinking text of a message or delta: reasoning_content, which repeats
// the blocks' text, or else the blocks' text.
func thinkingText(reasoning string, blocks []api.ThinkingBlock) string {
	if reasoning != "" || len(blocks) == 0 {
		return reasoning
	}
	return api.ThinkingText(blocks)
}
