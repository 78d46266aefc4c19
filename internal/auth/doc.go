// Package auth decides who a request acts for and what it may call, from memory: a snapshot
// of the store's keys, teams and users indexed by key hash, rebuilt atomically when the store
// changes, and bearer JWTs verified by auth/oidc with a bounded cache. No request waits on the
// database. Used by the gateway (Authenticate, MayUse) and the admin API (keys, roles).
package auth
