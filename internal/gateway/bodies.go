package gateway

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/store"
)

// The request log can keep a request's prompt and answer (logging.bodies, overridden by a
// team's log_bodies metadata or a key's log_bodies tag). The request path only decides the
// mode and keeps references to what it already holds; encoding, redaction and truncation run
// in store.RequestBodies.Capture on the request log's writer goroutine.

// defaultMaxLoggedBody bounds a kept body when WithBodyLogging gave no limit.
const defaultMaxLoggedBody = 64 << 10

// bodyLogging is the organization's body policy.
type bodyLogging struct {
	mode     string // store.BodiesOff, BodiesMetadata or BodiesFull; "" is off
	maxBytes int
}

// WithBodyLogging keeps request and response bodies in the request log: mode is the default
// (off, metadata or full) that team metadata and key tags override, maxBytes bounds each body.
func WithBodyLogging(mode string, maxBytes int) Option {
	return func(g *Gateway) {
		if maxBytes <= 0 {
			maxBytes = defaultMaxLoggedBody
		}
		g.bodyLog = bodyLogging{mode: mode, maxBytes: maxBytes}
	}
}

// bodyMode resolves the mode for a caller. A value that is not a mode keeps nothing: a
// mistyped policy must not keep more than its author meant.
func (b *bodyLogging) bodyMode(p *auth.Principal) string {
	m := p.LogBodies()
	if m == "" {
		m = b.mode
	}
	switch m {
	case store.BodiesMetadata, store.BodiesFull:
		return m
	}
	return store.BodiesOff
}

// capturedCall is what the writer needs of a call to build its bodies; it holds references
// the request no longer uses, plus a copy of a stream's text, whose buffer goes back to a pool.
type capturedCall struct {
	req      *api.ChatRequest
	resp     *api.ChatResponse
	stream   bool
	streamed string // the stream's assembled text (full mode only)
	total    int    // bytes the stream delivered
	maxBytes int
}

// bodies returns the call's bodies for its log record, to be captured by the writer; nil when
// none are kept or the endpoint has no chat request.
func (g *Gateway) bodies(p *auth.Principal, c *call) *store.RequestBodies {
	mode := g.bodyLog.bodyMode(p)
	if mode == store.BodiesOff || c.req == nil {
		return nil
	}
	limit := g.bodyLog.maxBytes
	if limit <= 0 {
		limit = defaultMaxLoggedBody
	}
	cc := &capturedCall{req: c.req, resp: c.resp, stream: c.stream, total: c.text.total, maxBytes: limit}
	if mode == store.BodiesFull && c.text.buf != nil {
		kept := *c.text.buf
		cc.streamed = string(kept[:min(len(kept), limit)])
	}
	b := &store.RequestBodies{Mode: mode}
	if mode == store.BodiesFull {
		b.Capture = cc.full
	} else {
		b.Capture = cc.metadata
	}
	return b
}

// full fills b with the request and answer JSON, redacted, then cut to maxBytes. Redaction
// comes first so that a cut never leaves half a secret.
func (cc *capturedCall) full(b *store.RequestBodies) {
	var red guardrail.Scrubber // one numbering for prompt and answer
	req, err := jsonx.Marshal(cc.req)
	if err != nil {
		req = []byte(`{"error":"the request could not be encoded"}`)
	}
	var resp []byte
	switch {
	case cc.resp != nil:
		if resp, err = jsonx.Marshal(cc.resp); err != nil {
			resp = []byte(`{"error":"the response could not be encoded"}`)
		}
	case cc.stream && cc.total > 0:
		resp, _ = jsonx.Marshal(streamedAnswer{Text: strings.ToValidUTF8(cc.streamed, ""), Bytes: cc.total,
			Kept: len(cc.streamed)})
	}
	var cutReq, cutResp bool
	b.Request, cutReq = truncateBody(string(redactJSON(&red, req)), cc.maxBytes)
	b.Response, cutResp = truncateBody(string(redactJSON(&red, resp)), cc.maxBytes)
	b.Truncated = cutReq || cutResp || len(cc.streamed) < cc.total
}

// streamedAnswer is the kept form of a streamed answer: its text and tool-call arguments in
// the order they arrived, and how much of it was kept.
type streamedAnswer struct {
	Text  string `json:"streamed_text"`
	Bytes int    `json:"streamed_bytes"`
	Kept  int    `json:"kept_bytes"`
}

