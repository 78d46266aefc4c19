package oidc

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/go-jose/go-jose/v4"

	"github.com/sluicehq/sluice/internal/jsonx"
)

// verifyKey is one usable public key from the issuer's JWKS.
type verifyKey struct {
	kid string
	alg string // the JWK's own alg member; "" allows any algorithm that fits the key type
	pub any    // *rsa.PublicKey, *ecdsa.PublicKey or ed25519.PublicKey
}

// keySet is immutable once published through Verifier.keys, so Verify reads it without a lock.
type keySet struct {
	byKID map[string]*verifyKey
	// sole is set when the set has exactly one key. It serves tokens without a kid, which
	// single-key issuers sometimes mint; with several keys such a token is ambiguous.
	sole *verifyKey
}

func (ks *keySet) lookup(kid string) (*verifyKey, bool) {
	if kid == "" {
		return ks.sole, ks.sole != nil
	}
	k, ok := ks.byKID[kid]
	return k, ok
}

func (ks *keySet) kids() []string {
	out := make([]string, 0, len(ks.byKID))
	for kid := range ks.byKID {
		out = append(out, kid)
	}
	slices.Sort(out)
	return out
}

// minRSABits rejects keys that no current issuer should publish (NIST SP 800-131A).
const minRSABits = 2048

// maxDocumentBytes bounds discovery and JWKS bodies; real ones are a few KiB.
const maxDocumentBytes = 1 << 20

// parseKeySet keeps every key it can use and logs the others: RFC 7517 §5 asks implementations
// to ignore keys they do not understand rather than reject the whole set, and issuers do
// publish encryption keys and new key types next to their signing keys.
func (v *Verifier) parseKeySet(raw []jsonx.Value) (*keySet, error) {
	ks := &keySet{byKID: make(map[string]*verifyKey, len(raw))}
	usable := 0
	var last *verifyKey
	for i, r := range raw {
		k, err := parseKey(r)
		if err != nil {
			v.log.Warn("oidc: ignoring JWKS key", "issuer", v.cfg.Issuer, "index", i, "reason", err)
			continue
		}
		if k.kid != "" {
			if _, dup := ks.byKID[k.kid]; dup {
				v.log.Warn("oidc: ignoring JWKS key with duplicate kid", "issuer", v.cfg.Issuer, "index", i, "kid", k.kid)
				continue
			}
			ks.byKID[k.kid] = k
		}
		usable++
		last = k
	}
	if usable == 0 {
		return nil, fmt.Errorf("no usable signing key among %d keys (each skipped key is logged)", len(raw))
	}
	if usable == 1 {
		ks.sole = last
	}
	return ks, nil
}

func parseKey(raw []byte) (*verifyKey, error) {
	var jwk jose.JSONWebKey
	// UnmarshalJSON accepts private keys; IsPublic below rejects them instead of deriving
	// the public half, because a JWKS that publishes private material lets anyone sign.
	if err := jwk.UnmarshalJSON(raw); err != nil {
		return nil, err
	}
	if jwk.Use != "" && jwk.Use != "sig" {
		return nil, fmt.Errorf("kid %q: use %q is not sig", jwk.KeyID, jwk.Use)
	}
	if _, symmetric := jwk.Key.([]byte); symmetric {
		return nil, fmt.Errorf("kid %q: symmetric key", jwk.KeyID)
	}
	if !jwk.IsPublic() {
		return nil, fmt.Errorf("kid %q: the JWKS publishes private key material; rotate this key", jwk.KeyID)
	}
	if !jwk.Valid() {
		return nil, fmt.Errorf("kid %q: incomplete key", jwk.KeyID)
	}
	switch pub := jwk.Key.(type) {
	case *rsa.PublicKey:
		if pub.N.BitLen() < minRSABits {
			return nil, fmt.Errorf("kid %q: RSA key of %d bits is below %d", jwk.KeyID, pub.N.BitLen(), minRSABits)
		}
	case *ecdsa.PublicKey, ed25519.PublicKey:
	default:
		return nil, fmt.Errorf("kid %q: unsupported key type %T", jwk.KeyID, pub)
	}
	if jwk.Algorithm != "" && !keyFits(jwk.Algorithm, jwk.Key) {
		return nil, fmt.Errorf("kid %q: alg %q does not fit its key", jwk.KeyID, jwk.Algorithm)
	}
	return &verifyKey{kid: jwk.KeyID, alg: jwk.Algorithm, pub: jwk.Key}, nil
}

