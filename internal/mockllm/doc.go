// Package mockllm is a fake LLM provider: an HTTP server that speaks the OpenAI, Azure OpenAI,
// Anthropic Messages, Gemini and Bedrock APIs closely enough for their official SDKs to parse its
// answers, with knobs that simulate latency, streaming speed, errors and faults.
//
// It is used in-process by the gateway's end-to-end tests and by `sluice serve --demo`, and as a
// separate process (cmd/mockllm) by the load benchmark. Any package may import it; it imports no
// other sluice package, and it deliberately shares no wire types with the gateway, so that a bug
// in the gateway's encoding cannot be mirrored here and go unnoticed.
//
// The shared steps are format-agnostic; each provider API is a providerAPI (apis.go) in its own
// files, with its own auth, error bodies and stream framing:
//
//	mockllm.go    Server, Options, Listen, request recording and stats
//	apis.go       the providerAPI interface and the match order
//	behavior.go   knobs: defaults, x-mock-* headers, [[mock ...]] directives, fault decisions
//	content.go    deterministic text, tool arguments, embeddings and token counts
//	jsonenc.go    allocation-light JSON appenders for the hot paths
//	openai*.go    OpenAI: chat, the Responses API (and its refusal of chat for Responses-only
//	              models), embeddings, models, images, audio
//	azure*.go     Azure OpenAI deployment paths, api-version and api-key; the v1 API's /responses
//	anthropic*.go the Messages API, its event sequence and error table
//	gemini*.go    generateContent, streamGenerateContent (SSE), embeddings; thought signatures
//	bedrock*.go   Converse, ConverseStream (binary event stream), InvokeModel; SigV4 verification
//
// # Knobs
//
// Every request starts from the server's Options, then applies x-mock-<knob> headers, then
// [[mock key=value ...]] directives found in the text of the last chat message (or the last
// embeddings input), so tests can reach the mock through a gateway that drops unknown headers.
// Keys may be written with "-" or "_".
//
//	latency=50ms    wait before sending response headers (every endpoint)
//	ttft=200ms      wait after headers before the first stream chunk; added to latency otherwise
//	token_delay=20  wait between stream chunks (bare integers are milliseconds)
//	tokens=16       completion tokens per choice
//	status=429      answer with this HTTP error status and an error body in the wire format
//	retry_after=1   seconds, sent as retry-after with status=429
//	hang            accept the request and never answer until the client goes away
//	cut_after=3     abort the stream connection after 3 content chunks (no finish chunk, no [DONE])
//	error_after=3   send an in-stream error event after 3 content chunks, then end the stream
//	reset_after=3   reset the TCP connection (RST) after 3 content chunks
//	eof_after=3     end the body cleanly after 3 content chunks, without the terminal event
//	stall_after=3   send nothing more after 3 content chunks until the client goes away
//	malformed_after=3  send an unreadable chunk after 3 content chunks (cut JSON; for Bedrock a
//	                frame whose CRC fails), then end
//	tool_call=f,g   call these functions (they must be in the request's tools)
//	usage=false     leave token usage out of responses, like some OpenAI-compatible servers
//	ratelimit=3     allow 3 requests per model per window, announced in x-ratelimit-*-requests
//	                and anthropic-ratelimit-requests-* headers counting down; then 429
//	ratelimit_window=60s  the ratelimit knob's fixed window (default one minute)
//
// The Responses API (POST /v1/responses) plans its reply like a chat completion and honours
// the same knobs, the *_after ones counting text and argument deltas. A request with
// reasoning.effort reports 4, 8, 16 or 32 reasoning tokens (minimal to high) within its output
// tokens and answers with a reasoning item first (with encrypted_content when include asks
// for reasoning.encrypted_content); one with prompt_cache_key reports half its
// input as cached. The mock keeps no responses: any previous_response_id is a 404. Chat
// completions for a Responses-only model (o1-pro, o3-pro, codex-mini-latest, ...) get OpenAI's
// 404 naming v1/responses.
//
// When a *_after knob is at least the number of content chunks, the fault happens after
// the last content chunk, before the finish chunk, so the knob always produces a fault.
package mockllm
