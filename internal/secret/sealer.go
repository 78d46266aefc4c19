package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
)

// Sealer encrypts secrets at rest with AES-256-GCM. The key lives in config or the
// environment, never in the database it protects.
type Sealer struct{ aead cipher.AEAD }

// NewSealer takes a base64-encoded 32-byte key.
func NewSealer(key Secret) (*Sealer, error) {
	raw, err := base64.StdEncoding.DecodeString(key.Reveal())
	if err != nil || len(raw) != 32 {
		return nil, errors.New("secret: the credentials key must be 32 random bytes, base64-encoded (openssl rand -base64 32)")
	}
	block, err := aes.NewCipher(raw)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext; additional data (e.g. the credential's provider and name) binds the
// ciphertext to its row, so it cannot be swapped onto another.
func (s *Sealer) Seal(plaintext Secret, additional []byte) (ciphertext, nonce []byte, err error) {
	nonce = make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, nil, fmt.Errorf("secret: nonce: %w", err)
	}
	return s.aead.Seal(nil, nonce, []byte(plaintext.Reveal()), additional), nonce, nil
}

// Open decrypts what Seal produced.
func (s *Sealer) Open(ciphertext, nonce, additional []byte) (Secret, error) {
	if len(nonce) != s.aead.NonceSize() {
		return Secret{}, errors.New("secret: bad nonce")
	}
	plain, err := s.aead.Open(nil, nonce, ciphertext, additional)
	if err != nil {
		return Secret{}, errors.New("secret: decryption failed (wrong credentials key, or the data was altered)")
	}
	return New(string(plain)), nil
}
