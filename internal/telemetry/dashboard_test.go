package telemetry

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/usage"
)

// TestGrafanaDashboardUsesOnlyExportedMetrics: every sluice_* metric a query of the shipped
// dashboard names is one the registry exports, so a renamed metric breaks this test rather
// than a panel.
func TestGrafanaDashboardUsesOnlyExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../../deploy/grafana/sluice.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	m := New(usage.NewRecorder(nil, usage.Options{QueueSize: 1}, nil))
	// Vectors export a family only once they have a child: observe one of everything.
	m.Observe(&store.RequestLog{Provider: "p", Route: "r", Status: 500, ErrorCode: "upstream_error", LatencyMs: 1,
		Stream: true, TTFTMs: 1, PromptTokens: 1, CompletionTokens: 1, CostMicroUSD: 1, Fallback: true, CacheResult: "hit"})
	m.extra.upstream.WithLabelValues("p", "200").Inc()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	exported := map[string]bool{}
	for _, f := range families {
		exported[f.GetName()] = true
	}
	name := regexp.MustCompile(`sluice_[a-z_]+`)
	used := 0
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, n := range name.FindAllString(tg.Expr, -1) {
				used++
				base := n
				for _, suffix := range []string{"_bucket", "_sum", "_count"} {
					if b, ok := strings.CutSuffix(n, suffix); ok && exported[b] {
						base = b
					}
				}
				if !exported[base] {
					t.Errorf("panel %q queries %s, which the registry does not export", p.Title, n)
				}
			}
		}
	}
	if used < 10 {
		t.Errorf("dashboard names only %d metrics", used)
	}
}
