package oidc

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sluicehq/sluice/internal/jsonx"
)

const testAudience = "sluice-gateway"

// testKeys are generated once per test binary: RSA 2048 generation is slow under -race.
var testKeys = sync.OnceValue(func() map[string]crypto.Signer {
	rsa1, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	keys := map[string]crypto.Signer{"rsa-1": rsa1}
	for _, kid := range []string{"ec-1", "ec-2", "ec-3"} {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		keys[kid] = k
	}
	return keys
})

// publicJWK is how the issuer publishes a test key; alg may be "".
func publicJWK(kid, alg string) jose.JSONWebKey {
	return jose.JSONWebKey{Key: testKeys()[kid].Public(), KeyID: kid, Algorithm: alg, Use: "sig"}
}

// testClock lets rotation tests step past MinRefreshInterval without sleeping.
type testClock struct{ ns atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ns.Store(time.Now().UnixNano())
	return c
}

func (c *testClock) Now() time.Time          { return time.Unix(0, c.ns.Load()) }
func (c *testClock) Advance(d time.Duration) { c.ns.Add(int64(d)) }

// testIssuer serves a discovery document and a JWKS that tests can swap, and counts requests.
type testIssuer struct {
	srv   *httptest.Server
	clock *testClock

	mu              sync.Mutex
	jwks            []byte
	jwksStatus      int
	discoveryIssuer string // "" serves the real issuer URL

	jwksHits, discoveryHits atomic.Int64
}

func newTestIssuer(t testing.TB, keys ...jose.JSONWebKey) *testIssuer {
	t.Helper()
	ti := &testIssuer{clock: newTestClock(), jwksStatus: http.StatusOK}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		ti.discoveryHits.Add(1)
		ti.mu.Lock()
		iss := ti.discoveryIssuer
		ti.mu.Unlock()
		if iss == "" {
			iss = ti.issuer()
		}
		body, _ := jsonx.Marshal(map[string]string{"issuer": iss, "jwks_uri": ti.issuer() + "/jwks"})
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		ti.jwksHits.Add(1)
		ti.mu.Lock()
		body, status := ti.jwks, ti.jwksStatus
		ti.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	})
	ti.srv = httptest.NewServer(mux)
	t.Cleanup(ti.srv.Close)
	ti.serveKeys(t, keys...)
	return ti
}

func (ti *testIssuer) issuer() string { return ti.srv.URL }

func (ti *testIssuer) serveKeys(t testing.TB, keys ...jose.JSONWebKey) {
	t.Helper()
	body, err := jsonx.Marshal(jose.JSONWebKeySet{Keys: keys})
	if err != nil {
		t.Fatalf("marshal JWKS: %v", err)
	}
	ti.serveJWKS(http.StatusOK, body)
}

func (ti *testIssuer) serveJWKS(status int, body []byte) {
	ti.mu.Lock()
	defer ti.mu.Unlock()
	ti.jwksStatus, ti.jwks = status, body
}

func (ti *testIssuer) config() Config {
	return Config{Issuer: ti.issuer(), Audience: []string{"other-client", testAudience}, RoleClaim: "roles"}
}

// verifier builds a Verifier on the issuer's clock; mod may adjust the config.
func (ti *testIssuer) verifier(t testing.TB, mod func(*Config)) *Verifier {
	t.Helper()
	cfg := ti.config()
	if mod != nil {
		mod(&cfg)
	}
	v, err := newVerifier(context.Background(), cfg, slog.New(slog.DiscardHandler), ti.clock.Now)
	if err != nil {
		t.Fatalf("newVerifier(%s): %v", ti.issuer(), err)
	}
	return v
}

// claims returns a valid claim set; an override with a nil value deletes the claim.
func (ti *testIssuer) claims(overrides map[string]any) map[string]any {
	now := ti.clock.Now()
	c := map[string]any{
		"iss":    ti.issuer(),
		"aud":    testAudience,
		"sub":    "user-42",
		"email":  "ada@example.com",
		"name":   "Ada Lovelace",
		"groups": []string{"eng", "ml"},
		"roles":  "admin",
		"iat":    now.Unix(),
		"exp":    now.Add(time.Hour).Unix(),
		"custom": "kept",
	}
	maps.Copy(c, overrides)
	maps.DeleteFunc(c, func(_ string, v any) bool { return v == nil })
	return c
}

// sign mints a token with go-jose, so the verifier is checked against an independent signer.
func sign(t testing.TB, alg jose.SignatureAlgorithm, kid string, claims any) string {
	t.Helper()
	payload, err := jsonx.Marshal(claims)
	if err != nil {
		t.Fatalf("marshal claims: %v", err)
	}
	return signBytes(t, alg, kid, testKeys()[kid], payload)
}

// signBytes signs an exact payload with key, announcing kid (which need not be key's own).
func signBytes(t testing.TB, alg jose.SignatureAlgorithm, kid string, key any, payload []byte) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatalf("NewSigner(%s, %s): %v", alg, kid, err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Fatalf("Sign: %v", err)
	}
	tok, err := obj.CompactSerialize()
	if err != nil {
		t.Fatalf("CompactSerialize: %v", err)
	}
	return tok
}

// rawToken assembles a token by hand, for the attacks a well-behaved signer refuses to make.
func rawToken(t testing.TB, header, claims any, sig func(signingInput []byte) []byte) string {
	t.Helper()
	h, err := jsonx.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := jsonx.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	in := b64(h) + "." + b64(p)
	return in + "." + b64(sig([]byte(in)))
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

var sentinels = []error{
	ErrMalformed, ErrUnknownKey, ErrBadSignature, ErrExpired,
	ErrNotYetValid, ErrWrongIssuer, ErrWrongAudience, ErrAlgorithm,
}

// matchedSentinels lists the sentinels err wraps; a Verify error must wrap exactly one.
func matchedSentinels(err error) []error {
	var out []error
	for _, s := range sentinels {
		if errors.Is(err, s) {
			out = append(out, s)
		}
	}
	return out
}
