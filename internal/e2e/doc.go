// Package e2e holds end-to-end tests: the whole gateway in-process on a loopback port, in
// front of mockllm, driven by the official OpenAI Go SDK. It has no non-test code.
package e2e
