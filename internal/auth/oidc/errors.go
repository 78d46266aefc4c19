package oidc

import "errors"

// Verify wraps exactly one of these with context; callers branch with errors.Is. No message
// ever contains the token, so errors may be logged as they are. Header values that reach a
// message (alg, kid) are quoted and truncated, since they are attacker-controlled.
var (
	// ErrMalformed: not a compact JWS, undecodable base64 or JSON, a required claim (exp)
	// missing, or a claim of the wrong type.
	ErrMalformed = errors.New("oidc: malformed token")
	// ErrUnknownKey: no key in the issuer's key set has the token's kid, even after the
	// rate-limited refetch.
	ErrUnknownKey = errors.New("oidc: unknown signing key")
	// ErrBadSignature: the signature does not verify with the issuer's key.
	ErrBadSignature = errors.New("oidc: bad signature")
	// ErrExpired: exp is in the past, beyond the clock skew.
	ErrExpired = errors.New("oidc: token expired")
	// ErrNotYetValid: nbf or iat is in the future, beyond the clock skew.
	ErrNotYetValid = errors.New("oidc: token not yet valid")
	// ErrWrongIssuer: iss is not the configured issuer.
	ErrWrongIssuer = errors.New("oidc: wrong issuer")
	// ErrWrongAudience: aud names none of the configured audiences.
	ErrWrongAudience = errors.New("oidc: wrong audience")
	// ErrAlgorithm: alg is not allowed, or does not fit the key (type, curve or the key's own
	// alg).
	ErrAlgorithm = errors.New("oidc: algorithm not allowed")
)

// maxEcho bounds how much of an attacker-chosen header value goes into an error message.
const maxEcho = 64

func echo(s string) string {
	if len(s) > maxEcho {
		return s[:maxEcho] + "..."
	}
	return s
}
