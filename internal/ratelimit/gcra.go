package ratelimit

import "sync/atomic"

// period is the window every limit is expressed in: requests and tokens per minute.
const period = int64(60e9)

// maxCostPeriods bounds what one request may charge, in whole periods, so a huge token count
// cannot overflow the arrival time; a request that large waits for a full bucket and then
// blocks its successors for up to this many minutes.
const maxCostPeriods = 16

// gcraResult is one GCRA decision. reset is how long until the bucket is full again (what
// OpenAI's x-ratelimit-reset-* headers report); retryAfter is set on refusal only.
type gcraResult struct {
	ok         bool
	remaining  int64
	reset      int64
	retryAfter int64
	incr       int64 // what was added to the arrival time, for a rollback or a correction
}

// interval is the emission interval of a per-minute limit: the time one unit of cost takes to
// drip back.
func interval(limit int64) int64 { return max(period/limit, 1) }

// gcraTake charges cost against a limit per minute, lock-free. The bucket holds the whole
// limit (a burst of limit requests is allowed from idle), the generic cell rate algorithm with
// tau = period - interval. A cost above the limit is admitted only into a full bucket.
func gcraTake(tat *atomic.Int64, now, limit, cost int64) gcraResult {
	t := interval(limit)
	incr := min(cost, limit*maxCostPeriods) * t
	need := min(incr, period)
	for {
		old := tat.Load()
		base := max(old, now)
		if allowAt := base + need - period; allowAt > now {
			return gcraResult{reset: base - now, retryAfter: allowAt - now}
		}
		next := base + incr
		if tat.CompareAndSwap(old, next) {
			return gcraResult{ok: true, remaining: max((now+period-next)/t, 0), reset: next - now, incr: incr}
		}
	}
}

// gcraPeek reports the state without charging: what a response that charged nothing shows.
func gcraPeek(tat *atomic.Int64, now, limit int64) (remaining, reset int64) {
	t := interval(limit)
	base := max(tat.Load(), now)
	return max((now+period-base)/t, 0), base - now
}
