package oidc

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sluicehq/sluice/internal/jsonx"
)

func TestVerifyAcceptsGoodTokensAndMapsClaims(t *testing.T) {
	ti := newTestIssuer(t, publicJWK("rsa-1", "RS256"), publicJWK("ec-1", ""))
	v := ti.verifier(t, nil)
	for _, tc := range []struct {
		alg jose.SignatureAlgorithm
		kid string
	}{{jose.RS256, "rsa-1"}, {jose.ES256, "ec-1"}} {
		t.Run(string(tc.alg), func(t *testing.T) {
			exp := ti.clock.Now().Add(time.Hour).Truncate(time.Second)
			tok := sign(t, tc.alg, tc.kid, ti.claims(map[string]any{"exp": exp.Unix()}))
			c, err := v.Verify(context.Background(), tok)
			if err != nil {
				t.Fatalf("Verify(%s token): %v", tc.alg, err)
			}
			if c.Subject != "user-42" || c.Email != "ada@example.com" || c.Name != "Ada Lovelace" {
				t.Errorf("Verify(%s): sub/email/name = %q/%q/%q, want user-42/ada@example.com/Ada Lovelace", tc.alg, c.Subject, c.Email, c.Name)
			}
			if !slices.Equal(c.Groups, []string{"eng", "ml"}) {
				t.Errorf("Verify(%s): Groups = %q, want [eng ml] (array form)", tc.alg, c.Groups)
			}
			if !slices.Equal(c.Roles, []string{"admin"}) {
				t.Errorf("Verify(%s): Roles = %q, want [admin] (single-string form)", tc.alg, c.Roles)
			}
			if !c.ExpiresAt.Equal(exp) {
				t.Errorf("Verify(%s): ExpiresAt = %s, want %s", tc.alg, c.ExpiresAt, exp)
			}
			if c.Raw["custom"] != "kept" {
				t.Errorf(`Verify(%s): Raw["custom"] = %v, want "kept"`, tc.alg, c.Raw["custom"])
			}
		})
	}
}

func TestVerifyAcceptsAudienceArrayAndSkewedTimes(t *testing.T) {
	ti := newTestIssuer(t, publicJWK("ec-1", "ES256"))
	v := ti.verifier(t, nil)
	now := ti.clock.Now()
	for name, over := range map[string]map[string]any{
		"aud array naming one audience": {"aud": []string{"someone-else", testAudience}},
		"exp 30s ago, within 60s skew":  {"exp": now.Add(-30 * time.Second).Unix()},
		"nbf 30s ahead, within skew":    {"nbf": now.Add(30 * time.Second).Unix()},
		"fractional NumericDates":       {"exp": float64(now.Add(time.Hour).Unix()) + 0.5, "iat": 1.5},
		"no groups or roles claim":      {"groups": nil, "roles": nil},
		"roles as an array":             {"roles": []string{"a", "b"}},
	} {
		tok := sign(t, jose.ES256, "ec-1", ti.claims(over))
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Errorf("Verify(%s): %v, want success", name, err)
		}
	}
}

