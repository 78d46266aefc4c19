// Package cache answers repeated chat requests without calling a provider. It has three
// parts:
//
//   - a canonical key (Key): SHA-256 over a canonical JSON encoding of the route and of every
//     request field that can change the answer, and the caller's tenant namespace, so two
//     requests differing only in stream, stream_options, user, metadata or member order share
//     an entry and two tenants never do;
//   - a Backend holding encoded Entries with a TTL: Memory (sharded, byte-bounded LRU) on one
//     node, Redis to share answers across nodes;
//   - an optional semantic Index: per tenant, the embedding of a request's last user message
//     is compared (cosine) with those of earlier requests of the same context, and an answer
//     above the similarity threshold is reused. Each context's vectors are searched by a
//     pruned exact scan (space.go, vector.go) or, once numerous, an HNSW graph built in the
//     background (graph.go); compact.go reclaims expired and evicted ones.
//
// Entries are non-streaming api.ChatResponses; a Collector assembles one from a stream and
// Replay turns one back into stream chunks. The package does no HTTP and knows nothing of
// principals: the gateway decides the namespace, when to look up, and when to store.
// Imported by gateway, app and telemetry.
package cache
