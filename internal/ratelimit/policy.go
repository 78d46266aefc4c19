package ratelimit

import "fmt"

// Limits are per-minute request and token limits and a cap on requests in flight; zero means
// no limit of that kind.
type Limits struct {
	RPM         int64
	TPM         int64
	Concurrency int64
}

// IsZero reports whether nothing is limited.
func (l Limits) IsZero() bool { return l == Limits{} }

// over fills l's unset fields from def.
func (l Limits) over(def Limits) Limits {
	if l.RPM == 0 {
		l.RPM = def.RPM
	}
	if l.TPM == 0 {
		l.TPM = def.TPM
	}
	if l.Concurrency == 0 {
		l.Concurrency = def.Concurrency
	}
	return l
}

// Policy is the configured limits, read-only once built and swapped whole on reload.
type Policy struct {
	// Default applies to every key (each key on its own) for what the key does not set itself.
	Default Limits
	// Teams are shared by all keys of a team, by team name; Users by all keys of a user, by
	// user id or email.
	Teams map[string]Limits
	Users map[string]Limits
	// Models limit each key's use of one requested model, by model name.
	Models map[string]Limits
}

// Scope is what a limit is counted over.
type Scope uint8

// Scopes, in the order they are checked.
const (
	ScopeKey Scope = iota
	ScopeUser
	ScopeTeam
	ScopeModel
	numScopes
)

// Scopes lists every scope, for metrics.
var Scopes = [numScopes]Scope{ScopeKey, ScopeUser, ScopeTeam, ScopeModel}

func (s Scope) String() string {
	switch s {
	case ScopeKey:
		return "key"
	case ScopeUser:
		return "user"
	case ScopeTeam:
		return "team"
	case ScopeModel:
		return "model"
	}
	return "unknown"
}

// Request is who asks, for what, at what estimated size.
type Request struct {
	// Key identifies the caller: a key id, else a user, else the kind of principal.
	Key string
	// KeyLimits are the key's own limits (its stored rpm and tpm); unset fields take the
	// policy's default.
	KeyLimits Limits
	User      string
	UserEmail string
	Team      string
	Model     string
	// Tokens is the estimated size charged up front against token limits.
	Tokens int64
}

// limitsFor lists the scopes that limit req, with their limits; n is how many.
func (p *Policy) limitsFor(req *Request, out *[numScopes]scoped) int {
	n := 0
	add := func(s Scope, id, model string, l Limits) {
		if !l.IsZero() {
			out[n] = scoped{scope: s, id: id, model: model, limits: l}
			n++
		}
	}
	def := Limits{}
	if p != nil {
		def = p.Default
	}
	add(ScopeKey, req.Key, "", req.KeyLimits.over(def))
	if p == nil {
		return n
	}
	if req.User != "" {
		if l, ok := p.Users[req.User]; ok {
			add(ScopeUser, req.User, "", l)
		} else if l, ok := p.Users[req.UserEmail]; ok && req.UserEmail != "" {
			add(ScopeUser, req.User, "", l)
		}
	}
	if req.Team != "" {
		if l, ok := p.Teams[req.Team]; ok {
			add(ScopeTeam, req.Team, "", l)
		}
	}
	if l, ok := p.Models[req.Model]; ok {
		add(ScopeModel, req.Key, req.Model, l)
	}
	return n
}

// scoped is one applicable limit.
type scoped struct {
	scope     Scope
	id, model string
	limits    Limits
}

// MarshalText names the scope, for the consumption reports nodes exchange.
func (s Scope) MarshalText() ([]byte, error) {
	if s >= numScopes {
		return nil, fmt.Errorf("ratelimit: unknown scope %d", s)
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a scope's name.
func (s *Scope) UnmarshalText(b []byte) error {
	for _, x := range Scopes {
		if string(b) == x.String() {
			*s = x
			return nil
		}
	}
	return fmt.Errorf("ratelimit: unknown scope %q", b)
}
