// Package media holds the small helpers adapters share for message media: splitting data: URLs
// into their media type and base64 payload, and guessing an image's type from a URL. Used by
// provider adapters only.
package media

import (
	"path"
	"strings"
)

// ParseDataURL splits "data:image/png;base64,iVBOR..." into "image/png" and the base64 text.
// ok is false for anything that is not a base64 data URL.
func ParseDataURL(u string) (mediaType, base64Data string, ok bool) {
	rest, found := strings.CutPrefix(u, "data:")
	if !found {
		return "", "", false
	}
	meta, data, found := strings.Cut(rest, ",")
	if !found {
		return "", "", false
	}
	mediaType, isBase64 := strings.CutSuffix(meta, ";base64")
	if !isBase64 || mediaType == "" {
		return "", "", false
	}
	return mediaType, data, true
}

// TypeFromURL guesses an image's media type from its URL's extension, "" when unknown.
func TypeFromURL(u string) string {
	if i := strings.IndexAny(u, "?#"); i >= 0 {
		u = u[:i]
	}
	switch strings.ToLower(path.Ext(u)) {
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".gif":
		return "image/gif"
	case ".webp":
		return "image/webp"
	case ".pdf":
		return "application/pdf"
	}
	return ""
}
