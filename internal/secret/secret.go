// Package secret provides a string type for credentials that cannot leak by accident: it
// redacts itself when printed, logged or encoded, and gives its value only through Reveal.
// Any package may import it.
package secret

import (
	"crypto/subtle"
	"log/slog"
)

// Secret holds a credential such as a provider API key.
type Secret struct{ value string }

// New wraps a credential.
func New(v string) Secret { return Secret{value: v} }

const redacted = "[REDACTED]"

// Reveal returns the credential. Call it only where the value is sent to its owner.
func (s Secret) Reveal() string { return s.value }

// IsZero reports whether no credential is set.
func (s Secret) IsZero() bool { return s.value == "" }

// Equal compares in constant time, so timing does not reveal how much of a guess matched.
func (s Secret) Equal(other string) bool {
	return subtle.ConstantTimeCompare([]byte(s.value), []byte(other)) == 1
}

func (s Secret) String() string { return s.mask() }

// GoString covers %#v.
func (s Secret) GoString() string { return s.mask() }

// LogValue covers slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.mask()) }

// MarshalJSON covers JSON encoding (admin API, debug dumps).
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + s.mask() + `"`), nil }

// MarshalText covers YAML and other text encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.mask()), nil }

// UnmarshalText lets config decoders fill a Secret.
func (s *Secret) UnmarshalText(b []byte) error {
	s.value = string(b)
	return nil
}

func (s Secret) mask() string {
	if s.value == "" {
		return ""
	}
	return redacted
}
