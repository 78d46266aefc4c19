package mockllm

import (
	"encoding/binary"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Everything in this file is a pure function of its inputs: the same request always yields the same
// text, tool arguments, vectors and token counts, whatever wire format renders them.

// words is the vocabulary of generated replies. One completion token is one word, with a leading
// space for every token but the first, so a reply of n tokens has exactly n stream deltas.
var words = [...]string{
	"the", "quick", "brown", "fox", "jumps", "over", "lazy", "dog", "river", "stone",
	"light", "cloud", "gate", "flows", "water", "bridge", "signal", "token", "model", "answer",
	"steady", "bright", "calm", "north", "south", "east", "west", "field", "paper", "garden",
	"window", "market", "silver", "orange", "purple", "green", "yellow", "little", "great", "small",
	"under", "after", "before", "again", "always", "never", "maybe", "often", "quietly", "swiftly",
	"and", "or", "but", "so", "with", "from", "into", "about", "through", "across",
	"mock", "sluice", "reply", "echo",
}

// hasher is 64-bit FNV-1a, fed field by field so that re-encoding a request (key order,
// whitespace) does not change the reply: only the values that matter are hashed.
type hasher uint64

func newHasher() hasher { return 14695981039346656037 }

func (h *hasher) add(s string) {
	x := uint64(*h)
	for i := 0; i < len(s); i++ {
		x ^= uint64(s[i])
		x *= 1099511628211
	}
	// A separator keeps ("ab","c") and ("a","bc") apart.
	x ^= 0xff
	x *= 1099511628211
	*h = hasher(x)
}

func (h *hasher) addInt(n int) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(n))
	h.add(string(b[:]))
}

func (h hasher) sum() uint64 { return uint64(h) }

// rng is splitmix64: tiny, fast and identical on every platform, unlike math/rand's generators
// whose sequences are not guaranteed stable across Go releases.
type rng uint64

func (r *rng) next() uint64 {
	*r += 0x9e3779b97f4a7c15
	z := uint64(*r)
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// choiceSeed derives the seed of choice i from the request seed, so n>1 choices differ.
func choiceSeed(seed uint64, i int) uint64 {
	r := rng(seed ^ uint64(i+1)*0x632be59bd9b4e019)
	return r.next()
}

// completionPieces returns n tokens of text drawn from words.
func completionPieces(seed uint64, n int) []string {
	r := rng(seed)
	pieces := make([]string, n)
	for i := range pieces {
		w := words[r.next()%uint64(len(words))]
		if i > 0 {
			w = " " + w
		}
		pieces[i] = w
	}
	return pieces
}

// truncateAtStop cuts pieces before the earliest occurrence of any stop sequence, as the OpenAI API
// does (the stop sequence itself is not returned). It reports whether a stop sequence was found.
func truncateAtStop(pieces []string, stop []string) ([]string, bool) {
	if len(stop) == 0 {
		return pieces, false
	}
	text := strings.Join(pieces, "")
	cut := -1
	for _, s := range stop {
		if s == "" {
			continue
		}
		if i := strings.Index(text, s); i >= 0 && (cut < 0 || i < cut) {
			cut = i
		}
	}
	if cut < 0 {
		return pieces, false
	}
	out := pieces[:0:0]
	n := 0
	for _, p := range pieces {
		if n+len(p) > cut {
			if rest := p[:cut-n]; rest != "" {
				out = append(out, rest)
			}
			break
		}
		out = append(out, p)
		n += len(p)
	}
	return out, true
}

// estimateTokens approximates a tokenizer: one token per 4 bytes, rounded up. Real tokenizers
// average about 4 characters per token for English; exactness does not matter, stability does.
func estimateTokens(s string) int { return (len(s) + 3) / 4 }

// Prompt token estimate for chat, following OpenAI's published accounting for chat formats:
// every message costs perMessageTokens plus its text (and name), and every reply is primed with
// replyPrimingTokens. Tool definitions are not counted.
const (
	perMessageTokens   = 3
	replyPrimingTokens = 3
)

// embeddingVector returns a deterministic unit-length vector of dims float32 values.
func embeddingVector(seed uint64, dims int) []float32 {
	r := rng(seed)
	v := make([]float32, dims)
	var norm float64
	for i := range v {
		// 53 random bits mapped to [-1, 1).
		f := float64(r.next()>>11)/(1<<52) - 1
		v[i] = float32(f)
		norm += f * f
	}
	if norm == 0 {
		v[0], norm = 1, 1
	}
	inv := 1 / math.Sqrt(norm)
	for i := range v {
		v[i] = float32(float64(v[i]) * inv)
	}
	return v
}

// toolProperty is the part of a JSON Schema property that argument generation looks at.
type toolProperty struct {
	Type any `json:"type"` // a string or an array of strings
}

// toolSchema is the part of a function's JSON Schema that argument generation looks at.
type toolSchema struct {
	Properties map[string]toolProperty `json:"properties"`
}

// toolArguments renders a JSON object with one value per schema property, in sorted key order, typed
// after the property's schema type. The result is the `arguments` string of a tool call.
func toolArguments(seed uint64, schema toolSchema) string {
	keys := make([]string, 0, len(schema.Properties))
	for k := range schema.Properties {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	r := rng(seed)
	b := []byte{'{'}
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		x := r.next()
		switch firstType(schema.Properties[k].Type) {
		case "integer":
			b = strconv.AppendUint(b, x%100, 10)
		case "number":
			b = strconv.AppendFloat(b, float64(x%1000)/10, 'f', -1, 64)
		case "boolean":
			b = strconv.AppendBool(b, x&1 == 0)
		case "array":
			b = append(b, `[]`...)
		case "object":
			b = append(b, `{}`...)
		case "null":
			b = append(b, `null`...)
		default:
			b = appendJSONString(b, words[x%uint64(len(words))])
		}
	}
	return string(append(b, '}'))
}

func firstType(t any) string {
	switch t := t.(type) {
	case string:
		return t
	case []any:
		for _, e := range t {
			if s, ok := e.(string); ok && s != "null" {
				return s
			}
		}
	}
	return ""
}

// splitArguments cuts a tool call's arguments into the deltas a stream sends, about argChunkBytes
// each and never inside a UTF-8 sequence, as real streams deliver arguments a few tokens at a time.
func splitArguments(args string) []string {
	const argChunkBytes = 8
	var out []string
	for len(args) > argChunkBytes {
		n := argChunkBytes
		for n < len(args) && !utf8.RuneStart(args[n]) {
			n++
		}
		out = append(out, args[:n])
		args = args[n:]
	}
	return append(out, args)
}
