// Package storetest is the conformance suite every store.Store implementation must pass,
// written once and run by store/sqlite and store/postgres against real databases. Only
// tests may import it.
package storetest
