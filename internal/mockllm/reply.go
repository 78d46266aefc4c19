package mockllm

import (
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxReplyBytes bounds the reply knob.
const maxReplyBytes = 64 << 10

// parseReply reads the reply knob: the exact text to answer with, percent-encoded so it fits
// in a directive ("%20" is a space). It lets a test stream known text, such as a value a
// gateway's output filter must catch.
func parseReply(v string) (string, error) {
	s, err := url.PathUnescape(v)
	if err != nil {
		return "", fmt.Errorf("reply must be percent-encoded text: %w", err)
	}
	if len(s) > maxReplyBytes || !utf8.ValidString(s) {
		return "", fmt.Errorf("reply must be valid UTF-8 of at most %d bytes", maxReplyBytes)
	}
	return s, nil
}

// applyReply replaces every text choice's tokens with the reply knob's text, split into
// ChunkBytes-byte pieces (never inside a UTF-8 sequence) or, by default, at spaces like the
// generated replies. chunk_bytes=1 streams one byte per chunk: a split at every boundary.
func (b *behavior) applyReply(plans []choicePlan) {
	if b.Reply == "" {
		return
	}
	pieces := splitReply(b.Reply, b.ChunkBytes)
	for i := range plans {
		p := &plans[i]
		if len(p.calls) > 0 {
			continue
		}
		p.pieces, p.finish, p.tokens = pieces, "stop", len(pieces)
	}
}

func splitReply(s string, size int) []string {
	if size <= 0 {
		var out []string
		for s != "" {
			i := strings.IndexByte(s[1:], ' ')
			if i < 0 {
				return append(out, s)
			}
			out = append(out, s[:i+1])
			s = s[i+1:]
		}
		return out
	}
	out := make([]string, 0, len(s)/size+1)
	for s != "" {
		n := min(size, len(s))
		for n < len(s) && !utf8.RuneStart(s[n]) {
			n++
		}
		out = append(out, s[:n])
		s = s[n:]
	}
	return out
}
