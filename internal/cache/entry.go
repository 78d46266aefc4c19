package cache

import (
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/jsonx"
)

// Entry is a cached answer and what it cost when a provider produced it.
type Entry struct {
	Response *api.ChatResponse `json:"response"`
	// Provider and Model name the provider account and upstream model that produced the answer.
	Provider string `json:"provider"`
	Model    string `json:"model"`
	// CostMicroUSD is the provider cost of producing the answer: what every hit saves.
	CostMicroUSD int64 `json:"cost_micro_usd,omitzero"`
}

// Encode returns the stored form of e.
func (e *Entry) Encode() ([]byte, error) {
	b, err := jsonx.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("cache: encode entry: %w", err)
	}
	return b, nil
}

// DecodeEntry reads an entry's stored form.
func DecodeEntry(b []byte) (*Entry, error) {
	var e Entry
	if err := jsonx.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("cache: decode entry: %w", err)
	}
	if e.Response == nil {
		return nil, fmt.Errorf("cache: decode entry: no response")
	}
	return &e, nil
}

// Collector assembles a streamed answer into the ChatResponse a non-streaming request would
// have received, so a stream can fill the cache. Chunks it cannot represent (log
// probabilities) or an answer above its size bound make it give up: Response then returns nil.
type Collector struct {
	resp     api.ChatResponse
	choices  []collected
	size     int
	maxBytes int
	failed   bool
}

type collected struct {
	role, finish string
	content      strings.Builder
	refusal      strings.Builder
	hasContent   bool
	hasRefusal   bool
	tools        []api.ToolCall
	reasoning    strings.Builder
	thinking     []api.ThinkingBlock
}

// NewCollector returns a collector that gives up past maxBytes of content and arguments.
func NewCollector(maxBytes int) *Collector { return &Collector{maxBytes: maxBytes} }

// Add takes one chunk; the stream may reuse it afterwards.
func (c *Collector) Add(ch *api.ChatChunk) {
	if c.failed {
		return
	}
	if c.resp.ID == "" {
		c.resp.ID, c.resp.Created, c.resp.Model = ch.ID, ch.Created, ch.Model
		c.resp.SystemFingerprint, c.resp.ServiceTier = ch.SystemFingerprint, ch.ServiceTier
	}
	if ch.Usage != nil {
		u := *ch.Usage
		c.resp.Usage = &u
	}
	for i := range ch.Choices {
		cc := &ch.Choices[i]
		if len(cc.Logprobs) > 0 && string(cc.Logprobs) != "null" || cc.Index < 0 || cc.Index > 127 {
			c.failed = true
			return
		}
		for len(c.choices) <= cc.Index {
			c.choices = append(c.choices, collected{})
		}
		c.addDelta(&c.choices[cc.Index], cc)
	}
	if c.size > c.maxBytes {
		c.failed = true
	}
}

func (c *Collector) addDelta(dst *collected, cc *api.ChunkChoice) {
	d := &cc.Delta
	if d.Role != "" {
		dst.role = d.Role
	}
	if d.Content != nil {
		dst.hasContent = true
		dst.content.WriteString(*d.Content)
		c.size += len(*d.Content)
	}
	if d.Refusal != nil {
		dst.hasRefusal = true
		dst.refusal.WriteString(*d.Refusal)
		c.size += len(*d.Refusal)
	}
	dst.reasoning.WriteString(d.ReasoningContent)
	c.size += len(d.ReasoningContent)
	for i := range d.ThinkingBlocks {
		c.size += dst.addThinking(&d.ThinkingBlocks[i])
	}
	for _, tc := range d.ToolCalls {
		idx := len(dst.tools)
		if tc.Index != nil {
			idx = *tc.Index
		}
		if idx < 0 || idx > 127 {
			c.failed = true
			return
		}
		for len(dst.tools) <= idx {
			dst.tools = append(dst.tools, api.ToolCall{})
		}
		t := &dst.tools[idx]
		if tc.ID != "" {
			t.ID = tc.ID
		}
		if tc.Type != "" {
			t.Type = tc.Type
		}
		t.Function.Name += tc.Function.Name
		t.Function.Arguments += tc.Function.Arguments
		c.size += len(tc.Function.Name) + len(tc.Function.Arguments) + len(tc.ID)
	}
	if cc.FinishReason != nil {
		dst.finish = *cc.FinishReason
	}
}

