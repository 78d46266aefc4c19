package api

import (
	"fmt"

	"github.com/sluicehq/sluice/internal/jsonx"
)

// Content is a message's content: a plain string, an array of parts, or absent (null).
// OpenAI accepts both forms on input and answers with a string or null; the form received is
// the form forwarded.
type Content struct {
	Text  string
	Parts []ContentPart // non-nil when the content is an array
	valid bool
}

// TextContent returns string content.
func TextContent(s string) Content { return Content{Text: s, valid: true} }

// PartsContent returns array content.
func PartsContent(parts []ContentPart) Content {
	if parts == nil {
		parts = []ContentPart{}
	}
	return Content{Parts: parts, valid: true}
}

// IsZero reports whether the content is absent, so it encodes as null.
func (c Content) IsZero() bool { return !c.valid }

// IsArray reports whether the content is an array of parts.
func (c Content) IsArray() bool { return c.Parts != nil }

// String returns the text of the content: the string, or the text parts joined.
func (c Content) String() string {
	if c.Parts == nil {
		return c.Text
	}
	var b []byte
	for _, p := range c.Parts {
		if p.Type == "text" {
			b = append(b, p.Text...)
		}
	}
	return string(b)
}

// MarshalJSONTo encodes the content in the form it was received.
func (c Content) MarshalJSONTo(enc *jsonx.Encoder) error {
	switch {
	case !c.valid:
		return enc.WriteToken(jsonx.Null)
	case c.Parts != nil:
		return jsonx.MarshalEncode(enc, c.Parts)
	default:
		return enc.WriteToken(jsonx.String(c.Text))
	}
}

// UnmarshalJSONFrom accepts a string, an array of parts or null.
func (c *Content) UnmarshalJSONFrom(dec *jsonx.Decoder) error {
	*c = Content{}
	switch dec.PeekKind() {
	case jsonx.KindNull:
		_, err := dec.ReadToken()
		return err
	case jsonx.KindString:
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		c.Text, c.valid = tok.String(), true
		return nil
	case jsonx.KindArray:
		c.Parts, c.valid = []ContentPart{}, true
		return jsonx.UnmarshalDecode(dec, &c.Parts)
	default:
		if _, err := dec.ReadValue(); err != nil {
			return err
		}
		return fmt.Errorf("content: must be a string, an array of content parts or null")
	}
}

// ContentPart is one element of array content: text, image_url, input_audio, file, refusal.
type ContentPart struct {
	Type     string      `json:"type"`
	Text     string      `json:"text,omitzero"`
	ImageURL *ImageURL   `json:"image_url,omitzero"`
	Extra    jsonx.Value `json:",embed"`
}

// ImageURL is an image part's URL (https or a data: URL) and detail level.
type ImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitzero"`
}

// StringList is a field that OpenAI accepts as a string or an array of strings (stop).
type StringList []string

// MarshalJSONTo always encodes an array, a form every OpenAI-compatible server accepts.
func (s StringList) MarshalJSONTo(enc *jsonx.Encoder) error {
	return jsonx.MarshalEncode(enc, []string(s))
}

// UnmarshalJSONFrom accepts a string, an array of strings or null.
func (s *StringList) UnmarshalJSONFrom(dec *jsonx.Decoder) error {
	return jsonx.UnmarshalStringOrArray(dec, (*[]string)(s), func(v string) string { return v },
		"stop: must be a string or an array of strings")
}
