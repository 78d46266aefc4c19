// Package cluster is the optional NATS control plane between Sluice nodes that share a
// PostgreSQL store. It carries two kinds of small messages on core NATS subjects:
//
//   - <prefix>.changes: "the store changed, counter=N, kind=key" — sent after a node commits
//     a control-plane change (keys, teams, projects, users, models, credentials, guardrail
//     policies), so every other node resyncs at once instead of at its next poll. No
//     secret and no row goes over NATS: receivers read the store.
//   - <prefix>.spend: a node's cumulative budget spend per window (budget.SpendUpdate), so
//     other nodes count it before the next store sync.
//   - <prefix>.ratelimit: the requests and tokens a node admitted per rate-limited identity
//     since its last message (ratelimit.Consumption), so every node charges them to its own
//     limiter and the cluster together keeps each limit.
//
// Core NATS delivers at most once, and a node may be disconnected, so nothing depends on
// these messages: nodes keep polling the store every store.sync_interval, and the store
// stays the source of truth. NATS only shortens how long a change or a node's spend takes to
// reach the others. Used by app; imports budget, ratelimit and store.
package cluster
