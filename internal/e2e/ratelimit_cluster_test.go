package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// clusterReceived is a node's sluice_cluster_messages_received_total.
func clusterReceived(t *testing.T, g *gateway) int64 {
	t.Helper()
	for line := range strings.Lines(metricsText(t, g)) {
		if v, ok := strings.CutPrefix(line, "sluice_cluster_messages_received_total "); ok {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("sluice_cluster_messages_received_total %q: %v", v, err)
			}
			return int64(n)
		}
	}
	t.Fatal("no sluice_cluster_messages_received_total in /metrics")
	return 0
}

// A key's rpm holds across two nodes on NATS: its N requests, alternating between the
// nodes, use up the limit, and the next is refused on either node. Each node admitted only
// N/2 itself, so without sharing both would still admit N/2 more.
func TestNATSSharesRateLimitsBetweenNodes(t *testing.T) {
	const rpm = 4
	a, b, _ := natsNodes(t, "")
	key := newKey(t, a, "ml", map[string]any{"rpm": rpm})
	// An unknown model is answered after authentication and before admission: it tells
	// whether node B knows the key without charging its limit.
	waitFor(t, "node B to know the key issued on node A", func() bool {
		return chatAs(t, b, key, "no-such-model", "hi", "").status == http.StatusNotFound
	})
	nodes := [2]*gateway{a, b}
	for i := range rpm {
		on, other := nodes[i%2], nodes[(i+1)%2]
		before := clusterReceived(t, other)
		if r := chatAs(t, on, key, "fast", "hi", ""); r.status != http.StatusOK {
			t.Fatalf("request %d of %d at %d rpm on node %c: %d %q, want 200", i+1, rpm, rpm, 'A'+i%2, r.status, r.message)
		}
		waitFor(t, "the other node to hear of request "+strconv.Itoa(i+1), func() bool {
			return clusterReceived(t, other) > before
		})
	}
	for i, g := range nodes {
		r := chatAs(t, g, key, "fast", "hi", "")
		if r.status != http.StatusTooManyRequests || r.code != "rate_limited" {
			t.Fatalf("request %d at %d rpm on node %c: %d %q (%s), want 429 rate_limited", rpm+1, rpm, 'A'+i, r.status, r.code, r.message)
		}
		if got := r.header.Get("X-Ratelimit-Remaining-Requests"); got != "0" {
			t.Fatalf("node %c's 429: x-ratelimit-remaining-requests %q, want 0", 'A'+i, got)
		}
	}
}
