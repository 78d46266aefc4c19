package store

import "time"

// PrefixBudgetEvent starts budget event IDs.
const PrefixBudgetEvent = "bevt_"

// BudgetSpendDelta adds Delta to a budget's spend in the period starting at PeriodStart
// (whole seconds; the Unix epoch for a budget that never resets).
type BudgetSpendDelta struct {
	BudgetID    string
	PeriodStart time.Time
	Delta       int64
}

// BudgetSpend is a budget's total spend in one period, every node's merged.
type BudgetSpend struct {
	BudgetID    string
	PeriodStart time.Time
	Spent       int64
	CreatedAt   time.Time // when the period's row was first written
	UpdatedAt   time.Time
}

// BudgetEvent records a budget alert. (BudgetID, PeriodStart, Threshold) is unique: the
// insert that creates it is the one that sends it.
type BudgetEvent struct {
	ID          string
	BudgetID    string
	PeriodStart time.Time
	Threshold   int // percent of the limit
	At          time.Time
	Spent       int64
	Limit       int64
	Unit        string
	Message     string
}

// BudgetEventFilter narrows ListBudgetEvents; empty matches everything.
type BudgetEventFilter struct {
	BudgetID string
}
