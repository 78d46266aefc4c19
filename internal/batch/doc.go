// Package batch is the Batch API's engine: it validates batch input files (JSONL of requests),
// defines the Batch object OpenAI's SDKs read, and runs the worker that drives batches to the
// end — through a provider's own batch API (OpenAI files and batches, Anthropic Message
// Batches, Gemini Batch Mode) at the batch price, or line by line through the router at bounded concurrency
// where a provider has none — then writes the output and error files, one request-log record
// per line, and the budgets' spend. All state lives in the store, so a batch survives
// restarts, and a lease in the store makes one node drive it at a time.
//
// The gateway's /v1/files and /v1/batches handlers use its parsing and objects; app wiring
// owns the Worker. It imports router, provider and store, never gateway.
package batch
