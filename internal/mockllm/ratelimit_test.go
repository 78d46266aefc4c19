package mockllm

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestRateLimitKnobCountsDownThenRefuses(t *testing.T) {
	inst := start(t, Options{})
	send := func(model string) *http.Response {
		body := `{"model":"` + model + `","messages":[{"role":"user","content":"[[mock ratelimit=2]] hi"}]}`
		resp, err := http.Post(inst.URL()+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	for i, want := range []string{"1", "0"} {
		resp := send("a")
		if resp.StatusCode != 200 || resp.Header.Get("X-Ratelimit-Remaining-Requests") != want ||
			resp.Header.Get("Anthropic-Ratelimit-Requests-Remaining") != want || resp.Header.Get("X-Ratelimit-Limit-Requests") != "2" {
			t.Fatalf("request %d with ratelimit=2: %d remaining %q/%q, want 200 and %s", i+1, resp.StatusCode,
				resp.Header.Get("X-Ratelimit-Remaining-Requests"), resp.Header.Get("Anthropic-Ratelimit-Requests-Remaining"), want)
		}
		if d, err := time.ParseDuration(resp.Header.Get("X-Ratelimit-Reset-Requests")); err != nil || d <= 0 || d > time.Minute {
			t.Fatalf("request %d: x-ratelimit-reset-requests %q, want a duration within the minute", i+1, resp.Header.Get("X-Ratelimit-Reset-Requests"))
		}
		if _, err := time.Parse(time.RFC3339, resp.Header.Get("Anthropic-Ratelimit-Requests-Reset")); err != nil {
			t.Fatalf("request %d: anthropic-ratelimit-requests-reset %q is not RFC 3339", i+1, resp.Header.Get("Anthropic-Ratelimit-Requests-Reset"))
		}
	}
	resp := send("a")
	if ra, _ := strconv.Atoi(resp.Header.Get("Retry-After")); resp.StatusCode != 429 || ra < 1 || ra > 60 {
		t.Fatalf("third request with ratelimit=2: %d retry-after %q, want 429 with retry-after", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if got := inst.Server().Stats().RateLimited; got != 1 {
		t.Fatalf("Stats().RateLimited = %d, want 1", got)
	}
	if resp := send("b"); resp.StatusCode != 200 {
		t.Fatalf("another model's first request: %d, want 200 (quotas are per model)", resp.StatusCode)
	}
}
