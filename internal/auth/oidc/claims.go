package oidc

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/sluicehq/sluice/internal/jsonx"
)

// Claims is what a verified token says about its bearer.
type Claims struct {
	Subject string
	// Email is as the issuer asserted it; whether the issuer verified it is
	// Raw["email_verified"], which matters before using Email to grant access.
	Email string
	Name  string
	// Groups and Roles come from Config.GroupsClaim and Config.RoleClaim; a single string is
	// read as a one-element list, since issuers emit both forms.
	Groups    []string
	Roles     []string
	ExpiresAt time.Time
	// Raw holds every claim as decoded JSON (numbers are float64), for policies that need a
	// claim this struct does not name.
	Raw map[string]any
}

// claims decodes and checks the payload of a token whose signature has been verified.
func (v *Verifier) claims(payload []byte, now time.Time) (*Claims, error) {
	var raw map[string]any
	// jsonx (encoding/json/v2) rejects duplicate names, so a payload cannot carry two iss or
	// aud members that different parsers would read differently.
	if err := jsonx.Unmarshal(payload, &raw); err != nil {
		return nil, fmt.Errorf("%w: claims: %w", ErrMalformed, err)
	}
	if raw == nil {
		return nil, fmt.Errorf("%w: claims are not a JSON object", ErrMalformed)
	}
	exp, ok, err := numericDate(raw, "exp")
	if err != nil {
		return nil, err
	}
	// A token without exp never expires; the gateway does not accept those from anyone.
	if !ok {
		return nil, fmt.Errorf("%w: missing exp claim", ErrMalformed)
	}
	if iss, _ := raw["iss"].(string); iss != v.cfg.Issuer {
		return nil, fmt.Errorf("%w: iss %q, want %q", ErrWrongIssuer, echo(iss), v.cfg.Issuer)
	}
	if err := v.checkAudience(raw["aud"]); err != nil {
		return nil, err
	}
	if err := v.checkTimes(raw, exp, now); err != nil {
		return nil, err
	}

	c := &Claims{ExpiresAt: exp, Raw: raw}
	for _, f := range []struct {
		name string
		dst  *string
	}{{"sub", &c.Subject}, {"email", &c.Email}, {"name", &c.Name}} {
		if val, present := raw[f.name]; present {
			s, ok := val.(string)
			if !ok {
				return nil, fmt.Errorf("%w: %s claim is not a string", ErrMalformed, f.name)
			}
			*f.dst = s
		}
	}
	if c.Groups, err = stringList(raw, v.cfg.GroupsClaim); err != nil {
		return nil, err
	}
	if v.cfg.RoleClaim != "" {
		if c.Roles, err = stringList(raw, v.cfg.RoleClaim); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// checkAudience accepts aud as a string or an array of strings (RFC 7519 §4.1.3).
func (v *Verifier) checkAudience(aud any) error {
	switch a := aud.(type) {
	case nil:
		return fmt.Errorf("%w: no aud claim", ErrWrongAudience)
	case string:
		if slices.Contains(v.cfg.Audience, a) {
			return nil
		}
	case []any:
		for _, e := range a {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("%w: aud array holds a non-string", ErrMalformed)
			}
			if slices.Contains(v.cfg.Audience, s) {
				return nil
			}
		}
	default:
		return fmt.Errorf("%w: aud claim is neither a string nor an array", ErrMalformed)
	}
	return fmt.Errorf("%w: aud names none of the configured audiences", ErrWrongAudience)
}

func (v *Verifier) checkTimes(raw map[string]any, exp, now time.Time) error {
	skew := v.cfg.ClockSkew
	// RFC 7519 §4.1.4: the token must not be accepted on or after exp.
	if !now.Before(exp.Add(skew)) {
		return fmt.Errorf("%w: exp %s is before %s (skew %s)", ErrExpired, exp.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), skew)
	}
	for _, name := range []string{"nbf", "iat"} {
		t, ok, err := numericDate(raw, name)
		if err != nil {
			return err
		}
		// A future iat is no standard rule, but such a token was minted by a clock we should
		// not trust, or pre-minted for later use.
		if ok && now.Add(skew).Before(t) {
			return fmt.Errorf("%w: %s %s is after %s (skew %s)", ErrNotYetValid, name, t.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339), skew)
		}
	}
	return nil
}

// maxNumericDate keeps float64 seconds exact and far from int64 overflow in time.Unix.
const maxNumericDate = 1 << 53

// numericDate reads an RFC 7519 NumericDate: seconds since the epoch, possibly fractional.
func numericDate(raw map[string]any, name string) (time.Time, bool, error) {
	v, present := raw[name]
	if !present {
		return time.Time{}, false, nil
	}
	f, ok := v.(float64)
	if !ok || math.IsNaN(f) || math.Abs(f) > maxNumericDate {
		return time.Time{}, false, fmt.Errorf("%w: %s claim is not a NumericDate", ErrMalformed, name)
	}
	sec, frac := math.Modf(f)
	return time.Unix(int64(sec), int64(frac*1e9)), true, nil
}

// stringList reads a claim holding a string or an array of strings. Anything else fails the
// token rather than being skipped, since a policy must not see fewer groups than were sent.
func stringList(raw map[string]any, name string) ([]string, error) {
	switch v := raw[name].(type) {
	case nil:
		return nil, nil
	case string:
		return []string{v}, nil
	case []any:
		out := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%w: %s claim holds a non-string", ErrMalformed, name)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: %s claim is neither a string nor an array of strings", ErrMalformed, name)
}
