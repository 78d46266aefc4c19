package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/sluicehq/sluice/internal/budget"
)

// testNATS is the NATS server the tests share: SLUICE_TEST_NATS_URL, else 127.0.0.1:4222.
// Tests skip when it is unreachable, except in CI (CI=true), where that fails.
func testNATS(t *testing.T) string {
	t.Helper()
	u := os.Getenv("SLUICE_TEST_NATS_URL")
	if u == "" {
		u = "nats://127.0.0.1:4222"
	}
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(u, "nats://"), 2*time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NATS unreachable at %s: %v", u, err)
		}
		t.Skipf("NATS unreachable at %s (set SLUICE_TEST_NATS_URL): %v", u, err)
	}
	conn.Close()
	return u
}

func uniquePrefix() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	return "sluice_test." + hex.EncodeToString(b[:])
}

type spendFrom struct {
	node string
	ups  []budget.SpendUpdate
}

// probe is a node whose callbacks feed channels.
type probe struct {
	*Node
	changes  chan Change
	spend    chan spendFrom
	connects atomic.Int64
}

func connectProbe(t *testing.T, url, prefix, name string) *probe {
	t.Helper()
	p := &probe{changes: make(chan Change, 16), spend: make(chan spendFrom, 16)}
	n, err := Connect(Options{URL: url, Prefix: prefix, NodeName: name,
		OnChange:  func(c Change) { p.changes <- c },
		OnSpend:   func(node string, ups []budget.SpendUpdate) { p.spend <- spendFrom{node, ups} },
		OnConnect: func() { p.connects.Add(1) },
	})
	if err != nil {
		t.Fatalf("Connect(%s): %v", url, err)
	}
	t.Cleanup(n.Close)
	p.Node = n
	return p
}

func receive[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatalf("no %s arrived", what)
		panic("unreachable")
	}
}

func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Change notices and spend reach the other nodes, never the sender, and malformed messages
// on the subjects are ignored.
func TestNodesExchangeChangesAndSpend(t *testing.T) {
	url, prefix := testNATS(t), uniquePrefix()
	a := connectProbe(t, url, prefix, "a")
	b := connectProbe(t, url, prefix, "b")
	raw, err := nats.Connect(url)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if err := raw.Publish(prefix+".changes", []byte("not json")); err != nil {
		t.Fatal(err)
	}
	if err := raw.Publish(prefix+".spend", []byte(`{"node":"x","updates":"nope"}`)); err != nil {
		t.Fatal(err)
	}

	a.PublishChange(42, KindKey)
	if c := receive(t, b.changes, "change notice on b"); c.Node != a.ID() || c.Name != "a" || c.Version != 42 || c.Kind != KindKey {
		t.Fatalf("b received %+v, want a's notice version 42 kind key", c)
	}
	b.PublishChange(43, KindTeam)
	if c := receive(t, a.changes, "change notice on a"); c.Node != b.ID() || c.Version != 43 {
		t.Fatalf("a's first notice = %+v, want b's version 43 (never its own)", c)
	}

	ups := []budget.SpendUpdate{{BudgetID: "ml", PeriodStart: 1, Window: 7, Settled: 100, Flushed: 40, FlushTotal: 90}}
	a.PublishSpend(ups)
	if s := receive(t, b.spend, "spend on b"); s.node != a.ID() || !slices.Equal(s.ups, ups) {
		t.Fatalf("b received spend %+v from %s, want %+v from %s", s.ups, s.node, ups, a.ID())
	}
	if st := a.Stats(); !st.Connected || st.Published != 2 || st.Received != 1 || st.Dropped != 0 {
		t.Fatalf("a.Stats() = %+v, want connected, 2 published, 1 received, 0 dropped", st)
	}
}

// A node outlives its NATS server: while it is gone messages are dropped (counted) rather
// than buffered, and when it returns the node reconnects, reports it, and delivers again.
func TestNodeReconnectsAfterNATSRestarts(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	start := func() *server.Server {
		s, err := server.NewServer(&server.Options{Host: "127.0.0.1", Port: port, NoLog: true, NoSigs: true})
		if err != nil {
			t.Fatal(err)
		}
		s.Start()
		if !s.ReadyForConnections(10 * time.Second) {
			t.Fatal("embedded NATS did not start")
		}
		return s
	}
	srv := start()
	url, prefix := srv.ClientURL(), uniquePrefix()
	a := connectProbe(t, url, prefix, "a")
	b := connectProbe(t, url, prefix, "b")
	a.PublishChange(1, KindKey)
	receive(t, b.changes, "change before the restart")

	srv.Shutdown()
	srv.WaitForShutdown()
	waitUntil(t, "a to notice NATS is gone", func() bool { return !a.Stats().Connected })
	a.PublishChange(2, KindKey)
	if st := a.Stats(); st.Dropped != 1 {
		t.Fatalf("a.Stats() while NATS is down = %+v, want 1 dropped", st)
	}

	srv = start()
	defer srv.Shutdown()
	waitUntil(t, "both nodes to reconnect", func() bool {
		return a.connects.Load() > 0 && b.connects.Load() > 0 && a.Stats().Connected && b.Stats().Connected
	})
	// b's subscription is resent on reconnection; publish until the server has it.
	var c Change
	waitUntil(t, "b to receive a change after the restart", func() bool {
		a.PublishChange(3, KindKey)
		select {
		case c = <-b.changes:
			return true
		case <-time.After(50 * time.Millisecond):
			return false
		}
	})
	if c.Version != 3 {
		t.Fatalf("b received %+v after the restart, want version 3 (version 2 was dropped, not buffered)", c)
	}
}