// keyFits reports whether a JWS algorithm can be verified with pub. go-jose checks this too,
// but only as a crypto failure; checking first lets a confused token fail as ErrAlgorithm.
func keyFits(alg string, pub any) bool {
	switch alg {
	case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512":
		_, ok := pub.(*rsa.PublicKey)
		return ok
	case "ES256":
		return onCurve(pub, elliptic.P256())
	case "ES384":
		return onCurve(pub, elliptic.P384())
	case "ES512":
		return onCurve(pub, elliptic.P521())
	case "EdDSA":
		_, ok := pub.(ed25519.PublicKey)
		return ok
	}
	return false
}

func onCurve(pub any, c elliptic.Curve) bool {
	k, ok := pub.(*ecdsa.PublicKey)
	return ok && k.Curve == c
}

// discover reads jwks_uri from the discovery document. It runs once, at start: providers do
// not move their JWKS without notice, and one request per refresh would be wasted.
func (v *Verifier) discover(ctx context.Context) (string, error) {
	u := strings.TrimSuffix(v.cfg.Issuer, "/") + "/.well-known/openid-configuration"
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, "discovery document", u, &doc); err != nil {
		return "", err
	}
	// OpenID Connect Discovery 1.0 §4.3: a mismatch means the document belongs to another
	// issuer (or a misconfigured proxy), and its keys must not be trusted for this one.
	if doc.Issuer != v.cfg.Issuer {
		return "", fmt.Errorf("discovery document %s names issuer %q, want exactly %q", u, doc.Issuer, v.cfg.Issuer)
	}
	if !isHTTPURL(doc.JWKSURI) {
		return "", fmt.Errorf("discovery document %s: jwks_uri %q is not an absolute http(s) URL", u, doc.JWKSURI)
	}
	return doc.JWKSURI, nil
}

// fetchKeys downloads the JWKS and publishes it. The caller holds v.fetching (or, in
// newVerifier, owns v alone). A failed fetch keeps the current keys: an issuer outage must
// not log everybody out.
func (v *Verifier) fetchKeys(ctx context.Context) error {
	v.lastFetch = v.now()
	var doc struct {
		Keys []jsonx.Value `json:"keys"`
	}
	if err := v.getJSON(ctx, "JWKS", v.jwksURL, &doc); err != nil {
		return err
	}
	ks, err := v.parseKeySet(doc.Keys)
	if err != nil {
		return fmt.Errorf("JWKS %s: %w", v.jwksURL, err)
	}
	old := v.keys.Swap(ks)
	if old != nil && !slices.Equal(old.kids(), ks.kids()) {
		v.log.Info("oidc: signing keys changed", "issuer", v.cfg.Issuer, "kids", ks.kids())
	}
	return nil
}

func (v *Verifier) getJSON(ctx context.Context, what, u string, into any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", what, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.cfg.HTTPClient.Do(req)
	if err != nil {
		return fmt.Errorf("fetch %s: %w", what, err) // *url.Error already names the URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("fetch %s %s: status %s", what, u, resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxDocumentBytes+1))
	if err != nil {
		return fmt.Errorf("fetch %s %s: %w", what, u, err)
	}
	if len(body) > maxDocumentBytes {
		return fmt.Errorf("fetch %s %s: body exceeds %d bytes", what, u, maxDocumentBytes)
	}
	if err := jsonx.Unmarshal(body, into); err != nil {
		return fmt.Errorf("decode %s %s: %w", what, u, err)
	}
	return nil
}

// errRateLimited is internal: Verify reports it as ErrUnknownKey.
var errRateLimited = errors.New("key set refetch rate-limited")

// plainHTTPRemote reports a non-loopback http:// URL. Keys fetched that way can be swapped by
// anyone on the path, which turns into forged tokens; it is allowed (in-cluster issuers are
// often plain HTTP) but logged.
func plainHTTPRemote(u string) bool {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "http" {
		return false
	}
	host := p.Hostname()
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}
