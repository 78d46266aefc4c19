// Package sqlcore is the SQL that store/sqlite and store/postgres share: both run the same
// queries, written with "?" placeholders, through a small DB interface that each backend
// implements over its driver, plus a Dialect for what differs (time encoding, error codes,
// locking). Keeping one copy of the queries is what keeps the two backends behaving alike.
// Only the store backends may import it.
package sqlcore
