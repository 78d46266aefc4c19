package guardrail

import (
	"slices"
	"strconv"
	"strings"
)

// Redactor replaces matches with typed, numbered placeholders and remembers them, so that one
// value gets the same placeholder everywhere in a request ([EMAIL_1] in the system prompt and
// in the last message alike) and the answer can have them restored. One per request; not safe
// for concurrent use.
type Redactor struct {
	counts  map[string]int
	byValue map[string]string // original -> placeholder
	byLabel map[string]string // placeholder -> original
}

// Apply returns s with the spans of fs replaced. fs is sorted in place; of overlapping spans
// the earliest (then longest) wins.
func (r *Redactor) Apply(s string, fs []Finding) string {
	if len(fs) == 0 {
		return s
	}
	slices.SortFunc(fs, func(a, b Finding) int {
		if a.Start != b.Start {
			return a.Start - b.Start
		}
		return b.End - a.End
	})
	var b strings.Builder
	b.Grow(len(s))
	pos := 0
	for _, f := range fs {
		if f.Start < pos || f.End > len(s) {
			continue
		}
		b.WriteString(s[pos:f.Start])
		b.WriteString(r.placeholder(f.Type, s[f.Start:f.End]))
		pos = f.End
	}
	b.WriteString(s[pos:])
	return b.String()
}

func (r *Redactor) placeholder(typ, value string) string {
	if p, ok := r.byValue[value]; ok {
		return p
	}
	if r.counts == nil {
		r.counts, r.byValue, r.byLabel = map[string]int{}, map[string]string{}, map[string]string{}
	}
	r.counts[typ]++
	p := "[" + typ + "_" + strconv.Itoa(r.counts[typ]) + "]"
	value = strings.Clone(value) // s may be a view of a buffer that is reused
	r.byValue[value], r.byLabel[p] = p, value
	return p
}

// Len is the number of distinct values redacted.
func (r *Redactor) Len() int { return len(r.byLabel) }

// Restore puts redacted values back where the text repeats their placeholders.
func (r *Redactor) Restore(s string) string {
	if len(r.byLabel) == 0 || strings.IndexByte(s, '[') < 0 {
		return s
	}
	var b strings.Builder
	pos := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '[' {
			continue
		}
		j := strings.IndexByte(s[i:min(len(s), i+maxPlaceholder)], ']')
		if j < 0 {
			continue
		}
		if v, ok := r.byLabel[s[i:i+j+1]]; ok {
			if b.Len() == 0 {
				b.Grow(len(s))
			}
			b.WriteString(s[pos:i])
			b.WriteString(v)
			pos = i + j + 1
			i = pos - 1
		}
	}
	if pos == 0 {
		return s
	}
	b.WriteString(s[pos:])
	return b.String()
}

// maxPlaceholder bounds a placeholder's length: a 32-byte label, '_', a count and brackets.
const maxPlaceholder = 48
