package config

import (
	"fmt"

	"github.com/sluicehq/sluice/internal/pricing"
	"net/url"
	"sort"
	"strings"
)

// Validate reports every structural problem. Whether a provider type exists is checked when
// the config is compiled, where the provider table is known.
func (c *Config) Validate(src *Source) Problems {
	var ps Problems
	if c.Server.MaxBodyBytes <= 0 {
		ps.Add(src, "server.max_body_bytes", "must be > 0")
	}
	if c.Server.MaxUploadBytes <= 0 {
		ps.Add(src, "server.max_upload_bytes", "must be > 0")
	}
	for _, name := range sortedKeys(c.Providers) {
		p := c.Providers[name]
		path := "providers." + name
		if name == "" || strings.ContainsAny(name, "/ ") {
			ps.Add(src, path, "provider names must be non-empty without '/' or spaces")
		}
		if p.BaseURL != "" {
			if u, err := url.Parse(p.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				ps.Add(src, path+".base_url", "must be an absolute http(s) URL, got %q", p.BaseURL)
			}
		}
		if p.Timeout < 0 || p.ConnectTimeout < 0 {
			ps.Add(src, path, "timeouts must not be negative")
		}
		if p.MaxIdleConnsPerHost < 0 {
			ps.Add(src, path+".max_idle_conns_per_host", "must be >= 0")
		}
	}
	seen := map[string]int{}
	for i, m := range c.Models {
		path := fmt.Sprintf("models[%d]", i)
		switch {
		case m.Name == "":
			ps.Add(src, path+".name", "is required")
		case seen[m.Name] > 0:
			ps.Add(src, path+".name", "%q is already declared by models[%d]", m.Name, seen[m.Name]-1)
		default:
			seen[m.Name] = i + 1
		}
		if len(m.Targets) == 0 {
			ps.Add(src, path+".targets", "needs at least one target")
		}
		if !validStrategies[m.Strategy] {
			ps.Add(src, path+".strategy", "unknown strategy %q (known: weighted, round_robin, least_latency, least_busy)", m.Strategy)
		}
		if m.MaxAttempts < 1 || m.MaxAttempts > 10 {
			ps.Add(src, path+".max_attempts", "must be between 1 and 10")
		}
		if m.Timeout < 0 || m.TTFTTimeout < 0 || m.IdleTimeout < 0 {
			ps.Add(src, path, "timeouts must not be negative")
		}
		for j, t := range m.Targets {
			tpath := fmt.Sprintf("%s.targets[%d]", path, j)
			if _, ok := c.Providers[t.Provider]; !ok {
				ps.Add(src, tpath+".provider", "unknown provider %q (declared: %s)", t.Provider, strings.Join(sortedKeys(c.Providers), ", "))
			}
			if t.Model == "" {
				ps.Add(src, tpath+".model", "is required")
			}
			if t.Weight <= 0 {
				ps.Add(src, tpath+".weight", "must be > 0")
			}
			if t.Priority <= 0 {
				ps.Add(src, tpath+".priority", "must be > 0")
			}
		}
	}
	for i, m := range c.Models {
		for j, fb := range m.Fallbacks {
			fpath := fmt.Sprintf("models[%d].fallbacks[%d]", i, j)
			switch {
			case fb == m.Name:
				ps.Add(src, fpath, "a model cannot fall back to itself")
			case seen[fb] == 0:
				ps.Add(src, fpath, "unknown model %q", fb)
			}
		}
	}
	for i, r := range c.Rules {
		path := fmt.Sprintf("rules[%d]", i)
		if r.Model == "" {
			ps.Add(src, path+".model", "is required")
		} else if seen[r.Model] == 0 && !strings.Contains(r.Model, "/") {
			ps.Add(src, path+".model", "unknown model %q (an alias or provider/model)", r.Model)
		}
		if r.Match.MinPromptTokens < 0 {
			ps.Add(src, path+".match.min_prompt_tokens", "must not be negative")
		}
	}
	switch c.Store.Driver {
	case "sqlite":
	case "postgres":
		if c.Store.DSN.IsZero() {
			ps.Add(src, "store.dsn", "is required for the postgres driver")
		}
	default:
		ps.Add(src, "store.driver", "unknown driver %q (known: sqlite, postgres)", c.Store.Driver)
	}
	if o := c.Auth.OIDC; o != nil {
		if o.Issuer == "" {
			ps.Add(src, "auth.oidc.issuer", "is required")
		}
		if len(o.Audience) == 0 {
			ps.Add(src, "auth.oidc.audience", "is required: without it tokens minted for any other client would be accepted")
		}
		for g, r := range o.GroupRoles {
			if !validRoles[r] {
				ps.Add(src, "auth.oidc.group_roles."+g, "unknown role %q (known: admin, team_admin, member, viewer)", r)
			}
		}
	}
	if err := pricing.ValidateRates(c.Pricing.Rates); err != nil {
		for _, line := range strings.Split(err.Error(), "\n") {
			path, msg, _ := strings.Cut(line, ": ")
			ps.Add(src, "pricing."+path, "%s", msg)
		}
	}
	c.Cache.validate(src, &ps, seen)
	c.validateBudgets(src, &ps, seen)
	c.RateLimits.validate(src, &ps)
	if c.Routing.QuotaWait < 0 || c.Routing.QuotaMaxWaiters < 0 {
		ps.Add(src, "routing", "quota_wait and quota_max_waiters must not be negative")
	}
	c.Guardrails.validate(src, &ps)
	c.Telemetry.validate(src, &ps)
	if c.Routing.CooldownFailures < 1 {
		ps.Add(src, "routing.cooldown_failures", "must be >= 1")
	}
	c.validateResponses(src, &ps)
	c.validateBatch(src, &ps)
	c.validateLogging(src, &ps)
	c.validateCluster(src, &ps)
	return ps
}

var validRoles = map[string]bool{"admin": true, "team_admin": true, "member": true, "viewer": true}

var validStrategies = map[string]bool{"weighted": true, "round_robin": true, "least_latency": true, "least_busy": true}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