// addThinking joins a thinking fragment to the block it continues: the last one, unless that
// is redacted or already signed (a signature ends its block). It returns the bytes added.
func (dst *collected) addThinking(tb *api.ThinkingBlock) int {
	n := len(dst.thinking)
	if tb.Type != api.ThinkingBlockThinking || n == 0 || dst.thinking[n-1].Type != api.ThinkingBlockThinking || dst.thinking[n-1].Signature != "" {
		dst.thinking = append(dst.thinking, *tb)
	} else {
		last := &dst.thinking[n-1]
		last.Thinking += tb.Thinking
		last.Signature = tb.Signature
	}
	return len(tb.Thinking) + len(tb.Signature) + len(tb.Data)
}

// Response returns the assembled answer, or nil when the stream cannot be cached: the
// collector gave up, or a choice never finished.
func (c *Collector) Response() *api.ChatResponse {
	if c.failed || len(c.choices) == 0 {
		return nil
	}
	resp := c.resp
	resp.Object = "chat.completion"
	resp.Choices = make([]api.Choice, len(c.choices))
	for i := range c.choices {
		src := &c.choices[i]
		if src.finish == "" {
			return nil
		}
		m := api.Message{Role: src.role, ToolCalls: src.tools, ReasoningContent: src.reasoning.String(), ThinkingBlocks: src.thinking}
		for j := range m.ToolCalls {
			if m.ToolCalls[j].Type == "" {
				m.ToolCalls[j].Type = "function"
			}
		}
		if m.Role == "" {
			m.Role = "assistant"
		}
		if src.hasContent {
			m.Content = api.TextContent(src.content.String())
		}
		if src.hasRefusal {
			s := src.refusal.String()
			m.Refusal = &s
		}
		resp.Choices[i] = api.Choice{Index: i, Message: m, FinishReason: src.finish}
	}
	return &resp
}

// Replay turns a cached answer into the chunks of a stream: per choice, the role, the thinking
// (one chunk of whole blocks), the content (one chunk), the tool calls (one chunk), the finish
// reason; then, when withUsage, the usage
// chunk. emit must not keep the chunk.
func Replay(resp *api.ChatResponse, withUsage bool, emit func(*api.ChatChunk) error) error {
	ch := api.ChatChunk{ID: resp.ID, Object: "chat.completion.chunk", Created: resp.Created, Model: resp.Model,
		SystemFingerprint: resp.SystemFingerprint, ServiceTier: resp.ServiceTier}
	send := func(index int, d api.Delta, finish *string) error {
		ch.Choices = []api.ChunkChoice{{Index: index, Delta: d, FinishReason: finish}}
		return emit(&ch)
	}
	for i := range resp.Choices {
		c := &resp.Choices[i]
		m := &c.Message
		empty := ""
		if err := send(c.Index, api.Delta{Role: m.Role, Content: &empty}, nil); err != nil {
			return err
		}
		if m.ReasoningContent != "" || len(m.ThinkingBlocks) > 0 {
			if err := send(c.Index, api.Delta{ReasoningContent: m.ReasoningContent, ThinkingBlocks: m.ThinkingBlocks}, nil); err != nil {
				return err
			}
		}
		if text := m.Content.String(); text != "" {
			if err := send(c.Index, api.Delta{Content: &text}, nil); err != nil {
				return err
			}
		}
		if m.Refusal != nil {
			if err := send(c.Index, api.Delta{Refusal: m.Refusal}, nil); err != nil {
				return err
			}
		}
		if len(m.ToolCalls) > 0 {
			calls := make([]api.ToolCall, len(m.ToolCalls))
			for j, tc := range m.ToolCalls {
				idx := j
				calls[j] = api.ToolCall{Index: &idx, ID: tc.ID, Type: tc.Type, Function: tc.Function}
			}
			if err := send(c.Index, api.Delta{ToolCalls: calls}, nil); err != nil {
				return err
			}
		}
		finish := c.FinishReason
		if err := send(c.Index, api.Delta{}, &finish); err != nil {
			return err
		}
	}
	if withUsage && resp.Usage != nil {
		ch.Choices = []api.ChunkChoice{}
		ch.Usage = resp.Usage
		return emit(&ch)
	}
	return nil
}
