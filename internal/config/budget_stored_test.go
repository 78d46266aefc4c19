package config

import (
	"strings"
	"testing"
)

// A stored budget gets the file's defaults and is refused with the file's messages, its
// paths relative to the budget.
func TestValidateStoredBudget(t *testing.T) {
	b := Budget{ID: "ml", Scope: "team", ScopeID: "ml", LimitTokens: 100}
	if ps := ValidateStoredBudget(&b, nil); len(ps) != 0 {
		t.Fatalf("ValidateStoredBudget(valid) = %v, want no problem", ps)
	}
	if b.Period != "monthly" || b.Timezone != "UTC" || b.OnExceed != "block" || b.ReserveTokens != 4096 || len(b.Thresholds) != 3 {
		t.Fatalf("defaults not applied: %+v", b)
	}
	for _, tc := range []struct {
		in   Budget
		want string
	}{
		{Budget{ID: "x", LimitUSD: 1, LimitTokens: 1}, "set exactly one of limit_usd and limit_tokens"},
		{Budget{ID: "x", LimitUSD: 1, Period: "hourly"}, `period: unknown period "hourly" (known: daily, weekly, monthly, total)`},
		{Budget{ID: "x", LimitUSD: 1, Scope: "team"}, "scope_id: is required for scope team"},
		{Budget{ID: "x", LimitUSD: 1, Timezone: "Mars/Olympus"}, `timezone: unknown IANA time zone "Mars/Olympus"`},
		{Budget{ID: "x", LimitUSD: 1, Thresholds: []int{80, 50}}, "thresholds[1]: thresholds must be ascending percentages from 1 to 100"},
		{Budget{ID: "x", LimitUSD: 1, OnExceed: "reroute", RerouteTo: "nope"}, `reroute_to: unknown model "nope" (an alias or provider/model)`},
		{Budget{LimitUSD: 1}, "id: is required"},
	} {
		ps := ValidateStoredBudget(&tc.in, map[string]bool{"fast": true})
		if len(ps) == 0 || !strings.Contains(ps.Error(), tc.want) {
			t.Errorf("ValidateStoredBudget(%+v) = %v, want a problem %q", tc.in, ps, tc.want)
		}
	}
	ok := Budget{ID: "x", LimitUSD: 1, OnExceed: "reroute", RerouteTo: "fast"}
	if ps := ValidateStoredBudget(&ok, map[string]bool{"fast": true}); len(ps) != 0 {
		t.Errorf("ValidateStoredBudget(reroute to a served alias) = %v", ps)
	}
}
