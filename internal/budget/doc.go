// Package budget enforces spend budgets (dollars or tokens, per key, user, team, project or
// the whole organization, over calendar periods in a time zone) with every check in memory.
//
// A Ledger holds an immutable set of budgets, swapped whole when configuration changes, and
// per-(budget, period) counters kept as atomics. The request path calls Admit, which reserves
// an estimate on every budget that covers the caller or refuses; after the call it settles
// the reservation with the actual amount exactly once. A background loop (Run) merges each
// node's spend into the shared store every sync interval and raises threshold alerts, which
// the store deduplicates across nodes and restarts before they are posted to webhooks.
// With a control plane, Broadcast sends each node's spend to the others as it is settled and
// ApplySpend counts theirs at once, without ever counting it twice beside the store's total
// (remote.go).
//
// Used by gateway (the request path), admin (status and events) and app (wiring).
package budget
