package config

// RateLimits are per-minute request and token limits and concurrency caps. Every applicable
// limit is enforced; the most restrictive decides and is the one the response headers report.
type RateLimits struct {
	// Default applies to each key on its own, for what the key does not set itself (a key's
	// rpm and tpm are stored with it); it also covers JWT users and anonymous callers.
	Default RateLimit `yaml:"default"`
	// Teams are shared by all of a team's keys, by team name.
	Teams map[string]RateLimit `yaml:"teams"`
	// Users are shared by all of a user's keys, by user id or email.
	Users map[string]RateLimit `yaml:"users"`
	// Models limit each key's use of a requested model (alias or provider/model).
	Models map[string]RateLimit `yaml:"models"`
}

// RateLimit is one set of limits; zero means unlimited.
type RateLimit struct {
	RPM         int64 `yaml:"rpm"`
	TPM         int64 `yaml:"tpm"`
	Concurrency int64 `yaml:"concurrency"`
}

func (r RateLimits) validate(src *Source, ps *Problems) {
	check := func(path string, l RateLimit) {
		if l.RPM < 0 || l.TPM < 0 || l.Concurrency < 0 {
			ps.Add(src, path, "rpm, tpm and concurrency must not be negative")
		}
	}
	check("rate_limits.default", r.Default)
	for _, group := range []struct {
		kind string
		m    map[string]RateLimit
	}{{"teams", r.Teams}, {"users", r.Users}, {"models", r.Models}} {
		for _, name := range sortedKeys(group.m) {
			check("rate_limits."+group.kind+"."+name, group.m[name])
		}
	}
}
