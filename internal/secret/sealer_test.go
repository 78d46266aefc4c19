package secret

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"testing"
)

func newKey(t *testing.T) Secret {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return New(base64.StdEncoding.EncodeToString(b))
}

func TestSealerRoundTripAndTamper(t *testing.T) {
	s, err := NewSealer(newKey(t))
	if err != nil {
		t.Fatal(err)
	}
	ct, nonce, err := s.Seal(New("sk-provider-123"), []byte("openai/prod"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("sk-provider")) {
		t.Fatalf("ciphertext contains the plaintext")
	}
	got, err := s.Open(ct, nonce, []byte("openai/prod"))
	if err != nil || got.Reveal() != "sk-provider-123" {
		t.Fatalf("Open = %q, %v", got.Reveal(), err)
	}
	if _, err := s.Open(ct, nonce, []byte("openai/other")); err == nil {
		t.Errorf("a ciphertext moved to another row decrypted")
	}
	ct[0] ^= 1
	if _, err := s.Open(ct, nonce, []byte("openai/prod")); err == nil {
		t.Errorf("a tampered ciphertext decrypted")
	}
	other, _ := NewSealer(newKey(t))
	ct[0] ^= 1
	if _, err := other.Open(ct, nonce, []byte("openai/prod")); err == nil {
		t.Errorf("another key decrypted the ciphertext")
	}
	if _, err := NewSealer(New("too-short")); err == nil {
		t.Errorf("a short key was accepted")
	}
}
