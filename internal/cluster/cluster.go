package cluster

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/ratelimit"
)

// Options configure a Node.
type Options struct {
	URL      string // one or more NATS URLs, comma-separated
	Prefix   string // subject prefix, e.g. "sluice"
	NodeName string // for logs; default the host name
	Logger   *slog.Logger
	// OnChange runs when another node reports a committed change. It runs on the
	// subscription's goroutine: it must only signal, not resync there.
	OnChange func(Change)
	// OnSpend runs with another node's spend updates (on the subscription's goroutine).
	OnSpend func(node string, ups []budget.SpendUpdate)
	// OnRateLimit runs with another node's rate-limit consumption (on the subscription's
	// goroutine).
	OnRateLimit func(node string, cs []ratelimit.Consumption)
	// OnConnect runs after every (re)connection: messages sent meanwhile were lost, so the
	// node resyncs and resends its spend.
	OnConnect func()
}

// Change is one node's notice of a committed store change.
type Change struct {
	Node    string `json:"node"`    // the sender's ID
	Name    string `json:"name"`    // the sender's node_name
	Version int64  `json:"version"` // the store's change counter after the change
	Kind    string `json:"kind"`    // what changed: team, key, model_route, ...
}

// spendMsg is the body of a <prefix>.spend message.
type spendMsg struct {
	Node    string               `json:"node"`
	Updates []budget.SpendUpdate `json:"updates"`
}

// rateLimitMsg is the body of a <prefix>.ratelimit message.
type rateLimitMsg struct {
	Node  string                  `json:"node"`
	Usage []ratelimit.Consumption `json:"usage"`
}

// maxSpendUpdates bounds the updates in one message (a few hundred bytes each), far below
// NATS's default 1 MiB payload limit.
const maxSpendUpdates = 2000

// Stats are the control plane's counters since start.
type Stats struct {
	Connected bool
	Published uint64 // messages handed to NATS
	Received  uint64 // messages from other nodes
	// Dropped counts messages not sent: the node was disconnected (they would be stale by
	// the time the connection returns; polling covers them) or NATS refused them.
	Dropped uint64
}

// Node is this process's connection to the control plane.
type Node struct {
	id, name         string
	changes, spend   string // subjects
	ratelimit        string
	nc               *nats.Conn
	log              *slog.Logger
	opts             Options
	published, recvd atomic.Uint64
	dropped          atomic.Uint64
	closeOnce        sync.Once
}

// Connect connects to NATS and subscribes. An unreachable server is no error: the node
// serves on polling alone and keeps retrying in the background (MaxReconnects −1).
func Connect(opts Options) (*Node, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.NodeName == "" {
		opts.NodeName, _ = os.Hostname()
	}
	var rnd [6]byte
	_, _ = rand.Read(rnd[:])
	n := &Node{
		// Unique per run, so a restarted node's spend is never mistaken for its previous run's.
		id: opts.NodeName + "-" + hex.EncodeToString(rnd[:]), name: opts.NodeName,
		changes: opts.Prefix + ".changes", spend: opts.Prefix + ".spend", ratelimit: opts.Prefix + ".ratelimit",
		log: opts.Logger.With("component", "cluster"), opts: opts,
	}
	nc, err := nats.Connect(opts.URL,
		nats.Name("sluice "+n.id),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true),
		nats.ReconnectWait(time.Second),
		nats.ConnectHandler(func(c *nats.Conn) { n.connected(c, "connected") }),
		nats.ReconnectHandler(func(c *nats.Conn) { n.connected(c, "reconnected") }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			n.log.Warn("disconnected from NATS; changes and spend reach this node by polling until it reconnects", "err", err)
		}),
		nats.ClosedHandler(func(*nats.Conn) { n.log.Info("NATS connection closed") }),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			n.log.Warn("NATS error", "err", err)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("cluster: connect to %s: %w", opts.URL, err)
	}
	n.nc = nc
	if _, err := nc.Subscribe(n.changes, n.onChange); err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: subscribe %s: %w", n.changes, err)
	}
	if _, err := nc.Subscribe(n.spend, n.onSpend); err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: subscribe %s: %w", n.spend, err)
	}
	if _, err := nc.Subscribe(n.ratelimit, n.onRateLimit); err != nil {
		nc.Close()
		return nil, fmt.Errorf("cluster: subscribe %s: %w", n.ratelimit, err)
	}
	if nc.IsConnected() {
		// The server has registered the subscriptions once it answers: from here on no
		// notice is missed.
		_ = nc.FlushTimeout(2 * time.Second)
	} else {
		n.log.Warn("NATS is unreachable; serving with polling only and retrying in the background", "url", opts.URL)
	}
	return n, nil
}

