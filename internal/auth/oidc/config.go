package oidc

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Config describes one OpenID Connect issuer whose tokens the gateway accepts. The zero value
// of every optional field means "use the default".
type Config struct {
	// Issuer is compared byte for byte with the token's iss claim and with the issuer member of
	// the discovery document (OpenID Connect Discovery 1.0 §4.3), so it must be written exactly
	// as the provider spells it, trailing slash included or not.
	Issuer string
	// Audience lists the accepted aud values; a token must name at least one. It is required:
	// without it any token the issuer minted for any other client would be accepted here.
	Audience []string
	// JWKSURL overrides discovery, for issuers that publish no discovery document.
	JWKSURL string
	// Algorithms accepted in the token's alg header. Default RS256 and ES256. Only asymmetric
	// algorithms are allowed: the keys come from a public JWKS, and accepting HS* would let
	// anyone who reads that JWKS mint tokens.
	Algorithms []string
	// ClockSkew tolerated on exp, nbf and iat. Default 60s.
	ClockSkew time.Duration
	// RefreshInterval between background refetches of the key set. Default 15m.
	RefreshInterval time.Duration
	// MinRefreshInterval is the least time between two fetches of the key set. A token with an
	// unknown kid triggers a synchronous refetch (the issuer may have rotated keys), and this
	// bound stops a caller from turning random kids into a flood of requests to the issuer.
	// Default 30s.
	MinRefreshInterval time.Duration
	// GroupsClaim names the claim mapped to Claims.Groups. Default "groups".
	GroupsClaim string
	// RoleClaim names the claim mapped to Claims.Roles, e.g. "roles". Empty: no roles.
	RoleClaim string
	// HTTPClient fetches discovery and JWKS. Default: a client with a 10s timeout.
	HTTPClient *http.Client
}

const (
	defaultClockSkew          = 60 * time.Second
	defaultRefreshInterval    = 15 * time.Minute
	defaultMinRefreshInterval = 30 * time.Second
	defaultGroupsClaim        = "groups"
	defaultHTTPTimeout        = 10 * time.Second
)

var defaultAlgorithms = []string{"RS256", "ES256"}

// supportedAlgorithms are the asymmetric JWS algorithms this package can match to a JWK.
// HS256/384/512 and "none" are absent on purpose (see Config.Algorithms).
var supportedAlgorithms = map[string]bool{
	"RS256": true, "RS384": true, "RS512": true,
	"PS256": true, "PS384": true, "PS512": true,
	"ES256": true, "ES384": true, "ES512": true,
	"EdDSA": true,
}

// Validate reports every problem at once, each prefixed with the field it concerns. Zero
// values are not problems: they select defaults.
func (c *Config) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if c.Issuer == "" {
		add("issuer", "is required")
	} else if !isHTTPURL(c.Issuer) {
		add("issuer", "must be an absolute http(s) URL, got %q", c.Issuer)
	}
	if c.JWKSURL != "" && !isHTTPURL(c.JWKSURL) {
		add("jwks_url", "must be an absolute http(s) URL, got %q", c.JWKSURL)
	}
	if len(c.Audience) == 0 {
		add("audience", "at least one audience is required")
	}
	for i, a := range c.Audience {
		if a == "" {
			add(fmt.Sprintf("audience[%d]", i), "must not be empty")
		}
	}
	for i, a := range c.Algorithms {
		field := fmt.Sprintf("algorithms[%d]", i)
		switch {
		case strings.EqualFold(a, "none"):
			add(field, `"none" would accept unsigned tokens`)
		case strings.HasPrefix(strings.ToUpper(a), "HS"):
			add(field, "%q is symmetric: anyone holding the public JWKS could forge tokens", a)
		case !supportedAlgorithms[a]:
			add(field, "unsupported algorithm %q (supported: RS256/384/512, PS256/384/512, ES256/384/512, EdDSA)", a)
		}
	}
	for _, d := range []struct {
		field string
		v     time.Duration
	}{
		{"clock_skew", c.ClockSkew},
		{"refresh_interval", c.RefreshInterval},
		{"min_refresh_interval", c.MinRefreshInterval},
	} {
		if d.v < 0 {
			add(d.field, "must not be negative")
		}
	}
	return errors.Join(errs...)
}

func isHTTPURL(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// withDefaults returns a copy with every zero optional field filled in.
func (c Config) withDefaults() Config {
	if len(c.Algorithms) == 0 {
		c.Algorithms = defaultAlgorithms
	}
	if c.ClockSkew == 0 {
		c.ClockSkew = defaultClockSkew
	}
	if c.RefreshInterval == 0 {
		c.RefreshInterval = defaultRefreshInterval
	}
	if c.MinRefreshInterval == 0 {
		c.MinRefreshInterval = defaultMinRefreshInterval
	}
	if c.GroupsClaim == "" {
		c.GroupsClaim = defaultGroupsClaim
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	// Copy the slices so a caller mutating its Config cannot change a running Verifier.
	c.Audience = append([]string(nil), c.Audience...)
	c.Algorithms = append([]string(nil), c.Algorithms...)
	return c
}

func (c *Config) joseAlgorithms() []jose.SignatureAlgorithm {
	out := make([]jose.SignatureAlgorithm, len(c.Algorithms))
	for i, a := range c.Algorithms {
		out[i] = jose.SignatureAlgorithm(a)
	}
	return out
}
