package e2e

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/cli"
)

func TestCLIManagesTeamsAndKeys(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	run := func(args ...string) string {
		t.Helper()
		var out bytes.Buffer
		args = append(args, "--url", g.URL, "--key", clientKey)
		if err := cli.Run(context.Background(), args, &out); err != nil {
			t.Fatalf("sluice %s: %v", strings.Join(args, " "), err)
		}
		return out.String()
	}
	run("teams", "create", "ml", "--models", "fast")
	if out := run("teams", "list"); !strings.Contains(out, "ml") || !strings.Contains(out, "fast") {
		t.Fatalf("teams list:\n%s", out)
	}
	out := run("keys", "create", "--team", "ml", "--name", "ci")
	key := strings.Fields(out)[0]
	if !strings.HasPrefix(key, "sk-sluice-") {
		t.Fatalf("keys create printed:\n%s", out)
	}
	c := keyClient(g, key)
	if _, err := c.Chat.Completions.New(context.Background(), userMsg("hi")); err != nil {
		t.Fatalf("a key issued by the CLI does not work: %v", err)
	}
	list := run("keys", "list", "--team", "ml")
	id := strings.Fields(strings.Split(list, "\n")[1])[0]
	run("keys", "revoke", id)
	if _, err := c.Chat.Completions.New(context.Background(), userMsg("hi")); err == nil {
		t.Fatalf("a key revoked by the CLI still works")
	}
	if out := run("audit", "--action", "key.revoke"); !strings.Contains(out, id) {
		t.Fatalf("audit does not show the revocation:\n%s", out)
	}
	var errOut bytes.Buffer
	if err := cli.Run(context.Background(), []string{"teams", "create", "x", "--url", g.URL, "--key", "sk-wrong"}, &errOut); err == nil ||
		!strings.Contains(err.Error(), "401") {
		t.Fatalf("a wrong admin key: %v", err)
	}
}

// The CLI creates, lists, changes and deletes a budget over the admin API, and the gateway
// enforces what it set.
func TestCLIManagesBudgets(t *testing.T) {
	g := start(t, defaultConfig, time.Minute)
	run := func(args ...string) (string, error) {
		t.Helper()
		var out bytes.Buffer
		err := cli.Run(context.Background(), append(args, "--url", g.URL, "--key", clientKey), &out)
		return out.String(), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := run(args...)
		if err != nil {
			t.Fatalf("sluice %s: %v", strings.Join(args, " "), err)
		}
		return out
	}
	out := must("budgets", "create", "org-cli", "--limit-tokens", "1", "--period", "daily", "--thresholds", "50,100")
	if !strings.Contains(out, "org-cli") || !strings.Contains(out, "1 tokens") || !strings.Contains(out, "daily") {
		t.Fatalf("budgets create printed:\n%s", out)
	}
	if status, _, body := budgetChat(t, g, clientKey, 16); status != 429 {
		t.Fatalf("chat under a 1-token budget made by the CLI = %d %v, want 429", status, body)
	}
	if out := must("budgets", "list"); !strings.Contains(out, "org-cli") || !strings.Contains(out, "api") {
		t.Fatalf("budgets list:\n%s", out)
	}
	if out := must("budgets", "update", "org-cli", "--limit-tokens", "100000"); !strings.Contains(out, "100000 tokens") || !strings.Contains(out, "2") {
		t.Fatalf("budgets update printed:\n%s", out)
	}
	if status, _, body := budgetChat(t, g, clientKey, 16); status != 200 {
		t.Fatalf("chat after the CLI raised the limit = %d %v, want 200", status, body)
	}
	if _, err := run("budgets", "update", "org-cli", "--period", "hourly"); err == nil || !strings.Contains(err.Error(), `unknown period "hourly"`) {
		t.Fatalf("budgets update --period hourly: %v, want the validation message", err)
	}
	if _, err := run("budgets", "update", "org-cli"); err == nil {
		t.Fatalf("budgets update without a field succeeded")
	}
	must("budgets", "delete", "org-cli")
	if out := must("budgets", "list"); strings.Contains(out, "org-cli") {
		t.Fatalf("budgets list after delete:\n%s", out)
	}
}
