package provider

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestRetryAfter(t *testing.T) {
	future := time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat)
	for _, tc := range []struct {
		h        http.Header
		min, max time.Duration
	}{
		{http.Header{}, 0, 0},
		{http.Header{"Retry-After": {"7"}}, 7 * time.Second, 7 * time.Second},
		{http.Header{"Retry-After": {"1.5"}}, 1500 * time.Millisecond, 1500 * time.Millisecond},
		{http.Header{"Retry-After-Ms": {"250"}, "Retry-After": {"9"}}, 250 * time.Millisecond, 250 * time.Millisecond},
		{http.Header{"Retry-After": {future}}, 80 * time.Second, 91 * time.Second},
		{http.Header{"Retry-After": {"1e30"}}, 0, 0},
		{http.Header{"Retry-After": {"-3"}}, 0, 0},
		{http.Header{"Retry-After": {"soon"}}, 0, 0},
	} {
		if got := RetryAfter(tc.h); got < tc.min || got > tc.max {
			t.Errorf("RetryAfter(%v) = %v, want %v..%v", tc.h, got, tc.min, tc.max)
		}
	}
}

func TestSnippet(t *testing.T) {
	if got := Snippet([]byte(strings.Repeat("x", 600))); len([]rune(got)) != 513 {
		t.Errorf("Snippet of 600 bytes has %d runes, want 512 and an ellipsis", len([]rune(got)))
	}
}