// truncateBody cuts s to at most max bytes, at a character boundary, with a marker saying how
// much was left out.
func truncateBody(s string, limit int) (string, bool) {
	if len(s) <= limit {
		return s, false
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…[truncated " + strconv.Itoa(len(s)-cut) + " bytes]", true
}

// redactJSON returns doc with PII and secrets redacted inside every JSON string. Strings are
// redacted decoded, so an escape ("\n" before a key, "\u0040" in an address) cannot hide a
// value from the scanners, and re-encoded only when they changed. doc is valid JSON (the
// gateway encoded it), so a string ends at the first quote not escaped.
func redactJSON(red *guardrail.Scrubber, doc []byte) []byte {
	var out []byte // nil until the first change
	text := string(doc)
	last := 0
	for i := 0; i < len(doc); i++ {
		if doc[i] != '"' {
			continue
		}
		end, escaped := i+1, false
		for end < len(doc) && doc[end] != '"' {
			if doc[end] == '\\' {
				escaped = true
				end++
			}
			end++
		}
		if end >= len(doc) {
			break
		}
		val := text[i+1 : end] // a view: scanning needs no copy
		if escaped && jsonx.Unmarshal(doc[i:end+1], &val) != nil {
			i = end
			continue
		}
		if red2 := red.Redact(val); red2 != val {
			enc, err := jsonx.Marshal(red2)
			if err == nil {
				out = append(append(out, doc[last:i]...), enc...)
				last = end + 1
			}
		}
		i = end
	}
	if out == nil {
		return doc
	}
	return append(out, doc[last:]...)
}

// metadata fills b with the shape of the request and answer: counts, roles, sizes and tool
// names, never their text.
func (cc *capturedCall) metadata(b *store.RequestBodies) {
	req := requestShape{Model: cc.req.Model, Messages: len(cc.req.Messages), Roles: map[string]int{}, Stream: cc.stream}
	for i := range cc.req.Messages {
		m := &cc.req.Messages[i]
		req.Roles[m.Role]++
		req.ContentBytes += contentBytes(m.Content)
		for _, tc := range m.ToolCalls {
			req.ToolCalls = append(req.ToolCalls, tc.Function.Name)
		}
	}
	for _, t := range cc.req.Tools {
		if t.Function != nil {
			req.Tools = append(req.Tools, t.Function.Name)
		}
	}
	enc, _ := jsonx.Marshal(req)
	b.Request = string(enc)
	var resp responseShape
	switch {
	case cc.resp != nil:
		resp.Choices = len(cc.resp.Choices)
		for i := range cc.resp.Choices {
			ch := &cc.resp.Choices[i]
			resp.FinishReasons = append(resp.FinishReasons, ch.FinishReason)
			resp.ContentBytes += contentBytes(ch.Message.Content)
			for _, tc := range ch.Message.ToolCalls {
				resp.ToolCalls = append(resp.ToolCalls, tc.Function.Name)
			}
		}
	case cc.stream && cc.total > 0:
		resp.ContentBytes = cc.total
	default:
		return // no answer
	}
	enc, _ = jsonx.Marshal(resp)
	b.Response = string(enc)
}

// requestShape and responseShape are the metadata mode's bodies.
type requestShape struct {
	Model        string         `json:"model"`
	Messages     int            `json:"messages"`
	Roles        map[string]int `json:"roles"`
	ContentBytes int            `json:"content_bytes"`
	Tools        []string       `json:"tools,omitempty"`
	ToolCalls    []string       `json:"tool_calls,omitempty"`
	Stream       bool           `json:"stream,omitzero"`
}

type responseShape struct {
	Choices       int      `json:"choices,omitzero"`
	FinishReasons []string `json:"finish_reasons,omitempty"`
	ContentBytes  int      `json:"content_bytes"`
	ToolCalls     []string `json:"tool_calls,omitempty"`
}

// contentBytes is the size of a message's text, string or parts.
func contentBytes(c api.Content) int {
	if c.Parts == nil {
		return len(c.Text)
	}
	n := 0
	for _, p := range c.Parts {
		n += len(p.Text)
	}
	return n
}
