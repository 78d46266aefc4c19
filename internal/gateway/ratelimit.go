package gateway

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/auth"
	"github.com/sluicehq/sluice/internal/ratelimit"
	"github.com/sluicehq/sluice/internal/router"
)

// WithRateLimiter enforces the snapshot's rate limits (and each key's rpm and tpm) with l,
// whose state outlives reloads.
func WithRateLimiter(l *ratelimit.Limiter) Option { return func(g *Gateway) { g.limiter = l } }

// admitRate charges the caller's rate limits for a request to model of about tokens tokens, and
// reports the most restrictive limit in OpenAI's x-ratelimit-* headers, on success and on
// refusal alike. The ticket it keeps in c must be settled when the request ends.
func (g *Gateway) admitRate(w http.ResponseWriter, r *http.Request, c *call, model string, tokens int64) error {
	if g.limiter == nil {
		return nil
	}
	p := principal(r)
	req := ratelimit.Request{Key: callerID(p), KeyLimits: ratelimit.Limits{RPM: p.RPM, TPM: p.TPM},
		User: p.UserID, UserEmail: p.Email, Team: p.TeamName, Model: model, Tokens: tokens}
	d := g.limiter.Admit(g.snapshot.Load().RateLimits, &req)
	setRateLimitHeaders(w.Header(), &d.Status)
	if !d.Allowed {
		e := api.Errorf("rate_limited", "Rate limit reached for %s: %s limit of %d; try again in %s.",
			d.Scope, d.Kind, d.Limit, string(appendOpenAIDuration(nil, d.RetryAfter)))
		e.RetryAfter = d.RetryAfter
		return e
	}
	c.ticket = d.Ticket
	return nil
}

// settleRate ends the call's hold on its rate limits: the token charge is corrected to the usage
// the provider reported (kept as estimated when it reported none) and concurrency is freed.
// Handlers defer it, so it runs once on every outcome: success, error, stream end, client gone.
func (g *Gateway) settleRate(c *call) {
	actual := int64(-1)
	if c.usage != nil {
		actual = int64(c.usage.TotalTokens)
	}
	c.ticket.Settle(actual)
}

// callerID is what a caller's own limits are counted under: its key, else its user (JWTs),
// else its kind, so all anonymous callers share one default limit.
func callerID(p *auth.Principal) string {
	switch {
	case p.KeyID != "":
		return p.KeyID
	case p.UserID != "":
		return p.UserID
	}
	return string(p.Kind)
}

// chatTokens estimates a chat request's size for token limits: the prompt at 4 characters a
// token (the precise BPE count is too slow for every request) plus the completion the client
// allows, as OpenAI itself counts max_tokens against a token limit. Settle corrects it.
func chatTokens(req *api.ChatRequest) int64 {
	chars := 0
	for i := range req.Messages {
		m := &req.Messages[i]
		chars += len(m.Content.Text)
		for j := range m.Content.Parts {
			chars += len(m.Content.Parts[j].Text)
		}
		for j := range m.ToolCalls {
			chars += len(m.ToolCalls[j].Function.Arguments)
		}
	}
	n := int64(chars/4 + 1)
	switch {
	case req.MaxCompletionTokens != nil:
		n += int64(max(*req.MaxCompletionTokens, 0))
	case req.MaxTokens != nil:
		n += int64(max(*req.MaxTokens, 0))
	}
	return n
}

// embeddingsTokens estimates an embeddings input at 4 bytes of its JSON a token.
func embeddingsTokens(req *api.EmbeddingsRequest) int64 {
	return int64(len(req.Input)/4 + 1)
}

// rateLimitHeaders are OpenAI's names, in the order their values are packed.
var rateLimitHeaders = [6]string{
	"X-Ratelimit-Limit-Requests", "X-Ratelimit-Remaining-Requests", "X-Ratelimit-Reset-Requests",
	"X-Ratelimit-Limit-Tokens", "X-Ratelimit-Remaining-Tokens", "X-Ratelimit-Reset-Tokens",
}

// setRateLimitHeaders writes the request and token headers of the limits that apply. All
// values share one string and one slice backing array: two allocations, not twelve.
func setRateLimitHeaders(h http.Header, s *ratelimit.Status) {
	if s.RequestLimit == 0 && s.TokenLimit == 0 {
		return
	}
	var buf [128]byte
	b := buf[:0]
	var ends [7]int
	if s.RequestLimit > 0 {
		b = strconv.AppendInt(b, s.RequestLimit, 10)
		ends[1] = len(b)
		b = strconv.AppendInt(b, s.RequestRemaining, 10)
		ends[2] = len(b)
		b = appendOpenAIDuration(b, s.RequestReset)
		ends[3] = len(b)
	}
	if s.TokenLimit > 0 {
		ends[3] = len(b)
		b = strconv.AppendInt(b, s.TokenLimit, 10)
		ends[4] = len(b)
		b = strconv.AppendInt(b, s.TokenRemaining, 10)
		ends[5] = len(b)
		b = appendOpenAIDuration(b, s.TokenReset)
		ends[6] = len(b)
	}
	all := string(b)
	vals := make([]string, 6)
	for i, name := range rateLimitHeaders {
		if (i < 3 && s.RequestLimit == 0) || (i >= 3 && s.TokenLimit == 0) {
			continue
		}
		vals[i] = all[ends[i]:ends[i+1]]
		h[name] = vals[i : i+1 : i+1]
	}
}

// appendOpenAIDuration writes d as OpenAI's reset headers do ("20ms", "1s", "6m0s",
// "1.5s"), rounded up to the millisecond so a client waiting that long is not early.
func appendOpenAIDuration(b []byte, d time.Duration) []byte {
	ms := int64((d + time.Millisecond - 1) / time.Millisecond)
	if ms <= 0 {
		return append(b, "0s"...)
	}
	if ms < 1000 {
		return append(strconv.AppendInt(b, ms, 10), "ms"...)
	}
	if h := ms / 3_600_000; h > 0 {
		b = append(strconv.AppendInt(b, h, 10), 'h')
		ms %= 3_600_000
		b = append(strconv.AppendInt(b, ms/60_000, 10), 'm')
	} else if m := ms / 60_000; m > 0 {
		b = append(strconv.AppendInt(b, m, 10), 'm')
	}
	ms %= 60_000
	b = strconv.AppendInt(b, ms/1000, 10)
	if frac := ms % 1000; frac > 0 {
		digits := []byte{byte('0' + frac/100), byte('0' + frac/10%10), byte('0' + frac%10)}
		for digits[len(digits)-1] == '0' {
			digits = digits[:len(digits)-1]
		}
		b = append(append(b, '.'), digits...)
	}
	return append(b, 's')
}

// quotaPriority is the key tag that orders a caller among requests waiting for a provider's
// quota to reset: higher first. Operators set it; a client cannot raise its own.
const quotaPriority = "priority"

// withQuotaPriority carries a key's priority tag to the router, which orders waiters by it.
func withQuotaPriority(ctx context.Context, p *auth.Principal) context.Context {
	v, ok := p.Tags[quotaPriority]
	if !ok {
		return ctx
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return ctx
	}
	return router.WithPriority(ctx, n)
}
