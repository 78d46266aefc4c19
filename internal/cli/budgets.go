package cli

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"strconv"
)

// budgetFlags declares the fields of a budget as flags and returns a function that builds
// the request body from the flags given, so an update changes only those and a create
// leaves the rest to the server's defaults.
func budgetFlags(fs *flag.FlagSet) func() (map[string]any, error) {
	fs.String("name", "", "a name for humans, used in alerts")
	fs.String("scope", "", "org (default), team, user, project or key")
	fs.String("scope-id", "", "the team (id or name), user, project or key covered")
	fs.Float64("limit-usd", 0, "limit in dollars")
	fs.Int64("limit-tokens", 0, "limit in tokens (instead of --limit-usd)")
	fs.String("period", "", "daily, weekly, monthly (default) or total")
	fs.String("timezone", "", "IANA time zone the periods start in (default UTC)")
	fs.String("thresholds", "", "comma-separated alert percentages (default 50,80,100)")
	fs.String("on-exceed", "", "block (default) or reroute")
	fs.String("reroute-to", "", "model to reroute to once spent, with --on-exceed reroute")
	fs.Int64("reserve-tokens", 0, "completion reserved for a request without max_tokens (default 4096)")
	return func() (map[string]any, error) {
		body := map[string]any{}
		var err error
		fs.Visit(func(f *flag.Flag) {
			v := f.Value.String()
			switch f.Name {
			case "name", "scope", "scope-id", "period", "timezone", "on-exceed", "reroute-to":
				body[jsonName(f.Name)] = v
			case "limit-usd":
				n, _ := strconv.ParseFloat(v, 64)
				body["limit_usd"] = n
			case "limit-tokens", "reserve-tokens":
				n, _ := strconv.ParseInt(v, 10, 64)
				body[jsonName(f.Name)] = n
			case "thresholds":
				ts := []int{}
				for _, s := range split(v) {
					n, perr := strconv.Atoi(s)
					if perr != nil {
						err = fmt.Errorf("--thresholds: %q is not a whole percentage", s)
						return
					}
					ts = append(ts, n)
				}
				body["thresholds"] = ts
			}
		})
		return body, err
	}
}

func jsonName(flagName string) string {
	b := []byte(flagName)
	for i, c := range b {
		if c == '-' {
			b[i] = '_'
		}
	}
	return string(b)
}

type storedBudget struct {
	ID          string  `json:"id"`
	Scope       string  `json:"scope"`
	ScopeID     string  `json:"scope_id"`
	LimitUSD    float64 `json:"limit_usd"`
	LimitTokens int64   `json:"limit_tokens"`
	Period      string  `json:"period"`
	Version     int64   `json:"version"`
}

func (b *storedBudget) row() []string {
	limit := strconv.FormatInt(b.LimitTokens, 10) + " tokens"
	if b.LimitTokens == 0 {
		limit = "$" + strconv.FormatFloat(b.LimitUSD, 'f', -1, 64)
	}
	return []string{b.ID, scopeText(b.Scope, b.ScopeID), limit, b.Period, strconv.FormatInt(b.Version, 10)}
}

func scopeText(scope, id string) string {
	if id == "" {
		return scope
	}
	return scope + ":" + id
}

func budgetsCreate(ctx context.Context, c *client, fs *flag.FlagSet, args []string) error {
	fields := budgetFlags(fs)
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	body, err := fields()
	if err != nil {
		return err
	}
	body["id"] = pos[0]
	var b storedBudget
	if err := c.do(ctx, "POST", "/admin/v1/budgets", body, &b); err != nil {
		return err
	}
	return c.table("ID\tSCOPE\tLIMIT\tPERIOD\tVERSION", [][]string{b.row()})
}

func budgetsUpdate(ctx context.Context, c *client, fs *flag.FlagSet, args []string) error {
	fields := budgetFlags(fs)
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	body, err := fields()
	if err != nil {
		return err
	}
	if len(body) == 0 {
		return fmt.Errorf("budgets update: give at least one field to change, e.g. --limit-usd 500")
	}
	var b storedBudget
	if err := c.do(ctx, "PATCH", "/admin/v1/budgets/"+url.PathEscape(pos[0]), body, &b); err != nil {
		return err
	}
	return c.table("ID\tSCOPE\tLIMIT\tPERIOD\tVERSION", [][]string{b.row()})
}

func budgetsDelete(ctx context.Context, c *client, fs *flag.FlagSet, args []string) error {
	pos, err := parse(fs, args, 1)
	if err != nil {
		return err
	}
	if err := c.do(ctx, "DELETE", "/admin/v1/budgets/"+url.PathEscape(pos[0]), nil, nil); err != nil {
		return err
	}
	if !c.json {
		fmt.Fprintf(c.out, "deleted %s\n", pos[0])
	}
	return nil
}

func budgetsList(ctx context.Context, c *client, fs *flag.FlagSet, args []string) error {
	if _, err := parse(fs, args, 0); err != nil {
		return err
	}
	var page struct {
		Data []struct {
			BudgetID    string  `json:"budget_id"`
			Source      string  `json:"source"`
			Scope       string  `json:"scope"`
			ScopeID     string  `json:"scope_id"`
			Unit        string  `json:"unit"`
			Period      string  `json:"period"`
			Limit       int64   `json:"limit"`
			Spent       int64   `json:"spent"`
			Utilization float64 `json:"utilization"`
		}
	}
	if err := c.do(ctx, "GET", "/admin/v1/budgets", nil, &page); err != nil {
		return err
	}
	amount := func(unit string, v int64) string {
		if unit == "tokens" {
			return strconv.FormatInt(v, 10)
		}
		return fmt.Sprintf("$%.2f", float64(v)/1e6) // micro-dollars
	}
	rows := make([][]string, 0, len(page.Data))
	for _, b := range page.Data {
		rows = append(rows, []string{b.BudgetID, b.Source, scopeText(b.Scope, b.ScopeID), b.Period,
			amount(b.Unit, b.Spent), amount(b.Unit, b.Limit), fmt.Sprintf("%.0f%%", b.Utilization*100)})
	}
	return c.table("ID\tSOURCE\tSCOPE\tPERIOD\tSPENT\tLIMIT\tUSED", rows)
}
