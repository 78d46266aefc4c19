// Package ratelimit enforces Sluice's own request, token and concurrency limits in memory:
// per key, user, team and (key, model), with the most restrictive applicable limit deciding.
// Each limited identity holds a GCRA state (the theoretical arrival time, advanced with one
// compare-and-swap) for requests and for tokens, and an atomic in-flight counter, so the check
// takes no lock once the identity has been seen. With Share, the requests and tokens each node
// admits are reported (Broadcast) and charged on the other nodes (ApplyRemote), so a cluster
// keeps one limit rather than one per node (share.go). It knows nothing of HTTP; the gateway turns a
// Decision into headers and errors. Imported by gateway, app and telemetry.
package ratelimit
