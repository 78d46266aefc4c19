// Package ratelimit enforces Sluice's own request, token and concurrency limits in memory:
// per key, user, team and (key, model), with the most restrictive applicable limit deciding.
// Each limited identity holds a GCRA state (the theoretical arrival time, advanced with one
// compare-and-swap) for requests and for tokens, and an atomic in-flight counter, so the check
// takes no lock once the identity has been seen. It knows nothing of HTTP; the gateway turns a
// Decision into headers and errors. Imported by gateway, app and telemetry.
package ratelimit
