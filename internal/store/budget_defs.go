package store

import (
	"context"
	"time"
)

// StoredBudget is a budget managed through the admin API instead of the config file. Its
// fields are those of a config budgets[] entry with defaults applied; the gateway validates
// it with the config loader's rules before it is stored. Alert webhooks are not stored:
// their URLs carry credentials, so they stay in the config file. Version counts the
// budget's changes from 1.
type StoredBudget struct {
	ID            string
	Name          string
	Scope         string
	ScopeID       string
	LimitUSD      float64
	LimitTokens   int64
	Period        string
	Timezone      string
	Thresholds    []int
	OnExceed      string
	RerouteTo     string
	ReserveTokens int64
	Version       int64
	CreatedAt     time.Time
	UpdatedAt     time.Time
	UpdatedBy     string // the principal who stored this version
}

// BudgetDefStore keeps the budgets managed through the admin API. Every write bumps
// Version, so every node rebuilds its ledger.
type BudgetDefStore interface {
	// CreateStoredBudget stores a new budget; ErrConflict when the ID is taken. It fills
	// Version, CreatedAt and UpdatedAt.
	CreateStoredBudget(ctx context.Context, b StoredBudget) (StoredBudget, error)
	// UpdateStoredBudget replaces every field but ID and CreatedAt and adds one to Version.
	// When b.Version is not zero it must be the stored version, else ErrConflict (a lost
	// update).
	UpdateStoredBudget(ctx context.Context, b StoredBudget) (StoredBudget, error)
	GetStoredBudget(ctx context.Context, id string) (StoredBudget, error)
	DeleteStoredBudget(ctx context.Context, id string) error
	// ListStoredBudgets lists every stored budget by ID. Budgets are configuration, few and
	// all needed at once, so the list is not paged.
	ListStoredBudgets(ctx context.Context) ([]StoredBudget, error)
}

// Validate checks the fields the store relies on; the budget's meaning (limits, periods,
// scopes) is checked by the gateway with the config loader's rules.
func (b *StoredBudget) Validate() error {
	var p problems
	p.id("id", b.ID, true) // it is a URL path segment of the admin API
	p.name("name", b.Name, false)
	p.name("scope", b.Scope, true)
	p.name("scope_id", b.ScopeID, false)
	p.name("period", b.Period, true)
	p.name("timezone", b.Timezone, true)
	p.name("on_exceed", b.OnExceed, true)
	p.name("reroute_to", b.RerouteTo, false)
	p.name("updated_by", b.UpdatedBy, false)
	if b.LimitUSD < 0 || b.LimitTokens < 0 || (b.LimitUSD > 0) == (b.LimitTokens > 0) {
		p.add("limit", "set exactly one of limit_usd and limit_tokens, positive")
	}
	if len(b.Thresholds) > 100 {
		p.add("thresholds", "at most 100")
	}
	return p.err("budget")
}
