// Package pricing holds the price catalog of the models Sluice routes to and computes the cost
// of a request in integer micro-dollars.
//
// The catalog shipped with the binary (catalog.yaml, embedded; see Default) lists, per
// provider and model, the USD price per million input, output, cached-input and cache-write
// tokens, and per image or per second where a model bills that way. Its as_of date says when
// the prices were copied from the providers' public pricing pages: they go stale, so operators
// override them without a release, with a file of the same schema (Load) or custom rates from
// config or the admin API (With). A Catalog is immutable; a reload builds a new one and swaps it.
//
// Units. Prices are decimal strings ("0.15") parsed without floats into femto-dollars per token
// (10^-15 USD, which is exactly nano-dollars per million tokens: 9 decimal places of the
// per-million price). Cost multiplies token counts by these prices in 128-bit integers (so
// 10^12 tokens at any price overflows nothing), keeps the sum in femto-dollars and rounds half
// up to the micro-dollar once, at the end.
//
// Matching. A model is looked up in the table named after the provider account (the presets
// groq, mistral, ... are named so), then in the table of its wire format; Azure deployments
// fall back to the openai table, so a deployment named after its model ("gpt-4o") is priced as
// OpenAI's, and any other deployment name needs an alias (aliases: {azure: {prod-chat: gpt-4o}})
// or a custom rate. Dated snapshots resolve to their base ("gpt-4o-mini-2024-07-18" ->
// "gpt-4o-mini", "claude-3-5-sonnet-20241022" -> "claude-3-5-sonnet"), Bedrock ids lose their
// regional prefix and version ("us.anthropic.claude-sonnet-4-20250514-v1:0") and Bedrock's
// Anthropic models take Anthropic's price. An unknown model has no price: Cost reports ok=false
// and the caller records the cost as unknown, never as zero.
//
// Importers: config (to compile rates), gateway and usage (to cost requests), admin.
package pricing
