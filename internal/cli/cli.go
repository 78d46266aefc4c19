// Package cli is the operator's command line over the admin API (`sluice keys create ...`),
// so nobody hand-writes curl. It speaks HTTP to a running gateway like any other client. Used
// by cmd/sluice.
package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"
)

// Usage lists the admin commands.
const Usage = `admin commands (talk to a running gateway; --url, --key or SLUICE_URL, SLUICE_ADMIN_KEY):
  teams create NAME [--models a,b]      teams list
  users create EMAIL [--role R] [--team T]   users list
  keys create [--team T] [--owner user|team|project] [--owner-id ID] [--models a,b] [--name N] [--expires 720h] [--rpm N] [--tpm N]
  keys list [--team T]    keys revoke ID    keys rotate ID
  budgets list    budgets delete ID
  budgets create ID [--scope team --scope-id T] (--limit-usd N | --limit-tokens N) [--period P] [--timezone Z]
                    [--thresholds 50,80,100] [--on-exceed block|reroute --reroute-to M] [--name N] [--reserve-tokens N]
  budgets update ID [the create flags to change, e.g. --limit-usd 800]
  audit [--action A] [--since RFC3339]
  rollups rebuild --from RFC3339 [--to RFC3339]   recompute analytics rollups from the request log
`

// client calls the admin API.
type client struct {
	base, key string
	http      *http.Client
	out       io.Writer
	json      bool
}

// Run executes one admin command: args are e.g. ["keys", "create", "--team", "ml"].
func Run(ctx context.Context, args []string, out io.Writer) error {
	if len(args) < 1 {
		return fmt.Errorf("missing command\n%s", Usage)
	}
	noun, rest := args[0], args[1:]
	verb := "list"
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		verb, rest = rest[0], rest[1:]
	}
	fs := flag.NewFlagSet(noun+" "+verb, flag.ContinueOnError)
	c := &client{http: &http.Client{Timeout: 30 * time.Second}, out: out}
	fs.StringVar(&c.base, "url", envOr("SLUICE_URL", "http://localhost:8080"), "gateway URL")
	fs.StringVar(&c.key, "key", envOr("SLUICE_ADMIN_KEY", os.Getenv("SLUICE_MASTER_KEY")), "admin key (master key or a key with a role)")
	fs.BoolVar(&c.json, "json", false, "print the raw JSON answer")
	cmd, ok := commands[noun+" "+verb]
	if !ok {
		return fmt.Errorf("unknown command %q\n%s", noun+" "+verb, Usage)
	}
	return cmd(ctx, c, fs, rest)
}

type command func(ctx context.Context, c *client, fs *flag.FlagSet, args []string) error

var commands = map[string]command{
	"teams create": teamsCreate, "teams list": teamsList,
	"users create": usersCreate, "users list": usersList,
	"keys create": keysCreate, "keys list": keysList, "keys revoke": keysRevoke, "keys rotate": keysRotate,
	"budgets list": budgetsList, "budgets create": budgetsCreate, "budgets update": budgetsUpdate, "budgets delete": budgetsDelete,
	"audit list":      auditList,
	"rollups rebuild": rollupsRebuild,
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

// parse parses flags that may follow positional arguments ("teams create ml --models x").
func parse(fs *flag.FlagSet, args []string, positional int) ([]string, error) {
	var pos []string
	for len(args) > 0 {
		if !strings.HasPrefix(args[0], "-") {
			pos, args = append(pos, args[0]), args[1:]
			continue
		}
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
	}
	if len(pos) != positional {
		return nil, fmt.Errorf("%s: want %d argument(s), got %d", fs.Name(), positional, len(pos))
	}
	return pos, nil
}

// do sends one request and decodes the answer into out (when not nil).
func (c *client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.base, "/")+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Message, Code string }
		}
		if json.Unmarshal(raw, &e) == nil && e.Error.Message != "" {
			return fmt.Errorf("%s (%d %s)", e.Error.Message, resp.StatusCode, e.Error.Code)
		}
		return fmt.Errorf("%s %s: status %d", method, path, resp.StatusCode)
	}
	if c.json {
		_, err := c.out.Write(append(raw, '\n'))
		return err
	}
	if out != nil && len(raw) > 0 {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// teamID accepts a team id or name.
func (c *client) teamID(ctx context.Context, team string) (string, error) {
	if team == "" || strings.HasPrefix(team, "team_") {
		return team, nil
	}
	var page struct{ Data []struct{ ID, Name string } }
	q := url.Values{"limit": {"1000"}}
	saved := c.json
	c.json = false
	defer func() { c.json = saved }()
	if err := c.do(ctx, "GET", "/admin/v1/teams?"+q.Encode(), nil, &page); err != nil {
		return "", err
	}
	for _, t := range page.Data {
		if t.Name == team {
			return t.ID, nil
		}
	}
	return "", fmt.Errorf("no team named %q", team)
}

func (c *client) table(header string, rows [][]string) error {
	if c.json {
		return nil
	}
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func split(csv string) []string {
	if csv == "" {
		return nil
	}
	var out []string
	for _, s := range strings.Split(csv, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}
