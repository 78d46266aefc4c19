package provider_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestAdaptersStayIsolated keeps the provider layer a leaf: an adapter translates wire formats
// and must not reach into routing, storage, the gateway or another adapter.
func TestAdaptersStayIsolated(t *testing.T) {
	const mod = "github.com/sluicehq/sluice/internal/"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}} {{join .Deps " "}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	forbidden := []string{"router", "gateway", "server", "app", "store", "config", "mockllm"}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, deps := fields[0], fields[1:]
		if strings.HasSuffix(pkg, "/providertest") {
			continue // test helper
		}
		for _, dep := range deps {
			rest, ok := strings.CutPrefix(dep, mod)
			if !ok {
				continue
			}
			for _, f := range forbidden {
				if rest == f || strings.HasPrefix(rest, f+"/") {
					t.Errorf("%s imports %s", pkg, dep)
				}
			}
			sibling, ok := strings.CutPrefix(rest, "provider/")
			if ok && !sharedByAdapters[sibling] && !strings.HasSuffix(pkg, "/"+sibling) &&
				strings.Count(strings.TrimPrefix(pkg, mod), "/") >= 1 {
				t.Errorf("%s imports sibling adapter %s", pkg, dep)
			}
		}
	}
}

// sharedByAdapters are the provider subpackages that are building blocks, not adapters:
// decoders, media helpers, and the OpenAI format's encoding used by openai and azure.
var sharedByAdapters = map[string]bool{"sse": true, "eventstream": true, "media": true, "openaiwire": true}
