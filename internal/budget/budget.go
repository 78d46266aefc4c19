package budget

import (
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/sluicehq/sluice/internal/config"
)

// Unit is what a budget counts.
type Unit uint8

// Units.
const (
	USD    Unit = iota // micro-dollars
	Tokens             // prompt + completion tokens
)

func (u Unit) String() string {
	if u == Tokens {
		return "tokens"
	}
	return "usd"
}

// Scope is what a budget covers.
type Scope uint8

// Scopes.
const (
	ScopeOrg Scope = iota
	ScopeTeam
	ScopeUser
	ScopeProject
	ScopeKey
)

var scopeNames = [...]string{ScopeOrg: "org", ScopeTeam: "team", ScopeUser: "user", ScopeProject: "project", ScopeKey: "key"}

func (s Scope) String() string { return scopeNames[s] }

// Webhook is an alert destination.
type Webhook struct {
	URL   string
	Slack bool // post {"text": ...} instead of the alert object
}

// Budget is one compiled budget. It is immutable; its counters live in the Ledger.
type Budget struct {
	ID         string
	Name       string
	Scope      Scope
	ScopeID    string
	Unit       Unit
	Limit      int64 // micro-dollars or tokens
	Period     Period
	Location   *time.Location
	Thresholds []int // ascending percentages
	// RerouteTo is the model a request goes to instead of being refused once the budget is
	// spent; "" blocks.
	RerouteTo     string
	ReserveTokens int64
	Webhooks      []Webhook
}

// Compile turns validated config budgets into Budgets.
func Compile(cfg []config.Budget) ([]*Budget, error) {
	out := make([]*Budget, 0, len(cfg))
	for _, c := range cfg {
		b := &Budget{ID: c.ID, Name: c.Name, ScopeID: c.ScopeID, Thresholds: c.Thresholds,
			RerouteTo: c.RerouteTo, ReserveTokens: c.ReserveTokens}
		if b.Name == "" {
			b.Name = b.ID
		}
		scope, ok := parseScope(c.Scope)
		if !ok {
			return nil, fmt.Errorf("budget %q: unknown scope %q", c.ID, c.Scope)
		}
		b.Scope = scope
		if b.Period, ok = ParsePeriod(c.Period); !ok {
			return nil, fmt.Errorf("budget %q: unknown period %q", c.ID, c.Period)
		}
		loc, err := time.LoadLocation(c.Timezone)
		if err != nil {
			return nil, fmt.Errorf("budget %q: time zone: %w", c.ID, err)
		}
		b.Location = loc
		if c.LimitTokens > 0 {
			b.Unit, b.Limit = Tokens, c.LimitTokens
		} else {
			b.Unit, b.Limit = USD, int64(math.Round(c.LimitUSD*1e6))
		}
		if b.Limit <= 0 {
			return nil, fmt.Errorf("budget %q: limit must be > 0", c.ID)
		}
		for _, w := range c.Webhooks {
			u := w.URL.Reveal()
			b.Webhooks = append(b.Webhooks, Webhook{URL: u,
				Slack: w.Format == "slack" || strings.HasPrefix(u, "https://hooks.slack.com/")})
		}
		out = append(out, b)
	}
	return out, nil
}

func parseScope(s string) (Scope, bool) {
	for i, n := range scopeNames {
		if n == s {
			return Scope(i), true
		}
	}
	return 0, false
}

// Who is the caller a request is charged to.
type Who struct {
	KeyID, UserID, TeamID, TeamName, ProjectID string
	// BudgetID is the budget attached to the key, if any.
	BudgetID string
}

// set is the immutable index of budgets that Admit reads.
type set struct {
	byID                     map[string]*entry
	org                      []*entry
	team, user, project, key map[string][]*entry
}

// entry pairs a budget with its counters.
type entry struct {
	b  *Budget
	st *state
}

func newSet(entries []*entry) *set {
	s := &set{byID: map[string]*entry{}, team: map[string][]*entry{}, user: map[string][]*entry{},
		project: map[string][]*entry{}, key: map[string][]*entry{}}
	for _, e := range entries {
		s.byID[e.b.ID] = e
		switch e.b.Scope {
		case ScopeOrg:
			s.org = append(s.org, e)
		case ScopeTeam:
			s.team[e.b.ScopeID] = append(s.team[e.b.ScopeID], e)
		case ScopeUser:
			s.user[e.b.ScopeID] = append(s.user[e.b.ScopeID], e)
		case ScopeProject:
			s.project[e.b.ScopeID] = append(s.project[e.b.ScopeID], e)
		case ScopeKey:
			s.key[e.b.ScopeID] = append(s.key[e.b.ScopeID], e)
		}
	}
	return s
}

// maxCovering bounds the budgets one request is charged to without allocating; a request
// covered by more is refused with a clear error rather than charged to only some.
const maxCovering = 8

// covering appends the budgets that cover who to dst, each once.
func (s *set) covering(dst []*entry, who *Who) []*entry {
	dst = append(dst, s.org...)
	if who.TeamID != "" {
		dst = appendNew(dst, s.team[who.TeamID])
	}
	if who.TeamName != "" {
		dst = appendNew(dst, s.team[who.TeamName])
	}
	if who.UserID != "" {
		dst = appendNew(dst, s.user[who.UserID])
	}
	if who.ProjectID != "" {
		dst = appendNew(dst, s.project[who.ProjectID])
	}
	if who.KeyID != "" {
		dst = appendNew(dst, s.key[who.KeyID])
	}
	if who.BudgetID != "" {
		if e := s.byID[who.BudgetID]; e != nil {
			dst = appendNew(dst, []*entry{e})
		}
	}
	return dst
}

func appendNew(dst, add []*entry) []*entry {
	for _, e := range add {
		dup := false
		for _, d := range dst {
			if d == e {
				dup = true
				break
			}
		}
		if !dup {
			dst = append(dst, e)
		}
	}
	return dst
}