// ID is this run's unique node ID.
func (n *Node) ID() string { return n.id }

// connected runs on nats.go's callback goroutine, possibly before Connect has set n.nc.
func (n *Node) connected(c *nats.Conn, how string) {
	n.log.Info(how+" to NATS", "url", c.ConnectedUrlRedacted(), "node", n.id)
	if n.opts.OnConnect != nil {
		n.opts.OnConnect()
	}
}

// Stats returns the counters.
func (n *Node) Stats() Stats {
	return Stats{Connected: n.nc.IsConnected(), Published: n.published.Load(), Received: n.recvd.Load(), Dropped: n.dropped.Load()}
}

// PublishChange tells the other nodes the store changed. nats.go buffers the message and
// writes it from its own goroutine (inline only when its buffer is full).
func (n *Node) PublishChange(version int64, kind string) {
	body, err := jsonx.Marshal(Change{Node: n.id, Name: n.name, Version: version, Kind: kind})
	if err != nil {
		n.dropped.Add(1)
		return
	}
	n.publish(n.changes, body)
}

// PublishSpend sends this node's spend updates; budget.Ledger.Broadcast calls it off the
// request path.
func (n *Node) PublishSpend(ups []budget.SpendUpdate) {
	for len(ups) > 0 {
		part := ups[:min(len(ups), maxSpendUpdates)]
		ups = ups[len(part):]
		body, err := jsonx.Marshal(spendMsg{Node: n.id, Updates: part})
		if err != nil {
			n.dropped.Add(1)
			continue
		}
		n.publish(n.spend, body)
	}
}

// PublishRateLimit sends this node's rate-limit consumption; ratelimit.Limiter.Broadcast
// calls it off the request path. Consumption is not cumulative: a message lost while
// disconnected lets the cluster admit that much more within the minute, never less.
func (n *Node) PublishRateLimit(cs []ratelimit.Consumption) {
	for len(cs) > 0 {
		part := cs[:min(len(cs), maxSpendUpdates)]
		cs = cs[len(part):]
		body, err := jsonx.Marshal(rateLimitMsg{Node: n.id, Usage: part})
		if err != nil {
			n.dropped.Add(1)
			continue
		}
		n.publish(n.ratelimit, body)
	}
}

func (n *Node) publish(subject string, body []byte) {
	// While disconnected nats.go would buffer messages for the reconnection; by then they
	// are stale (OnConnect resyncs and resends spend), so they are dropped instead.
	if !n.nc.IsConnected() {
		n.dropped.Add(1)
		return
	}
	if err := n.nc.Publish(subject, body); err != nil {
		n.dropped.Add(1)
		if !errors.Is(err, nats.ErrConnectionClosed) {
			n.log.Warn("publishing to NATS failed", "subject", subject, "err", err)
		}
		return
	}
	n.published.Add(1)
}

func (n *Node) onChange(m *nats.Msg) {
	var c Change
	if err := jsonx.Unmarshal(m.Data, &c); err != nil {
		n.log.Warn("ignoring a malformed change notice", "subject", m.Subject, "err", err)
		return
	}
	if c.Node == n.id {
		return // our own
	}
	n.recvd.Add(1)
	if n.opts.OnChange != nil {
		n.opts.OnChange(c)
	}
}

func (n *Node) onSpend(m *nats.Msg) {
	var s spendMsg
	if err := jsonx.Unmarshal(m.Data, &s); err != nil {
		n.log.Warn("ignoring a malformed spend message", "subject", m.Subject, "err", err)
		return
	}
	if s.Node == n.id || s.Node == "" {
		return
	}
	n.recvd.Add(1)
	if n.opts.OnSpend != nil {
		n.opts.OnSpend(s.Node, s.Updates)
	}
}

func (n *Node) onRateLimit(m *nats.Msg) {
	var r rateLimitMsg
	if err := jsonx.Unmarshal(m.Data, &r); err != nil {
		n.log.Warn("ignoring a malformed rate-limit message", "subject", m.Subject, "err", err)
		return
	}
	if r.Node == n.id || r.Node == "" {
		return
	}
	n.recvd.Add(1)
	if n.opts.OnRateLimit != nil {
		n.opts.OnRateLimit(r.Node, r.Usage)
	}
}

// Flush waits until NATS has acknowledged what was published so far, or the timeout.
func (n *Node) Flush(timeout time.Duration) error { return n.nc.FlushTimeout(timeout) }

// Close drains the subscriptions and closes the connection.
func (n *Node) Close() {
	n.closeOnce.Do(func() {
		if n.nc.IsConnected() {
			_ = n.nc.Drain() // lets handlers in progress finish; Drain closes the connection
			return
		}
		n.nc.Close()
	})
}
