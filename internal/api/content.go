package api

import (
	"bytes"
	"fmt"
	"strconv"

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

// MarshalJSON encodes the content in the form it was received.
func (c Content) MarshalJSON() ([]byte, error) {
	switch {
	case !c.valid:
		return []byte("null"), nil
	case c.Parts != nil:
		return jsonx.Marshal(c.Parts)
	default:
		return strconv.AppendQuote(nil, c.Text), nil
	}
}

// UnmarshalJSON accepts a string, an array of parts or null.
func (c *Content) UnmarshalJSON(b []byte) error {
	b = bytes.TrimLeft(b, " \t\r\n")
	*c = Content{}
	if len(b) == 0 {
		return fmt.Errorf("content: empty value")
	}
	switch b[0] {
	case 'n':
		return nil
	case '"':
		c.valid = true
		return jsonx.Unmarshal(b, &c.Text)
	case '[':
		c.valid = true
		c.Parts = []ContentPart{}
		return jsonx.Unmarshal(b, &c.Parts)
	default:
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

// MarshalJSON always encodes an array, a form every OpenAI-compatible server accepts.
func (s StringList) MarshalJSON() ([]byte, error) { return jsonx.Marshal([]string(s)) }

// UnmarshalJSON accepts a string, an array of strings or null.
func (s *StringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimLeft(b, " \t\r\n")
	switch {
	case len(b) == 0:
		return fmt.Errorf("stop: empty value")
	case b[0] == 'n':
		*s = nil
		return nil
	case b[0] == '"':
		var one string
		if err := jsonx.Unmarshal(b, &one); err != nil {
			return err
		}
		*s = StringList{one}
		return nil
	default:
		var many []string
		if err := jsonx.Unmarshal(b, &many); err != nil {
			return fmt.Errorf("stop: must be a string or an array of strings")
		}
		*s = many
		return nil
	}
}
