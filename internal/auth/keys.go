package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"strings"
	"sync"

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
type Hasher struct {
	pepper []byte
	// macs reuses keyed HMAC states: building one costs two SHA-256 blocks and three
	// allocations, and every API request hashes its key.
	macs *sync.Pool
}

// NewHasher returns a Hasher with the given pepper, which may be empty.
func NewHasher(pepper secret.Secret) Hasher {
	h := Hasher{pepper: []byte(pepper.Reveal())}
	if len(h.pepper) > 0 {
		h.macs = &sync.Pool{New: func() any { return hmac.New(sha256.New, h.pepper) }}
	}
	return h
}

// Hash returns the digest of a key.
func (h Hasher) Hash(key string) []byte { return h.AppendHash(nil, key) }

// AppendHash appends the digest of a key to dst; with a 32-byte dst it does not allocate.
func (h Hasher) AppendHash(dst []byte, key string) []byte {
	if len(h.pepper) == 0 {
		sum := sha256.Sum256([]byte(key))
		return append(dst, sum[:]...)
	}
	var m hash.Hash
	if h.macs != nil {
		m = h.macs.Get().(hash.Hash)
		defer h.macs.Put(m)
		m.Reset()
	} else {
		m = hmac.New(sha256.New, h.pepper)
	}
	_, _ = m.Write([]byte(key))
	return m.Sum(dst)
}