func TestVerifyRejectsWithTheRightSentinel(t *testing.T) {
	ti := newTestIssuer(t, publicJWK("rsa-1", "RS256"), publicJWK("ec-1", "ES256"))
	v := ti.verifier(t, nil)
	now := ti.clock.Now()
	good := sign(t, jose.RS256, "rsa-1", ti.claims(nil))
	parts := strings.Split(good, ".")

	rsaPub, err := x509.MarshalPKIXPublicKey(testKeys()["rsa-1"].Public())
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: rsaPub})
	hmacWith := func(key []byte) func([]byte) []byte {
		return func(in []byte) []byte {
			m := hmac.New(sha256.New, key)
			m.Write(in)
			return m.Sum(nil)
		}
	}
	noSig := func([]byte) []byte { return nil }
	tamperedClaims := ti.claims(map[string]any{"sub": "admin"})

	cases := []struct {
		name string
		tok  string
		want error
	}{
		{"wrong issuer", sign(t, jose.RS256, "rsa-1", ti.claims(map[string]any{"iss": "https://evil.example"})), ErrWrongIssuer},
		{"issuer with extra trailing slash", sign(t, jose.RS256, "rsa-1", ti.claims(map[string]any{"iss": ti.issuer() + "/"})), ErrWrongIssuer},
		{"missing issuer", sign(t, jose.RS256, "rsa-1", ti.claims(map[string]any{"iss": nil})), ErrWrongIssuer},
		{"wrong audience", sign(t, jose.RS256, "rsa-1", ti.claims(map[string]any{"aud": "someone-else"})), ErrWrongAudience},
		{"wrong audience array", sign(t, jose.RS256, "rsa-1", ti.claims(map[string]any{"aud": []string{"a", "b"}})), ErrWrongAudience},
		{"missing audience", sign(t, jose.RS256, "rsa-1", ti.claims(map[string]any{"aud": nil})), ErrWrongAudience},
		{"expired beyond skew", sign(t, jose.RS256, "rsa-1", ti.claims(map[string]any{"exp": now.Add(-2 * time.Minute).Unix()})), ErrExpired},
		{"nbf beyond skew", sign(t, jose.RS256, "rsa-1", ti.claims(map[string]any{"nbf": now.Add(2 * time.Minute).Unix()})), ErrNotYetValid},
		{"iat in the future", sign(t, jose.ES256, "ec-1", ti.claims(map[string]any{"iat": now.Add(time.Hour).Unix()})), ErrNotYetValid},
		{"missing exp", sign(t, jose.RS256, "rsa-1", ti.claims(map[string]any{"exp": nil})), ErrMalformed},
		{"exp as a string", sign(t, jose.RS256, "rsa-1", ti.claims(map[string]any{"exp": "tomorrow"})), ErrMalformed},
		{"groups as a number", sign(t, jose.RS256, "rsa-1", ti.claims(map[string]any{"groups": 7})), ErrMalformed},
		{"roles array with a number", sign(t, jose.RS256, "rsa-1", ti.claims(map[string]any{"roles": []any{"a", 1}})), ErrMalformed},
		{"claims not an object", signBytes(t, jose.RS256, "rsa-1", testKeys()["rsa-1"], []byte(`[1,2]`)), ErrMalformed},
		{"duplicate aud member", signBytes(t, jose.RS256, "rsa-1", testKeys()["rsa-1"],
			[]byte(`{"iss":"`+ti.issuer()+`","aud":"x","aud":"`+testAudience+`","exp":9999999999}`)), ErrMalformed},
		{"unknown kid", sign(t, jose.ES256, "ec-2", ti.claims(nil)), ErrUnknownKey},
		{"tampered payload", parts[0] + "." + b64(mustJSON(t, tamperedClaims)) + "." + parts[2], ErrBadSignature},
		{"tampered signature", parts[0] + "." + parts[1] + "." + flipMiddle(parts[2]), ErrBadSignature},
		{"signed by another key under a known kid", signBytes(t, jose.ES256, "ec-1", testKeys()["ec-2"], mustJSON(t, ti.claims(nil))), ErrBadSignature},
		{"alg none", rawToken(t, map[string]string{"alg": "none", "kid": "rsa-1"}, ti.claims(nil), noSig), ErrAlgorithm},
		{"alg None", rawToken(t, map[string]string{"alg": "None", "kid": "rsa-1"}, ti.claims(nil), noSig), ErrAlgorithm},
		{"HS256 keyed with the public key PEM", rawToken(t, map[string]string{"alg": "HS256", "kid": "rsa-1"}, ti.claims(nil), hmacWith(pubPEM)), ErrAlgorithm},
		{"HS256 keyed with the public key DER", rawToken(t, map[string]string{"alg": "HS256", "kid": "rsa-1"}, ti.claims(nil), hmacWith(rsaPub)), ErrAlgorithm},
		{"ES256 header on an RSA kid", signBytes(t, jose.ES256, "rsa-1", testKeys()["ec-1"], mustJSON(t, ti.claims(nil))), ErrAlgorithm},
		{"RS256 header on an EC kid", signBytes(t, jose.RS256, "ec-1", testKeys()["rsa-1"], mustJSON(t, ti.claims(nil))), ErrAlgorithm},
		{"PS256 not in the allow-list", signBytes(t, jose.PS256, "rsa-1", testKeys()["rsa-1"], mustJSON(t, ti.claims(nil))), ErrAlgorithm},
		{"empty", "", ErrMalformed},
		{"one part", "not-a-jwt", ErrMalformed},
		{"four parts", good + ".x", ErrMalformed},
		{"bad base64", "!!!." + parts[1] + "." + parts[2], ErrMalformed},
		{"header not JSON", b64([]byte("{")) + "." + parts[1] + "." + parts[2], ErrMalformed},
		{"oversized", strings.Repeat("a", maxTokenBytes+1), ErrMalformed},
	}
	for _, tc := range cases {
		_, err := v.Verify(context.Background(), tc.tok)
		if got := matchedSentinels(err); len(got) != 1 || got[0] != tc.want {
			t.Errorf("Verify(%s) = %v; sentinels %v, want exactly [%v]", tc.name, err, got, tc.want)
			continue
		}
		if len(tc.tok) > 0 && strings.Contains(err.Error(), tc.tok) {
			t.Errorf("Verify(%s): error message contains the token", tc.name)
		}
	}
}

// The JWK's own alg binds the key to one algorithm, even one that fits the key type.
func TestVerifyRejectsAlgOtherThanTheKeysOwn(t *testing.T) {
	ti := newTestIssuer(t, publicJWK("rsa-1", "RS256"))
	v := ti.verifier(t, func(c *Config) { c.Algorithms = []string{"RS256", "PS256"} })
	tok := sign(t, jose.PS256, "rsa-1", ti.claims(nil))
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrAlgorithm) {
		t.Errorf("Verify(PS256 token, key alg RS256) = %v, want ErrAlgorithm", err)
	}
}

func TestVerifyTokenWithoutKID(t *testing.T) {
	ti := newTestIssuer(t, publicJWK("ec-1", ""))
	v := ti.verifier(t, nil)
	tok := signBytes(t, jose.ES256, "", testKeys()["ec-1"], mustJSON(t, ti.claims(nil)))
	if _, err := v.Verify(context.Background(), tok); err != nil {
		t.Errorf("Verify(no kid, single-key issuer) = %v, want success", err)
	}

	ti.serveKeys(t, publicJWK("ec-1", ""), publicJWK("ec-2", ""))
	ti.clock.Advance(time.Hour)
	v = ti.verifier(t, nil)
	hits := ti.jwksHits.Load()
	tok = signBytes(t, jose.ES256, "", testKeys()["ec-1"], mustJSON(t, ti.claims(nil)))
	if _, err := v.Verify(context.Background(), tok); !errors.Is(err, ErrUnknownKey) {
		t.Errorf("Verify(no kid, two keys) = %v, want ErrUnknownKey", err)
	}
	if got := ti.jwksHits.Load(); got != hits {
		t.Errorf("Verify(no kid, two keys) fetched the JWKS %d times, want 0 (a refetch cannot resolve it)", got-hits)
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := jsonx.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// flipMiddle changes a middle base64url character. (The last one may only carry padding
// bits, which a lenient decoder ignores, leaving the signature intact.)
func flipMiddle(s string) string {
	i := len(s) / 2
	c := byte('A')
	if s[i] == 'A' {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}
