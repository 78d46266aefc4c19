package batch

import (
	"context"
	"sync"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/store"
)

// lineGuards holds the guardrail scanners of one run's lines, by line number. A batch must
// not be a way around the content policies that apply to the same request sent on its own,
// so every chat and Responses line passes the owner's input checks before any path (a
// provider's batch API or the router) sends it, and its answer passes the output checks
// before it reaches the output file.
//
// The scanners live only in memory: a run that starts after a restart scans the input again.
// Scanning is deterministic for a policy, so the redaction placeholders a provider saw are the
// ones restored in its answers.
type lineGuards struct {
	mu sync.Mutex
	sc map[int]*guardrail.Scanner
}

func (lg *lineGuards) get(n int) *guardrail.Scanner {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	return lg.sc[n]
}

func (lg *lineGuards) put(n int, sc *guardrail.Scanner) {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	if lg.sc == nil {
		lg.sc = map[int]*guardrail.Scanner{}
	}
	lg.sc[n] = sc
}

// scanner is a new scanner for a line of the owner routed by route, or nil when no policy
// applies.
func (r *run) scanner(route string) *guardrail.Scanner {
	if r.w.opts.Guardrails == nil {
		return nil
	}
	eng := r.w.opts.Guardrails()
	if eng == nil {
		return nil
	}
	set := eng.Resolve(r.st.Owner.TeamName, r.st.Owner.Tags, route)
	if set.Empty() {
		return nil
	}
	return guardrail.NewScanner(set, r.w.log)
}

// guardInput applies the input checks to every chat line of the input: a blocked line is
// returned in blocked (by line number) with its content_policy_violation error, and a
// redacted line's body is rewritten, so that every path sends the redacted text. Responses
// lines are checked where they are translated (respond), since they always run locally.
func (r *run) guardInput(ctx context.Context, lines []Line) (blocked map[int]error, err error) {
	for i := range lines {
		l := &lines[i]
		if l.URL != "/v1/chat/completions" {
			continue
		}
		route, rerr := r.table.Resolve(l.Model)
		if rerr != nil {
			continue // plan fails the line
		}
		sc := r.scanner(route.Name)
		if sc == nil {
			continue
		}
		var req api.ChatRequest
		if decodeBody(l, &req) != nil {
			continue // the path that sends it reports the bad body
		}
		r.guards.put(l.N, sc)
		if err := sc.Input(ctx, &req); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			if blocked == nil {
				blocked = map[int]error{}
			}
			blocked[l.N] = guardrail.APIError(err)
			continue
		}
		if sc.Verdict.Redacted() {
			body, err := jsonx.Marshal(&req)
			if err != nil {
				return nil, err
			}
			l.Body = body
		}
	}
	return blocked, nil
}

// guardOutput applies the output checks of line l to its successful chat answer: redacted
// values are restored and output rules apply. A blocked answer becomes the line's
// content_policy_violation error; its usage and cost stay, as the provider charged them.
func (r *run) guardOutput(ctx context.Context, l *Line, res *result) error {
	sc := r.guards.get(l.N)
	if sc == nil || !res.ok() || l.URL != "/v1/chat/completions" {
		return nil
	}
	var resp api.ChatResponse
	if err := jsonx.Unmarshal(res.Body, &resp); err != nil {
		return nil // not a chat completion the gateway produced: nothing to restore
	}
	if err := sc.Output(ctx, &resp); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		e := api.AsError(guardrail.APIError(err))
		res.Status, res.Body, res.ErrorType, res.ErrorCode = e.Status, e.AppendJSON(nil), e.Type, e.Code
		return nil
	}
	if len(sc.Verdict.Fired) == 0 {
		return nil // nothing redacted or found: the provider's answer stays byte for byte
	}
	body, err := jsonx.Marshal(&resp)
	if err != nil {
		return err
	}
	res.Body = body
	return nil
}

// verdicts is line n's guardrail verdict for its request-log record.
func (r *run) verdicts(n int) []store.GuardrailVerdict {
	if sc := r.guards.get(n); sc != nil {
		return sc.Verdict.Records()
	}
	return nil
}
