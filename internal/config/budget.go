package config

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/secret"
)

// Budget caps spend, in dollars or tokens, of one scope over a period.
type Budget struct {
	// ID names the budget in errors, alerts, the admin API and keys' budget_id.
	ID   string `yaml:"id"`
	Name string `yaml:"name"`
	// Scope is what the budget covers: org (every request), team, user, project or key.
	// ScopeID is that team's ID or name, or the user's, project's or key's ID. A key whose
	// budget_id names the budget is covered whatever the scope.
	Scope   string `yaml:"scope"`
	ScopeID string `yaml:"scope_id"`
	// Exactly one of LimitUSD and LimitTokens is set.
	LimitUSD    float64 `yaml:"limit_usd"`
	LimitTokens int64   `yaml:"limit_tokens"`
	// Period is daily, weekly (ISO weeks, from Monday), monthly or total (never resets).
	// Periods start at local midnight in Timezone, an IANA name; default UTC.
	Period   string `yaml:"period"`
	Timezone string `yaml:"timezone"`
	// Thresholds are percentages of the limit that raise an alert once per period. Default
	// 50, 80, 100.
	Thresholds []int `yaml:"thresholds"`
	// OnExceed is block (default: 429 budget_exceeded) or reroute (send the request to
	// RerouteTo instead, a cheaper model or route).
	OnExceed  string `yaml:"on_exceed"`
	RerouteTo string `yaml:"reroute_to"`
	// ReserveTokens is the completion size reserved for a request that sets no max_tokens.
	// Default 4096.
	ReserveTokens int64 `yaml:"reserve_tokens"`
	// Webhooks receive the alerts.
	Webhooks []BudgetWebhook `yaml:"webhooks"`
}

// BudgetWebhook is where a budget's alerts are posted.
type BudgetWebhook struct {
	// URL is a secret: Slack-style hook URLs carry their own credential.
	URL secret.Secret `yaml:"url"`
	// Format is json (default: Sluice's alert object) or slack ({"text": ...}); a URL on
	// hooks.slack.com defaults to slack.
	Format string `yaml:"format"`
}

// Budget defaults.
const (
	DefaultBudgetReserveTokens = 4096
	DefaultBudgetPeriod        = "monthly"
)

// DefaultBudgetThresholds are the alert percentages when a budget lists none.
var DefaultBudgetThresholds = []int{50, 80, 100}

func (c *Config) applyBudgetDefaults() {
	for i := range c.Budgets {
		b := &c.Budgets[i]
		setDefault(&b.Scope, "org")
		setDefault(&b.Period, DefaultBudgetPeriod)
		setDefault(&b.Timezone, "UTC")
		setDefault(&b.OnExceed, "block")
		setDefault(&b.ReserveTokens, DefaultBudgetReserveTokens)
		if b.Thresholds == nil {
			b.Thresholds = slices.Clone(DefaultBudgetThresholds)
		}
		for j := range b.Webhooks {
			setDefault(&b.Webhooks[j].Format, "json")
		}
	}
}

var (
	validBudgetScopes  = map[string]bool{"org": true, "team": true, "user": true, "project": true, "key": true}
	validBudgetPeriods = map[string]bool{"daily": true, "weekly": true, "monthly": true, "total": true}
)

// validateBudgets checks the budgets list; models are the declared aliases, for reroute_to.
func (c *Config) validateBudgets(src *Source, ps *Problems, models map[string]int) {
	ids := map[string]int{}
	for i, b := range c.Budgets {
		path := fmt.Sprintf("budgets[%d]", i)
		switch {
		case b.ID == "":
			ps.Add(src, path+".id", "is required")
		case len(b.ID) > 64:
			ps.Add(src, path+".id", "must be at most 64 characters")
		case ids[b.ID] > 0:
			ps.Add(src, path+".id", "%q is already declared by budgets[%d]", b.ID, ids[b.ID]-1)
		default:
			ids[b.ID] = i + 1
		}
		if !validBudgetScopes[b.Scope] {
			ps.Add(src, path+".scope", "unknown scope %q (known: org, team, user, project, key)", b.Scope)
		} else if b.Scope == "org" && b.ScopeID != "" {
			ps.Add(src, path+".scope_id", "must be empty for scope org, which covers every request")
		} else if b.Scope != "org" && b.ScopeID == "" {
			ps.Add(src, path+".scope_id", "is required for scope %s", b.Scope)
		}
		switch {
		case b.LimitUSD < 0 || b.LimitTokens < 0:
			ps.Add(src, path, "limits must not be negative")
		case (b.LimitUSD > 0) == (b.LimitTokens > 0):
			ps.Add(src, path, "set exactly one of limit_usd and limit_tokens")
		case b.LimitUSD > 1e9 || b.LimitTokens > 1e15:
			ps.Add(src, path, "limit_usd must be at most 1e9 and limit_tokens at most 1e15")
		}
		if !validBudgetPeriods[b.Period] {
			ps.Add(src, path+".period", "unknown period %q (known: daily, weekly, monthly, total)", b.Period)
		}
		if _, err := time.LoadLocation(b.Timezone); err != nil {
			ps.Add(src, path+".timezone", "unknown IANA time zone %q", b.Timezone)
		}
		for j, t := range b.Thresholds {
			if t < 1 || t > 100 || (j > 0 && t <= b.Thresholds[j-1]) {
				ps.Add(src, fmt.Sprintf("%s.thresholds[%d]", path, j), "thresholds must be ascending percentages from 1 to 100")
			}
		}
		switch b.OnExceed {
		case "block":
			if b.RerouteTo != "" {
				ps.Add(src, path+".reroute_to", "only with on_exceed: reroute")
			}
		case "reroute":
			if b.RerouteTo == "" {
				ps.Add(src, path+".reroute_to", "is required with on_exceed: reroute")
			} else if models[b.RerouteTo] == 0 && !strings.Contains(b.RerouteTo, "/") {
				ps.Add(src, path+".reroute_to", "unknown model %q (an alias or provider/model)", b.RerouteTo)
			}
		default:
			ps.Add(src, path+".on_exceed", "unknown action %q (known: block, reroute)", b.OnExceed)
		}
		if b.ReserveTokens < 0 {
			ps.Add(src, path+".reserve_tokens", "must not be negative")
		}
		for j, w := range b.Webhooks {
			wpath := fmt.Sprintf("%s.webhooks[%d]", path, j)
			if u, err := url.Parse(w.URL.Reveal()); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				ps.Add(src, wpath+".url", "must be an absolute http(s) URL")
			}
			if w.Format != "json" && w.Format != "slack" {
				ps.Add(src, wpath+".format", "unknown format %q (known: json, slack)", w.Format)
			}
		}
	}
}
