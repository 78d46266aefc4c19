package oidc

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// Verifier checks bearer tokens of one issuer. It is safe for concurrent use; Verify does no
// network I/O except the rate-limited refetch on an unknown kid.
type Verifier struct {
	cfg     Config
	algs    []jose.SignatureAlgorithm
	allowed string // cfg.Algorithms joined, for error messages
	jwksURL string
	log     *slog.Logger
	now     func() time.Time

	keys atomic.Pointer[keySet]

	// fetching is a one-slot semaphore that serializes key-set fetches. It is a channel rather
	// than a mutex so that a request waiting behind a refetch can leave when its context ends.
	fetching  chan struct{}
	lastFetch time.Time // guarded by fetching
}

// maxTokenBytes bounds the decoding work an unauthenticated caller can demand. Tokens with
// a few hundred groups stay well under it.
const maxTokenBytes = 64 << 10

// refetchTimeout bounds the synchronous refetch that an unknown kid triggers, whatever the
// configured client's own timeout is, since a request is waiting on it.
const refetchTimeout = 10 * time.Second

// NewVerifier validates cfg, discovers the JWKS URL (unless cfg.JWKSURL is set) and fetches
// the key set once. It fails if the issuer is unreachable, so a gateway that cannot
// authenticate anyone does not start. Call Run to keep the keys fresh.
func NewVerifier(ctx context.Context, cfg Config, log *slog.Logger) (*Verifier, error) {
	return newVerifier(ctx, cfg, log, time.Now)
}

// newVerifier takes the clock so tests can step past MinRefreshInterval without sleeping.
func newVerifier(ctx context.Context, cfg Config, log *slog.Logger, now func() time.Time) (*Verifier, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("oidc: invalid config: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg = cfg.withDefaults()
	v := &Verifier{
		cfg:      cfg,
		algs:     cfg.joseAlgorithms(),
		allowed:  strings.Join(cfg.Algorithms, ", "),
		jwksURL:  cfg.JWKSURL,
		log:      log,
		now:      now,
		fetching: make(chan struct{}, 1),
	}
	if v.jwksURL == "" {
		u, err := v.discover(ctx)
		if err != nil {
			return nil, fmt.Errorf("oidc: issuer %q: %w", cfg.Issuer, err)
		}
		v.jwksURL = u
	}
	if plainHTTPRemote(v.jwksURL) {
		log.Warn("oidc: JWKS is fetched over plain HTTP; anyone on the path can substitute keys", "issuer", cfg.Issuer, "jwks_url", v.jwksURL)
	}
	if err := v.fetchKeys(ctx); err != nil {
		return nil, fmt.Errorf("oidc: issuer %q: %w", cfg.Issuer, err)
	}
	log.Info("oidc: verifier ready", "issuer", cfg.Issuer, "jwks_url", v.jwksURL, "kids", v.keys.Load().kids())
	return v, nil
}

// Run refetches the key set every RefreshInterval until ctx ends. After a failed fetch it
// retries after MinRefreshInterval instead, so a short issuer outage during a key rotation
// does not leave the old keys in place for a whole interval.
func (v *Verifier) Run(ctx context.Context) {
	t := time.NewTimer(v.cfg.RefreshInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		next := v.cfg.RefreshInterval
		if err := v.refresh(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			v.log.Warn("oidc: key set refresh failed; keeping the current keys", "issuer", v.cfg.Issuer, "err", err)
			next = min(next, v.cfg.MinRefreshInterval)
		}
		t.Reset(next)
	}
}

func (v *Verifier) refresh(ctx context.Context) error {
	select {
	case v.fetching <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-v.fetching }()
	return v.fetchKeys(ctx)
}

// Verify checks a compact JWS bearer token (without the "Bearer " prefix) and returns its
// claims. Errors wrap one of the package's sentinels and never contain the token.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Claims, error) {
	if len(raw) > maxTokenBytes {
		return nil, fmt.Errorf("%w: token exceeds %d bytes", ErrMalformed, maxTokenBytes)
	}
	// Passing the allowed algorithms to the parser rejects "none", HS* and anything else
	// unconfigured before any key is chosen: the alg-confusion attacks need that choice.
	jws, err := jose.ParseSignedCompact(raw, v.algs)
	if err != nil {
		if algErr, ok := errors.AsType[*jose.ErrUnexpectedSignatureAlgorithm](err); ok {
			return nil, fmt.Errorf("%w: token alg %q (allowed: %s)", ErrAlgorithm, echo(string(algErr.Got)), v.allowed)
		}
		return nil, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	hdr := jws.Signatures[0].Header // compact serialization has exactly one signature
	key, err := v.key(ctx, hdr.KeyID)
	if err != nil {
		return nil, err
	}
	if (key.alg != "" && key.alg != hdr.Algorithm) || !keyFits(hdr.Algorithm, key.pub) {
		return nil, fmt.Errorf("%w: token alg %q does not fit key %q", ErrAlgorithm, hdr.Algorithm, echo(key.kid))
	}
	payload, err := jws.Verify(key.pub)
	if err != nil {
		return nil, fmt.Errorf("%w: key %q", ErrBadSignature, echo(key.kid))
	}
	return v.claims(payload, v.now())
}

// key finds the token's key, refetching the set once if the kid is new: issuers publish a
// rotated key shortly before signing with it, so an unknown kid usually means our copy is
// stale.
func (v *Verifier) key(ctx context.Context, kid string) (*verifyKey, error) {
	ks := v.keys.Load()
	if k, ok := ks.lookup(kid); ok {
		return k, nil
	}
	if kid == "" {
		return nil, fmt.Errorf("%w: token has no kid and the issuer publishes %d keys", ErrUnknownKey, len(ks.byKID))
	}
	k, err := v.refetchFor(ctx, kid)
	if err != nil {
		return nil, fmt.Errorf("%w: kid %q: %w", ErrUnknownKey, echo(kid), err)
	}
	if k == nil {
		return nil, fmt.Errorf("%w: kid %q", ErrUnknownKey, echo(kid))
	}
	return k, nil
}

// refetchFor fetches the key set unless another fetch ran within MinRefreshInterval, which
// caps the load that tokens with made-up kids can put on the issuer at one request per
// interval, whatever the request rate. It returns a nil key if the kid is still unknown.
func (v *Verifier) refetchFor(ctx context.Context, kid string) (*verifyKey, error) {
	select {
	case v.fetching <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-v.fetching }()
	// Requests carrying the new kid queue here together; the first one's fetch serves all.
	if k, ok := v.keys.Load().lookup(kid); ok {
		return k, nil
	}
	if v.now().Sub(v.lastFetch) < v.cfg.MinRefreshInterval {
		return nil, errRateLimited
	}
	// Detached from the request so that one client hanging up does not waste the
	// refetch that the next request with this kid would need.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), refetchTimeout)
	defer cancel()
	if err := v.fetchKeys(fctx); err != nil {
		v.log.Warn("oidc: key set refetch for unknown kid failed", "issuer", v.cfg.Issuer, "err", err)
		return nil, err
	}
	k, _ := v.keys.Load().lookup(kid)
	return k, nil
}
