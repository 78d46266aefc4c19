package budget

// Charge adds spend that already happened, without an admission: the lines of a batch job,
// which was admitted once when it was submitted and whose usage is known only when the
// provider finishes it. A blocking budget may end up over its limit by the batch's spend;
// later requests are refused as usual.
func (l *Ledger) Charge(who *Who, actual Amount) {
	s := l.set.Load()
	if len(s.byID) == 0 {
		return
	}
	var buf [maxCovering]*entry
	cover := s.covering(buf[:0], who)
	now := l.clock().UnixNano()
	for _, e := range cover {
		v := actual.MicroUSD
		if e.b.Unit == Tokens {
			v = actual.Tokens
		}
		if v <= 0 {
			continue
		}
		w := l.window(e, now)
		l.add(w, v)
		if e.b.Period == Total {
			w.since.CompareAndSwap(0, now)
		}
		l.checkThresholds(e, w)
	}
}
