package api

import (
	"bytes"
	"context"

	"github.com/sluicehq/sluice/internal/jsonx"
)

// CacheMarks are the prompt-cache breakpoints a client set (Anthropic's cache_control), by
// position in a ChatRequest. They travel in the request's context rather than in the request,
// so that only the adapter that understands them ever sees them: an OpenAI-compatible upstream
// may reject the unknown member.
type CacheMarks struct {
	Parts map[PartPos]jsonx.Value
	Tools map[int]jsonx.Value
}

// PartPos is a content part's position: Messages[Message].Content.Parts[Part].
type PartPos struct{ Message, Part int }

type cacheMarksKey struct{}

// TakeCacheMarks moves the cache_control members out of req's content parts and tools and
// returns them, or nil when there are none.
func TakeCacheMarks(req *ChatRequest) *CacheMarks {
	var m *CacheMarks
	for i := range req.Messages {
		parts := req.Messages[i].Content.Parts
		for j := range parts {
			if cc := takeCacheControl(&parts[j].Extra); cc != nil {
				if m == nil {
					m = &CacheMarks{}
				}
				if m.Parts == nil {
					m.Parts = map[PartPos]jsonx.Value{}
				}
				m.Parts[PartPos{i, j}] = cc
			}
		}
	}
	for i := range req.Tools {
		if cc := takeCacheControl(&req.Tools[i].Extra); cc != nil {
			if m == nil {
				m = &CacheMarks{}
			}
			if m.Tools == nil {
				m.Tools = map[int]jsonx.Value{}
			}
			m.Tools[i] = cc
		}
	}
	return m
}

// takeCacheControl removes cache_control from extra when it is the only member, the form the
// Anthropic inbound translation writes; anything else is left alone.
func takeCacheControl(extra *jsonx.Value) jsonx.Value {
	if len(*extra) == 0 || !bytes.Contains(*extra, []byte(`"cache_control"`)) {
		return nil
	}
	var only map[string]jsonx.Value
	if jsonx.Unmarshal(*extra, &only) != nil || len(only) != 1 || only["cache_control"] == nil {
		return nil
	}
	*extra = nil
	return only["cache_control"]
}

// WithCacheMarks returns ctx carrying m; nil m returns ctx.
func WithCacheMarks(ctx context.Context, m *CacheMarks) context.Context {
	if m == nil {
		return ctx
	}
	return context.WithValue(ctx, cacheMarksKey{}, m)
}

// CacheMarksFrom returns the marks in ctx, or nil.
func CacheMarksFrom(ctx context.Context) *CacheMarks {
	m, _ := ctx.Value(cacheMarksKey{}).(*CacheMarks)
	return m
}

// Part returns the mark of part j of message i, or nil. It is safe on a nil receiver.
func (m *CacheMarks) Part(i, j int) jsonx.Value {
	if m == nil {
		return nil
	}
	return m.Parts[PartPos{i, j}]
}

// Tool returns the mark of tool i, or nil. It is safe on a nil receiver.
func (m *CacheMarks) Tool(i int) jsonx.Value {
	if m == nil {
		return nil
	}
	return m.Tools[i]
}
