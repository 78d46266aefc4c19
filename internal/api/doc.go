// Package api holds the public, OpenAI-compatible wire types that Sluice speaks to its clients:
// chat completions (request, response, stream chunk), embeddings, models and the error shape.
//
// Every struct keeps members it does not model in an Extra fallback, so parameters that OpenAI
// adds tomorrow still reach OpenAI-compatible upstreams and come back to the client. Any
// package may import api; api imports nothing of Sluice's but jsonx.
package api
