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
