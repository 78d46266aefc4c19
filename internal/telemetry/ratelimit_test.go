package telemetry

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/ratelimit"
)

func TestRateLimitRefusalsExportedByScope(t *testing.T) {
	m := New(nil)
	l := ratelimit.New()
	m.WatchRateLimits(l)
	p := &ratelimit.Policy{Teams: map[string]ratelimit.Limits{"ml": {RPM: 1}}}
	req := &ratelimit.Request{Key: "k", Team: "ml"}
	l.Admit(p, req)
	l.Admit(p, req)
	l.Admit(p, req)
	out := scrape(t, m)
	for _, want := range []string{`sluice_rate_limited_total{scope="team"} 2`, `sluice_rate_limited_total{scope="key"} 0`} {
		if !strings.Contains(out, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}
