// Package oidc verifies bearer JWTs minted by one configured OpenID Connect issuer. The
// gateway's authentication step (internal/auth, internal/gateway, internal/server) imports it;
// provider packages must not.
//
// A Verifier fetches the issuer's discovery document and JWKS once at start, keeps the key
// set in an atomic.Pointer that its owner refreshes through Run, and verifies tokens without
// a lock or network I/O. The one exception is a token whose kid is unknown: that triggers a
// single synchronous refetch, at most once per MinRefreshInterval, so a key rotation is
// picked up at once while made-up kids cannot make the gateway hammer the issuer.
//
// Checks, in order: size bound; compact JWS syntax; alg in the allow-list (never "none" or
// HS*); key by kid; alg fits the key's type, curve and own alg; signature; exp present;
// iss equal to Config.Issuer byte for byte; aud naming a configured audience; exp, nbf and
// iat within ClockSkew. Each failure wraps one sentinel error (ErrExpired, ...).
//
// JOSE library: github.com/go-jose/go-jose/v4 (v4.1.9), chosen over
// github.com/lestrrat-go/jwx/v3 because it does only JOSE and has no dependencies of its own
// (jwx brings an HTTP cache, a fetch framework and several helper modules), because its
// parser takes the allowed algorithms as a required argument, which shuts out "none" and
// RS/HS confusion before any key is chosen, and because it is the code that
// coreos/go-oidc, Dex and Kubernetes already trust for this exact job. go-jose parses the
// JWS and JWKs and runs the signature check; claims are validated here, with jsonx, so each
// failure maps to a sentinel and the hot path decodes the payload once.
package oidc
