package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth/oidc"
	"github.com/sluicehq/sluice/internal/store"
)

// byJWT authenticates a bearer JWT. Verifying a signature costs tens of microseconds, so a
// verified token's principal is cached by the token's digest until the token expires.
func (a *Authenticator) byJWT(ctx context.Context, token string) (*Principal, error) {
	key := sha256.Sum256([]byte(token))
	now := time.Now()
	if p, ok := a.jwts.get(key, now); ok {
		return p, nil
	}
	claims, err := a.cfg.Verifier.Verify(ctx, token)
	if err != nil {
		return nil, api.NewError("invalid_token", "The bearer token was rejected: "+tokenProblem(err)+".", err)
	}
	p := a.principalFromClaims(claims)
	a.jwts.put(key, p, claims.ExpiresAt)
	return p, nil
}

func tokenProblem(err error) string {
	for _, c := range []struct {
		err  error
		text string
	}{
		{oidc.ErrExpired, "it has expired"},
		{oidc.ErrNotYetValid, "it is not valid yet"},
		{oidc.ErrWrongIssuer, "it was issued by another issuer"},
		{oidc.ErrWrongAudience, "it was issued for another audience"},
		{oidc.ErrUnknownKey, "it is signed with an unknown key"},
		{oidc.ErrBadSignature, "its signature is invalid"},
		{oidc.ErrAlgorithm, "its signing algorithm is not accepted"},
	} {
		if errors.Is(err, c.err) {
			return c.text
		}
	}
	return "it is malformed"
}

var roleRank = map[store.Role]int{store.RoleViewer: 1, store.RoleMember: 2, store.RoleTeamAdmin: 3, store.RoleAdmin: 4}

// principalFromClaims maps an IdP identity: groups to teams and roles through the config, so
// membership and roles follow the IdP; a user record with the same e-mail adds its own.
func (a *Authenticator) principalFromClaims(c *oidc.Claims) *Principal {
	idx := a.idx.Load()
	p := &Principal{Kind: KindJWT, Email: c.Email, UserID: c.Subject, Role: store.RoleMember}
	if u := idx.usersByMail[c.Email]; u != nil && c.Email != "" && emailVerified(c) {
		p.UserID, p.Role, p.Teams = u.ID, u.Role, append(p.Teams, u.TeamIDs...)
	}
	for _, g := range append(append([]string(nil), c.Groups...), c.Roles...) {
		if name, ok := a.cfg.GroupTeams[g]; ok {
			if t := idx.teamsByName[name]; t != nil {
				p.Teams = append(p.Teams, t.ID)
			}
		}
		if r, ok := a.cfg.GroupRoles[g]; ok && roleRank[r] > roleRank[p.Role] {
			p.Role = r
		}
	}
	if len(p.Teams) > 0 {
		p.TeamID = p.Teams[0]
		if t := idx.teamsByID[p.TeamID]; t != nil {
			p.TeamName, p.teamModels = t.Name, teamModels(t)
			p.teamLogBodies = t.Metadata[LogBodiesKey]
		}
	}
	return p
}

// emailVerified: an unverified e-mail must not inherit a stored user's role.
func emailVerified(c *oidc.Claims) bool {
	v, ok := c.Raw["email_verified"].(bool)
	return !ok || v
}

// maxCachedTokens bounds the JWT cache; at the bound it starts over rather than tracking age.
const maxCachedTokens = 10000

type cachedToken struct {
	p   *Principal
	exp time.Time
}

// jwtCache is a bounded map of verified tokens; sync.Map suits its read-mostly traffic.
type jwtCache struct {
	m atomic.Pointer[sync.Map]
	n atomic.Int64
}

func (c *jwtCache) get(key [32]byte, now time.Time) (*Principal, bool) {
	m := c.m.Load()
	if m == nil {
		return nil, false
	}
	v, ok := m.Load(key)
	if !ok || !now.Before(v.(cachedToken).exp) {
		return nil, false
	}
	return v.(cachedToken).p, true
}

func (c *jwtCache) put(key [32]byte, p *Principal, exp time.Time) {
	m := c.m.Load()
	if m == nil || c.n.Add(1) > maxCachedTokens {
		m = new(sync.Map)
		c.m.Store(m)
		c.n.Store(1)
	}
	m.Store(key, cachedToken{p: p, exp: exp})
}

func (c *jwtCache) clear() { c.m.Store(nil) }
