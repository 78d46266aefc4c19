// Package guardrail enforces content policy on what goes to a model and what comes back:
// keyword and RE2 rules, PII and secret detection with checksum and context validation,
// prompt-injection heuristics, an external webhook, and an LLM judge. A Policy is a named list of checks,
// each with an action (block, redact, flag) and a stage (input, output or both). An Engine is
// compiled once from configuration and only read afterwards; a reload swaps it whole.
//
// The scanners are pure functions over a string that return byte spans; the only I/O is the
// webhook and judge checks, behind the small Hook interface (a judge asks a model through the
// Judge interface, which the gateway implements over its router). Redactor replaces spans with typed numbered
// placeholders ([EMAIL_1]) and can restore them in the answer; StreamFilter applies output
// checks to a stream with a bounded hold-back window so a match split across chunks is still
// caught before any of its bytes leave. Imported by gateway, admin and app.
package guardrail
