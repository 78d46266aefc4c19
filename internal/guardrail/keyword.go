package guardrail

import "strings"

// phraseSet finds case-insensitive phrases in one pass: a table indexed by the first byte
// says which phrases may start there, so most bytes cost one lookup. A phrase whose edge is a
// word character matches only at a word boundary ("ssn" does not match inside "lessons").
type phraseSet struct {
	first   [256][]int32
	phrases []string // lower case
}

func newPhraseSet(phrases []string) *phraseSet {
	p := &phraseSet{}
	for _, ph := range phrases {
		ph = strings.ToLower(strings.TrimSpace(ph))
		if ph == "" {
			continue
		}
		idx := int32(len(p.phrases))
		p.phrases = append(p.phrases, ph)
		c := ph[0]
		p.first[c] = append(p.first[c], idx)
		if isLower(c) {
			u := c - 'a' + 'A'
			p.first[u] = append(p.first[u], idx)
		}
	}
	return p
}

// scan calls fn for each match, left to right; matches may overlap.
func (p *phraseSet) scan(s string, fn func(idx, start, end int)) {
	prevWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		cands := p.first[c]
		// A phrase starting with a word character can only start a word: skipping the inside
		// of words skips most candidate positions of prose.
		word := isWordByte(c)
		inside := word && prevWord
		prevWord = word
		if len(cands) == 0 || inside {
			continue
		}
		for _, idx := range cands {
			ph := p.phrases[idx]
			if !hasPrefixFold(s[i:], ph) {
				continue
			}
			end := i + len(ph)
			if isWordByte(ph[0]) && !wordStart(s, i) || isWordByte(ph[len(ph)-1]) && !wordEnd(s, end) {
				continue
			}
			fn(int(idx), i, end)
		}
	}
}

// TypeKeyword is the finding type of keyword checks.
const TypeKeyword = "KEYWORD"

func keywordDetector(words []string, typ string) detector {
	set := newPhraseSet(words)
	return func(s string, dst []Finding) []Finding {
		set.scan(s, func(_, start, end int) {
			dst = append(dst, Finding{Type: typ, Start: start, End: end})
		})
		return dst
	}
}
