package budget

import (
	"testing"
	"time"
)

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestPeriodBoundsInTimeZones(t *testing.T) {
	berlin, ny := mustZone(t, "Europe/Berlin"), mustZone(t, "America/New_York")
	tests := []struct {
		name       string
		p          Period
		loc        *time.Location
		at         time.Time
		start, end time.Time
	}{
		{"daily spring-forward day is 23h", Daily, berlin, time.Date(2026, 3, 29, 12, 0, 0, 0, berlin),
			time.Date(2026, 3, 29, 0, 0, 0, 0, berlin), time.Date(2026, 3, 30, 0, 0, 0, 0, berlin)},
		{"daily fall-back day is 25h", Daily, berlin, time.Date(2026, 10, 25, 23, 30, 0, 0, berlin),
			time.Date(2026, 10, 25, 0, 0, 0, 0, berlin), time.Date(2026, 10, 26, 0, 0, 0, 0, berlin)},
		{"daily at the instant of midnight", Daily, ny, time.Date(2026, 11, 2, 0, 0, 0, 0, ny),
			time.Date(2026, 11, 2, 0, 0, 0, 0, ny), time.Date(2026, 11, 3, 0, 0, 0, 0, ny)},
		{"weekly ISO from Monday, on a Sunday", Weekly, berlin, time.Date(2026, 11, 29, 23, 59, 0, 0, berlin),
			time.Date(2026, 11, 23, 0, 0, 0, 0, berlin), time.Date(2026, 11, 30, 0, 0, 0, 0, berlin)},
		{"weekly across a month and DST", Weekly, ny, time.Date(2026, 11, 1, 12, 0, 0, 0, ny),
			time.Date(2026, 10, 26, 0, 0, 0, 0, ny), time.Date(2026, 11, 2, 0, 0, 0, 0, ny)},
		{"monthly December to January", Monthly, berlin, time.Date(2026, 12, 31, 23, 59, 59, 0, berlin),
			time.Date(2026, 12, 1, 0, 0, 0, 0, berlin), time.Date(2027, 1, 1, 0, 0, 0, 0, berlin)},
		{"monthly is local, not UTC", Monthly, berlin, time.Date(2026, 10, 31, 23, 30, 0, 0, time.UTC),
			time.Date(2026, 11, 1, 0, 0, 0, 0, berlin), time.Date(2026, 12, 1, 0, 0, 0, 0, berlin)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, e := tc.p.bounds(tc.at, tc.loc)
			if s != tc.start.UnixNano() || e != tc.end.UnixNano() {
				t.Fatalf("%s bounds(%v) = [%v, %v), want [%v, %v)", tc.p, tc.at,
					time.Unix(0, s).In(tc.loc), time.Unix(0, e).In(tc.loc), tc.start, tc.end)
			}
		})
	}
}

// Spend resets exactly at local midnight: a nanosecond before counts in the old day, the
// instant itself in the new one, on a day that DST made 23 hours long.
func TestRolloverAtLocalMidnight(t *testing.T) {
	berlin := mustZone(t, "Europe/Berlin")
	midnight := time.Date(2026, 3, 30, 0, 0, 0, 0, berlin)
	clock := newClock(midnight.Add(-time.Nanosecond))
	b := tokenBudget("daily", 100)
	b.Period, b.Location = Daily, berlin
	l := New([]*Budget{b}, Options{Clock: clock.now})

	res, err := l.Admit(org, &Estimate{MaxTokens: 100})
	if err != nil {
		t.Fatal(err)
	}
	l.Settle(&res, Amount{Tokens: 100})
	if _, err := l.Admit(org, &Estimate{MaxTokens: 1}); err == nil {
		t.Fatalf("Admit at 23:59:59.999999999 after spending the day's limit succeeded")
	}
	clock.set(midnight)
	res, err = l.Admit(org, &Estimate{MaxTokens: 100})
	if err != nil {
		t.Fatalf("Admit at local midnight: %v, want a fresh day", err)
	}
	st, _ := l.Status("daily")
	if st.Spent != 0 || !st.PeriodStart.Equal(midnight) || !st.ResetsAt.Equal(midnight.AddDate(0, 0, 1)) {
		t.Fatalf("Status after midnight = spent %d, [%v, %v), want 0 from %v", st.Spent, st.PeriodStart, st.ResetsAt, midnight)
	}
	if midnight.Sub(time.Date(2026, 3, 29, 0, 0, 0, 0, berlin)) != 23*time.Hour {
		t.Fatalf("test premise: 29 March 2026 in Berlin should last 23 hours")
	}
	l.Settle(&res, Amount{Tokens: 10})
}

// A request admitted before midnight and finished after counts in the day it started.
func TestSettleAfterRolloverChargesTheOldPeriod(t *testing.T) {
	midnight := time.Date(2026, 6, 2, 0, 0, 0, 0, time.UTC)
	clock := newClock(midnight.Add(-time.Second))
	b := tokenBudget("daily", 100)
	b.Period = Daily
	l := New([]*Budget{b}, Options{Clock: clock.now})
	res, _ := l.Admit(org, &Estimate{MaxTokens: 50})
	clock.add(2 * time.Second)
	l.Settle(&res, Amount{Tokens: 40})
	if st, _ := l.Status("daily"); st.Spent != 0 || st.Reserved != 0 {
		t.Fatalf("new day: spent %d reserved %d, want 0 and 0", st.Spent, st.Reserved)
	}
}

// A reload that keeps a budget's ID keeps its spend, unless its period changes shape.
func TestSwapKeepsSpendUnlessThePeriodChanges(t *testing.T) {
	clock := newClock(time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC))
	b := tokenBudget("b", 1000)
	l := New([]*Budget{b}, Options{Clock: clock.now})
	res, _ := l.Admit(org, &Estimate{MaxTokens: 10})
	l.Settle(&res, Amount{Tokens: 10})

	raised := *b
	raised.Limit = 2000
	l.Swap([]*Budget{&raised})
	if st, _ := l.Status("b"); st.Spent != 10 || st.Limit != 2000 {
		t.Fatalf("after raising the limit: spent %d limit %d, want 10 and 2000", st.Spent, st.Limit)
	}
	daily := raised
	daily.Period = Daily
	l.Swap([]*Budget{&daily})
	st, _ := l.Status("b")
	if st.Spent != 0 || !st.PeriodStart.Equal(time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("after monthly→daily: spent %d from %v, want a fresh daily window", st.Spent, st.PeriodStart)
	}
}
