// Package jsonx is the one place Sluice chooses its JSON codec. Every package that encodes or
// decodes JSON on the request path goes through it, so the codec can be swapped after a
// benchmark without touching callers.
//
// It wraps the encoding/json/v2 API (github.com/go-json-experiment/json, the mirror that the
// standard library adopts in Go 1.27). v2 was chosen over v1 because it can keep unknown
// members in an "embed" fallback field in one pass — a gateway must forward parameters it
// does not know yet — and because it rejects duplicate keys and invalid UTF-8 by default.
package jsonx

import (
	"bytes"
	"errors"
	"io"
	"slices"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
)

// Value is a raw, already-encoded JSON value carried through untouched.
type Value = jsontext.Value

// Encoder and Decoder are the streaming codec that types with custom JSON forms implement
// MarshalJSONTo / UnmarshalJSONFrom against, avoiding a re-parse per value.
type (
	Encoder = jsontext.Encoder
	Decoder = jsontext.Decoder
)

// Kinds of the next token, as returned by Decoder.PeekKind.
const (
	KindNull   = jsontext.Kind('n')
	KindString = jsontext.Kind('"')
	KindArray  = jsontext.Kind('[')
)

// MarshalEncode encodes v into an Encoder.
func MarshalEncode(enc *Encoder, v any) error { return json.MarshalEncode(enc, v) }

// UnmarshalDecode decodes the next value of a Decoder into v.
func UnmarshalDecode(dec *Decoder, v any) error { return json.UnmarshalDecode(dec, v) }

// String returns a string token.
func String(s string) jsontext.Token { return jsontext.String(s) }

// Null is the null token.
var Null = jsontext.Null

// Marshal encodes v.
func Marshal(v any) ([]byte, error) { return json.Marshal(v) }

// MarshalWrite encodes v to w without an intermediate buffer.
func MarshalWrite(w io.Writer, v any) error { return json.MarshalWrite(w, v) }

// AppendMarshal appends the encoding of v to dst.
func AppendMarshal(dst []byte, v any) ([]byte, error) {
	w := appendWriter{buf: dst}
	if err := json.MarshalWrite(&w, v); err != nil {
		return dst, err
	}
	return w.buf, nil
}

// Unmarshal decodes data into v. Strings and raw values are copied, so data may be reused.
func Unmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }

// UnmarshalReadStrict decodes the whole of r into v and rejects members v does not have.
func UnmarshalReadStrict(r io.Reader, v any) error {
	return json.UnmarshalRead(r, v, json.RejectUnknownMembers(true))
}

// UnmarshalRead decodes the whole of r into v.
func UnmarshalRead(r io.Reader, v any) error { return json.UnmarshalRead(r, v) }

type appendWriter struct{ buf []byte }

func (w *appendWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// UnmarshalStringOrArray decodes a member that an API accepts either as one string or as an
// array (OpenAI's stop, Anthropic's content, the Responses API's input): null leaves *dst nil,
// a string becomes the one element one(s), an array decodes as []T. Any other kind is an error
// with the message invalid.
func UnmarshalStringOrArray[T any](dec *Decoder, dst *[]T, one func(string) T, invalid string) error {
	*dst = nil
	switch dec.PeekKind() {
	case KindNull:
		_, err := dec.ReadToken()
		return err
	case KindString:
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		*dst = []T{one(tok.String())}
		return nil
	case KindArray:
		return UnmarshalDecode(dec, dst)
	default:
		if _, err := dec.ReadValue(); err != nil {
			return err
		}
		return errors.New(invalid)
	}
}

// ReplaceMembers returns obj, a JSON object, with the members named in repl set to their new
// values (appended, in sorted order, when absent) and those mapped to nil removed, keeping
// every other member, and the order, as they were. For relaying a provider's object with a
// few members rewritten.
func ReplaceMembers(obj Value, repl map[string]Value) (Value, error) {
	dec := jsontext.NewDecoder(bytes.NewReader(obj))
	var out bytes.Buffer
	enc := jsontext.NewEncoder(&out)
	if tok, err := dec.ReadToken(); err != nil || tok.Kind() != '{' {
		return nil, errors.New("jsonx: ReplaceMembers needs a JSON object")
	}
	if err := enc.WriteToken(jsontext.BeginObject); err != nil {
		return nil, err
	}
	done := make(map[string]bool, len(repl))
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return nil, err
		}
		key := name.String() // before ReadValue, which voids the token
		val, err := dec.ReadValue()
		if err != nil {
			return nil, err
		}
		if v, ok := repl[key]; ok {
			done[key] = true
			if v == nil {
				continue
			}
			val = v
		}
		if err := enc.WriteToken(jsontext.String(key)); err != nil {
			return nil, err
		}
		if err := enc.WriteValue(val); err != nil {
			return nil, err
		}
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, err
	}
	rest := make([]string, 0, len(repl))
	for k, v := range repl {
		if !done[k] && v != nil {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	for _, k := range rest {
		if err := enc.WriteToken(jsontext.String(k)); err != nil {
			return nil, err
		}
		if err := enc.WriteValue(repl[k]); err != nil {
			return nil, err
		}
	}
	if err := enc.WriteToken(jsontext.EndObject); err != nil {
		return nil, err
	}
	return Value(bytes.TrimRight(out.Bytes(), "\n")), nil
}
