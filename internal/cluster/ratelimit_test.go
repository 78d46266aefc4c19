package cluster

import (
	"slices"
	"testing"

	"github.com/nats-io/nats.go"

	"github.com/sluicehq/sluice/internal/ratelimit"
)

type usageFrom struct {
	node string
	cs   []ratelimit.Consumption
}

// Rate-limit consumption reaches the other nodes with its scope by name, never the sender,
// and a malformed message on the subject is ignored.
func TestNodesExchangeRateLimitConsumption(t *testing.T) {
	url, prefix := testNATS(t), uniquePrefix()
	connect := func(name string, got chan usageFrom) *Node {
		n, err := Connect(Options{URL: url, Prefix: prefix, NodeName: name,
			OnRateLimit: func(node string, cs []ratelimit.Consumption) { got <- usageFrom{node, cs} }})
		if err != nil {
			t.Fatalf("Connect(%s): %v", url, err)
		}
		t.Cleanup(n.Close)
		return n
	}
	onA, onB := make(chan usageFrom, 16), make(chan usageFrom, 16)
	a, b := connect("a", onA), connect("b", onB)
	raw, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := raw.Publish(prefix+".ratelimit", []byte(`{"node":"x","usage":[{"scope":"galaxy","id":"k"}]}`)); err != nil {
		t.Fatal(err)
	}

	cs := []ratelimit.Consumption{
		{Scope: ratelimit.ScopeKey, ID: "key_1", RPM: 10, Requests: 3},
		{Scope: ratelimit.ScopeModel, ID: "key_1", Model: "gpt-4o", TPM: 1000, Tokens: -20},
	}
	a.PublishRateLimit(cs)
	if u := receive(t, onB, "consumption on b"); u.node != a.ID() || !slices.Equal(u.cs, cs) {
		t.Fatalf("b received %+v from %s, want %+v from %s", u.cs, u.node, cs, a.ID())
	}
	b.PublishRateLimit(cs[:1])
	if u := receive(t, onA, "consumption on a"); u.node != b.ID() {
		t.Fatalf("a's first consumption came from %s, want b %s (never its own, never the malformed one)", u.node, b.ID())
	}
	if st := a.Stats(); st.Published != 1 || st.Received != 1 {
		t.Fatalf("a.Stats() = %+v, want 1 published, 1 received", st)
	}
}
