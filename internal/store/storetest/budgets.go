package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

var budgetTests = []test{
	{"Budget/SpendAddsAndReadsBack", testBudgetSpend},
	{"Budget/SpendMergesConcurrentWriters", testBudgetSpendConcurrent},
	{"Budget/EventOncePerThresholdAndPeriod", testBudgetEventOnce},
}

func testBudgetSpend(t *testing.T, s store.Store) {
	may := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	june := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	got, err := s.AddBudgetSpend(ctx(t), []store.BudgetSpendDelta{
		{BudgetID: "b1", PeriodStart: june, Delta: 5}, {BudgetID: "b1", PeriodStart: may, Delta: 7}, {BudgetID: "b2", PeriodStart: time.Unix(0, 0), Delta: 0},
	})
	wantErr(t, "AddBudgetSpend", err, nil)
	if len(got) != 3 || got[0].Spent != 5 || got[1].Spent != 7 || got[2].Spent != 0 {
		t.Fatalf("AddBudgetSpend = %+v, want spent 5, 7, 0 in input order", got)
	}
	if !got[0].PeriodStart.Equal(june) || got[0].BudgetID != "b1" {
		t.Fatalf("AddBudgetSpend[0] = %+v, want b1 at %v", got[0], june)
	}
	wantRecent(t, "AddBudgetSpend CreatedAt", got[0].CreatedAt)
	got, err = s.AddBudgetSpend(ctx(t), []store.BudgetSpendDelta{{BudgetID: "b1", PeriodStart: june, Delta: 10}})
	wantErr(t, "AddBudgetSpend again", err, nil)
	if got[0].Spent != 15 {
		t.Fatalf("AddBudgetSpend(+10) spent = %d, want 15", got[0].Spent)
	}
	got, err = s.AddBudgetSpend(ctx(t), []store.BudgetSpendDelta{{BudgetID: "b1", PeriodStart: may}})
	wantErr(t, "AddBudgetSpend(read)", err, nil)
	if got[0].Spent != 7 {
		t.Fatalf("AddBudgetSpend(read may) spent = %d, want 7", got[0].Spent)
	}
	_, err = s.AddBudgetSpend(ctx(t), []store.BudgetSpendDelta{{PeriodStart: may, Delta: 1}})
	wantErr(t, "AddBudgetSpend(no id)", err, store.ErrInvalid)
}

func testBudgetSpendConcurrent(t *testing.T, s store.Store) {
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	const writers, each = 4, 10
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for range each {
				// Opposite orders: the store must order row locks itself.
				d := []store.BudgetSpendDelta{{BudgetID: "a", PeriodStart: start, Delta: 1}, {BudgetID: "z", PeriodStart: start, Delta: 2}}
				if w%2 == 1 {
					d[0], d[1] = d[1], d[0]
				}
				if _, err := s.AddBudgetSpend(ctx(t), d); err != nil {
					t.Errorf("AddBudgetSpend: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	got, err := s.AddBudgetSpend(ctx(t), []store.BudgetSpendDelta{{BudgetID: "a", PeriodStart: start}, {BudgetID: "z", PeriodStart: start}})
	wantErr(t, "AddBudgetSpend(read)", err, nil)
	if got[0].Spent != writers*each || got[1].Spent != 2*writers*each {
		t.Fatalf("after %d concurrent writers spent = %d, %d; want %d, %d", writers, got[0].Spent, got[1].Spent, writers*each, 2*writers*each)
	}
}

func testBudgetEventOnce(t *testing.T, s store.Store) {
	start := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC)
	e := store.BudgetEvent{BudgetID: "b1", PeriodStart: start, Threshold: 80, Spent: 80, Limit: 100, Unit: "tokens", Message: "80%"}
	first, ins, err := s.InsertBudgetEvent(ctx(t), e)
	wantErr(t, "InsertBudgetEvent", err, nil)
	if !ins || first.ID == "" {
		t.Fatalf("InsertBudgetEvent = %+v, inserted %v; want an ID and inserted", first, ins)
	}
	_, ins, err = s.InsertBudgetEvent(ctx(t), e)
	wantErr(t, "InsertBudgetEvent again", err, nil)
	if ins {
		t.Fatalf("InsertBudgetEvent of the same (budget, period, threshold) inserted again")
	}
	e.PeriodStart = start.AddDate(0, 1, 0)
	second, ins, err := s.InsertBudgetEvent(ctx(t), e)
	wantErr(t, "InsertBudgetEvent next period", err, nil)
	if !ins {
		t.Fatalf("InsertBudgetEvent in the next period was not inserted")
	}
	_, _, err = s.InsertBudgetEvent(ctx(t), store.BudgetEvent{BudgetID: "b1", Threshold: 0})
	wantErr(t, "InsertBudgetEvent(threshold 0)", err, store.ErrInvalid)
	page, err := s.ListBudgetEvents(ctx(t), store.BudgetEventFilter{BudgetID: "b1"}, store.ListOptions{})
	wantErr(t, "ListBudgetEvents", err, nil)
	wantEqual(t, "ListBudgetEvents", page, store.Page[store.BudgetEvent]{Items: []store.BudgetEvent{first, second}})
	page, err = s.ListBudgetEvents(ctx(t), store.BudgetEventFilter{BudgetID: "other"}, store.ListOptions{})
	wantErr(t, "ListBudgetEvents(other)", err, nil)
	if len(page.Items) != 0 {
		t.Fatalf("ListBudgetEvents(other) = %+v, want none", page.Items)
	}
}
