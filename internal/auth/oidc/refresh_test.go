package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/sluicehq/sluice/internal/jsonx"
)

func TestVerifyPicksUpRotatedKeyWithinRefetchRateLimit(t *testing.T) {
	ti := newTestIssuer(t, publicJWK("rsa-1", "RS256"))
	v := ti.verifier(t, nil) // MinRefreshInterval: default 30s
	ctx := context.Background()
	expectHits := func(step string, want int64) {
		t.Helper()
		if got := ti.jwksHits.Load(); got != want {
			t.Fatalf("%s: JWKS fetched %d times in total, want %d", step, got, want)
		}
	}
	expectHits("NewVerifier", 1)

	ti.serveKeys(t, publicJWK("rsa-1", "RS256"), publicJWK("ec-2", "ES256"))
	rotated := sign(t, jose.ES256, "ec-2", ti.claims(map[string]any{"exp": ti.clock.Now().Add(2 * time.Hour).Unix()}))
	if _, err := v.Verify(ctx, rotated); !errors.Is(err, ErrUnknownKey) {
		t.Fatalf("Verify(new kid, 0s after the last fetch) = %v, want ErrUnknownKey (rate-limited)", err)
	}
	expectHits("unknown kid within MinRefreshInterval", 1)

	ti.clock.Advance(31 * time.Second)
	if _, err := v.Verify(ctx, rotated); err != nil {
		t.Fatalf("Verify(new kid, 31s after the last fetch) = %v, want success after one refetch", err)
	}
	expectHits("unknown kid after MinRefreshInterval", 2)

	// Made-up kids must not turn into requests to the issuer.
	for i := range 50 {
		tok := sign(t, jose.ES256, "ec-3", ti.claims(map[string]any{"jti": fmt.Sprint(i)}))
		if _, err := v.Verify(ctx, tok); !errors.Is(err, ErrUnknownKey) {
			t.Fatalf("Verify(unpublished kid #%d) = %v, want ErrUnknownKey", i, err)
		}
	}
	expectHits("50 unknown kids right after a refetch", 2)

	ti.clock.Advance(31 * time.Second)
	for range 5 {
		_, _ = v.Verify(ctx, sign(t, jose.ES256, "ec-3", ti.claims(nil)))
	}
	expectHits("5 unknown kids in the next interval", 3)
}

func TestConcurrentRequestsWithANewKidShareOneRefetch(t *testing.T) {
	ti := newTestIssuer(t, publicJWK("rsa-1", "RS256"))
	v := ti.verifier(t, nil)
	ti.serveKeys(t, publicJWK("ec-2", "ES256"))
	ti.clock.Advance(time.Minute)
	tok := sign(t, jose.ES256, "ec-2", ti.claims(nil))

	var wg sync.WaitGroup
	errs := make(chan error, 32)
	for range 32 {
		wg.Go(func() {
			if _, err := v.Verify(context.Background(), tok); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Verify(new kid) = %v, want success", err)
	}
	if got := ti.jwksHits.Load(); got != 2 {
		t.Errorf("32 concurrent Verify(new kid) fetched the JWKS %d times in total, want 2 (start + one refetch)", got)
	}
}

func TestRunRefreshesPeriodicallyUntilStopped(t *testing.T) {
	ti := newTestIssuer(t, publicJWK("rsa-1", "RS256"))
	v := ti.verifier(t, func(c *Config) { c.RefreshInterval = 5 * time.Millisecond })
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); v.Run(ctx) }()

	ti.serveKeys(t, publicJWK("rsa-1", "RS256"), publicJWK("ec-2", "ES256"))
	eventually(t, "Run publishes the rotated key and keeps fetching", func() bool {
		_, ok := v.keys.Load().lookup("ec-2")
		return ok && ti.jwksHits.Load() >= 4
	})
	// The clock has not moved, so an unknown-kid refetch would be rate-limited: success here
	// means Run's refresh supplied the key.
	if _, err := v.Verify(context.Background(), sign(t, jose.ES256, "ec-2", ti.claims(nil))); err != nil {
		t.Errorf("Verify(key published by Run) = %v, want success", err)
	}

	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context ended")
	}
	stopped := ti.jwksHits.Load()
	time.Sleep(30 * time.Millisecond)
	if got := ti.jwksHits.Load(); got != stopped {
		t.Errorf("JWKS fetched %d more times after Run returned", got-stopped)
	}
}

