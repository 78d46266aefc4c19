package config

import "strings"

// ValidateStoredBudget applies a config budget's defaults to b, a budget managed through the
// admin API, and checks it with the config loader's rules and messages; paths are relative
// to the budget (limit_usd, thresholds[1]). models are the model aliases served, for
// reroute_to.
func ValidateStoredBudget(b *Budget, models map[string]bool) Problems {
	c := Config{Budgets: []Budget{*b}}
	c.applyBudgetDefaults()
	aliases := make(map[string]int, len(models))
	for m := range models {
		aliases[m] = 1
	}
	var ps Problems
	c.validateBudgets(nil, &ps, aliases)
	*b = c.Budgets[0]
	for i := range ps {
		ps[i].Path = strings.TrimPrefix(strings.TrimPrefix(ps[i].Path, "budgets[0]"), ".")
	}
	return ps
}
