package oidc

import (
	"context"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

// FuzzVerify feeds arbitrary strings to Verify. Besides never panicking, every failure must
// wrap exactly one sentinel and must not echo the token. The verifier's clock never moves,
// so unknown kids stay rate-limited and the fuzzer does no network I/O after setup.
func FuzzVerify(f *testing.F) {
	ti := newTestIssuer(f, publicJWK("rsa-1", "RS256"), publicJWK("ec-1", "ES256"))
	v := ti.verifier(f, nil)
	good := sign(f, jose.RS256, "rsa-1", ti.claims(nil))
	for _, seed := range []string{
		good,
		sign(f, jose.ES256, "ec-1", ti.claims(nil)),
		sign(f, jose.ES256, "ec-1", ti.claims(map[string]any{"aud": []any{1, "x"}, "exp": 1e300, "groups": map[string]any{}})),
		rawToken(f, map[string]string{"alg": "none"}, ti.claims(nil), func([]byte) []byte { return nil }),
		rawToken(f, map[string]any{"alg": "RS256", "kid": "rsa-1", "crit": []string{"exp"}}, ti.claims(nil), func([]byte) []byte { return []byte{1} }),
		rawToken(f, map[string]any{"alg": "ES256", "jwk": map[string]string{"kty": "EC"}}, "x", func([]byte) []byte { return nil }),
		good[:len(good)/2],
		"..", "a.b.c", "e30.e30.", "eyJhbGciOiJSUzI1NiJ9..", strings.Repeat(".", 100),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		c, err := v.Verify(context.Background(), raw)
		if err == nil {
			if c == nil {
				t.Fatal("Verify returned neither claims nor an error")
			}
			return
		}
		if got := matchedSentinels(err); len(got) != 1 {
			t.Fatalf("Verify error %q wraps sentinels %v, want exactly one", err, got)
		}
		if len(raw) >= 16 && strings.Contains(err.Error(), raw) {
			t.Fatalf("Verify error echoes the token: %q", err)
		}
	})
}
