package provider

import (
	"bytes"
	"net/http"
	"strconv"
	"time"
)

// maxRetryAfter bounds a hint so a hostile value cannot overflow a Duration or stall retries.
const maxRetryAfter = 24 * time.Hour

// RetryAfter reads a provider's retry hint: OpenAI's retry-after-ms, else retry-after in
// seconds or as an HTTP date (RFC 9110 §10.2.3). Zero when absent or unreadable.
func RetryAfter(h http.Header) time.Duration {
	if ms := h.Get("Retry-After-Ms"); ms != "" {
		if n, err := strconv.ParseFloat(ms, 64); err == nil && n > 0 && n <= float64(maxRetryAfter.Milliseconds()) {
			return time.Duration(n * float64(time.Millisecond))
		}
	}
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if n, err := strconv.ParseFloat(v, 64); err == nil && n > 0 && n <= maxRetryAfter.Seconds() {
		return time.Duration(n * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 && d <= maxRetryAfter {
			return d
		}
	}
	return 0
}

// Snippet is the start of a provider's body for a log line: enough to diagnose, bounded.
func Snippet(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) > 512 {
		return string(b[:512]) + "…"
	}
	return string(b)
}
