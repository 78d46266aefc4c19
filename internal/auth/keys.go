package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"strings"

	"github.com/sluicehq/sluice/internal/secret"
)

// KeyPrefix starts every virtual key, so leaked keys are recognisable by secret scanners.
const KeyPrefix = "sk-sluice-"

// displayPrefixLen is how much of a key is stored in clear to identify it to humans.
const displayPrefixLen = len(KeyPrefix) + 6

// NewKey returns a fresh virtual key (256 random bits) and its display prefix. The plaintext
// is shown once to its owner and never stored.
func NewKey() (plaintext, prefix string, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", "", err
	}
	plaintext = KeyPrefix + base64.RawURLEncoding.EncodeToString(b[:])
	return plaintext, plaintext[:displayPrefixLen], nil
}

// LooksLikeKey reports whether a bearer token is a Sluice virtual key rather than a JWT.
func LooksLikeKey(token string) bool { return strings.HasPrefix(token, KeyPrefix) }

// Hasher turns a key into the digest the store indexes. With a pepper (a secret kept out of
// the database) it is HMAC-SHA256, so a stolen database alone cannot even test guesses;
// without one it is SHA-256, which is still safe for 256-bit random keys — no guessing
// attack is feasible — but loses that second line of defence.
type Hasher struct{ pepper []byte }

// NewHasher returns a Hasher with the given pepper, which may be empty.
func NewHasher(pepper secret.Secret) Hasher { return Hasher{pepper: []byte(pepper.Reveal())} }

// Hash returns the digest of a key.
func (h Hasher) Hash(key string) []byte {
	if len(h.pepper) == 0 {
		sum := sha256.Sum256([]byte(key))
		return sum[:]
	}
	m := hmac.New(sha256.New, h.pepper)
	m.Write([]byte(key))
	return m.Sum(nil)
}
