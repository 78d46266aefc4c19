// Package store is the contract for Sluice's persistent data: organizations, teams, projects,
// users, API keys, provider credentials, models managed through the admin API, the audit log,
// and the request log.
//
// It holds the domain types, their validation, the Store interface and its errors. Two
// implementations satisfy it: store/sqlite (one node, a file next to the binary) and
// store/postgres (a cluster of gateway nodes sharing one database). Both pass the same
// conformance suite, store/storetest. Any package may import store; only app wiring should
// import an implementation.
//
// # Identifiers
//
// IDs are text. When a create call leaves ID empty the store fills it with NewID: a type
// prefix ("team_", "key_", ...) and 26 Crockford base32 characters encoding a millisecond
// timestamp and 80 random bits, like a ULID. IDs from one process sort in creation order,
// which is the order every List returns. Callers may supply their own IDs (an import, a
// test); they must match [A-Za-z0-9_-]{1,64}.
//
// # Secrets
//
// The store never sees a plaintext API key or provider credential: keys arrive as a hash
// (the auth package hashes and compares in constant time), credentials as ciphertext and
// nonce (the caller encrypts).
//
// # Change counter
//
// Every mutation of governance state bumps Version in its own transaction, so a gateway
// node can poll Version (or, on PostgreSQL, LISTEN on VersionChannel) and reload its
// in-memory Snapshot only when something changed. Appending to the audit log is not a
// governance change and leaves Version alone: otherwise every admin call, which writes its
// change and then its audit event, would make every node reload twice. Request logs leave it
// alone too: they are traffic, not configuration.
package store