func TestRunKeepsCurrentKeysWhenRefreshFails(t *testing.T) {
	ti := newTestIssuer(t, publicJWK("rsa-1", "RS256"))
	v := ti.verifier(t, func(c *Config) {
		c.RefreshInterval = 5 * time.Millisecond
		c.MinRefreshInterval = 5 * time.Millisecond
	})
	ti.serveJWKS(http.StatusInternalServerError, []byte("down"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go v.Run(ctx)

	eventually(t, "Run keeps retrying a failing JWKS", func() bool { return ti.jwksHits.Load() >= 4 })
	if _, err := v.Verify(context.Background(), sign(t, jose.RS256, "rsa-1", ti.claims(nil))); err != nil {
		t.Errorf("Verify during an issuer outage = %v, want success with the keys fetched earlier", err)
	}
}

func TestNewVerifierFailsClearlyWhenIssuerUnusable(t *testing.T) {
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close()

	cases := []struct {
		name  string
		setup func(ti *testIssuer) Config
		want  string
	}{
		{"issuer unreachable", func(ti *testIssuer) Config {
			c := ti.config()
			c.Issuer = gone.URL
			return c
		}, "fetch discovery document"},
		{"discovery names another issuer", func(ti *testIssuer) Config {
			ti.discoveryIssuer = "https://other.example"
			return ti.config()
		}, `names issuer "https://other.example"`},
		{"JWKS failing", func(ti *testIssuer) Config {
			ti.serveJWKS(http.StatusBadGateway, nil)
			return ti.config()
		}, "status 502"},
		{"JWKS not JSON", func(ti *testIssuer) Config {
			ti.serveJWKS(http.StatusOK, []byte("<html>"))
			return ti.config()
		}, "decode JWKS"},
		{"JWKS without usable keys", func(ti *testIssuer) Config {
			ti.serveKeys(t, jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "oct", Algorithm: "HS256"})
			return ti.config()
		}, "no usable signing key"},
	}
	for _, tc := range cases {
		ti := newTestIssuer(t, publicJWK("rsa-1", "RS256"))
		cfg := tc.setup(ti)
		_, err := NewVerifier(context.Background(), cfg, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), cfg.Issuer) {
			t.Errorf("NewVerifier(%s) = %v, want an error naming the issuer and containing %q", tc.name, err, tc.want)
		}
	}
}

func TestNewVerifierUsesConfiguredJWKSURLWithoutDiscovery(t *testing.T) {
	ti := newTestIssuer(t, publicJWK("ec-1", "ES256"))
	v := ti.verifier(t, func(c *Config) { c.JWKSURL = ti.issuer() + "/jwks" })
	if got := ti.discoveryHits.Load(); got != 0 {
		t.Errorf("NewVerifier(JWKSURL set) fetched discovery %d times, want 0", got)
	}
	if _, err := v.Verify(context.Background(), sign(t, jose.ES256, "ec-1", ti.claims(nil))); err != nil {
		t.Errorf("Verify = %v, want success", err)
	}
}

// RFC 7517 §5: keys the verifier cannot or must not use are skipped, not fatal.
func TestKeySetSkipsUnusableKeys(t *testing.T) {
	small, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	ecPriv := testKeys()["ec-3"].(*ecdsa.PrivateKey)
	keys := []any{
		jose.JSONWebKey{Key: []byte("0123456789abcdef0123456789abcdef"), KeyID: "oct", Algorithm: "HS256"},
		jose.JSONWebKey{Key: &small.PublicKey, KeyID: "rsa-1024", Algorithm: "RS256"},
		jose.JSONWebKey{Key: testKeys()["ec-2"].Public(), KeyID: "enc", Use: "enc"},
		jose.JSONWebKey{Key: ecPriv, KeyID: "private"},
		jose.JSONWebKey{Key: testKeys()["ec-2"].Public(), KeyID: "ec-as-rs", Algorithm: "RS256"},
		map[string]string{"kty": "XYZ", "kid": "unknown-kty"},
		map[string]string{"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
		publicJWK("ec-1", "ES256"),
		publicJWK("ec-1", "ES256"), // duplicate kid: first wins
	}
	body, err := jsonx.Marshal(map[string]any{"keys": keys})
	if err != nil {
		t.Fatal(err)
	}
	ti := newTestIssuer(t)
	ti.serveJWKS(http.StatusOK, body)
	v := ti.verifier(t, nil)
	if got := v.keys.Load().kids(); !slices.Equal(got, []string{"ec-1"}) {
		t.Errorf("usable kids = %q, want [ec-1]", got)
	}
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	cfg := Config{
		Audience:   []string{""},
		Algorithms: []string{"none", "HS256", "RS1"},
		ClockSkew:  -time.Second,
		JWKSURL:    "ftp://x",
	}
	err := cfg.Validate()
	for _, want := range []string{"issuer: is required", "audience[0]", "algorithms[0]", "algorithms[1]: \"HS256\" is symmetric", "algorithms[2]", "clock_skew", "jwks_url"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(%+v) = %v, want it to mention %q", cfg, err, want)
		}
	}
	if _, err := NewVerifier(context.Background(), Config{Issuer: "https://x.example"}, slog.New(slog.DiscardHandler)); err == nil || !strings.Contains(err.Error(), "audience") {
		t.Errorf("NewVerifier(no audience) = %v, want an audience error before any fetch", err)
	}
}

func TestNewVerifierAppliesDefaults(t *testing.T) {
	ti := newTestIssuer(t, publicJWK("rsa-1", "RS256"))
	v := ti.verifier(t, nil)
	c := v.cfg
	if !slices.Equal(c.Algorithms, []string{"RS256", "ES256"}) || c.ClockSkew != time.Minute ||
		c.RefreshInterval != 15*time.Minute || c.MinRefreshInterval != 30*time.Second ||
		c.GroupsClaim != "groups" || c.HTTPClient == nil {
		t.Errorf("defaults = algs %v skew %s refresh %s min %s groups %q client %v", c.Algorithms, c.ClockSkew,
			c.RefreshInterval, c.MinRefreshInterval, c.GroupsClaim, c.HTTPClient)
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
