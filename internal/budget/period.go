package budget

import (
	"math"
	"time"
	_ "time/tzdata" // periods in IANA zones must work on minimal images without zoneinfo
)

// Period is how often a budget resets.
type Period uint8

// Periods.
const (
	Daily Period = iota
	Weekly
	Monthly
	Total
)

var periodNames = [...]string{Daily: "daily", Weekly: "weekly", Monthly: "monthly", Total: "total"}

func (p Period) String() string { return periodNames[p] }

// ParsePeriod parses a config period name.
func ParsePeriod(s string) (Period, bool) {
	for i, n := range periodNames {
		if n == s {
			return Period(i), true
		}
	}
	return 0, false
}

// totalEnd is the end of a period that never ends.
const totalEnd = math.MaxInt64

// bounds returns the period containing t as [start, end) in Unix nanoseconds. Calendar
// periods start at local midnight in loc: time.Date normalises a day that starts at 01:00
// after a DST jump, and a 23- or 25-hour day is still one day. A total period starts at 0.
func (p Period) bounds(t time.Time, loc *time.Location) (start, end int64) {
	if p == Total {
		return 0, totalEnd
	}
	lt := t.In(loc)
	y, m, d := lt.Date()
	var s, e time.Time
	switch p {
	case Daily:
		s = time.Date(y, m, d, 0, 0, 0, 0, loc)
		e = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
	case Weekly:
		back := (int(lt.Weekday()) + 6) % 7 // days since Monday
		s = time.Date(y, m, d-back, 0, 0, 0, 0, loc)
		e = time.Date(y, m, d-back+7, 0, 0, 0, 0, loc)
	default:
		s = time.Date(y, m, 1, 0, 0, 0, 0, loc)
		e = time.Date(y, m+1, 1, 0, 0, 0, 0, loc)
	}
	return s.UnixNano(), e.UnixNano()
}
