package budget

import "testing"

func TestChargeAddsSpendWithoutAdmissionAndLaterRequestsSeeIt(t *testing.T) {
	l := New([]*Budget{tokenBudget("b", 1000)}, Options{})
	l.Charge(org, Amount{Tokens: 1200, MicroUSD: 5})
	st, _ := l.Status("b")
	if st.Spent != 1200 || st.Reserved != 0 {
		t.Fatalf("after Charge(1200 tokens): spent %d reserved %d, want 1200 and 0", st.Spent, st.Reserved)
	}
	if _, err := l.Admit(org, &Estimate{PromptTokens: 1, MaxTokens: 1}); err == nil {
		t.Fatalf("Admit after a charge past the limit succeeded, want *Exceeded")
	}
	l.Charge(&Who{KeyID: "other"}, Amount{}) // nothing to charge: a no-op
	if st, _ := l.Status("b"); st.Spent != 1200 {
		t.Errorf("a zero charge changed spend to %d", st.Spent)
	}
}
