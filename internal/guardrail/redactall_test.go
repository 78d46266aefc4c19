package guardrail_test

import (
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/guardrail"
)

func TestRedactAllRemovesPIIAndSecretsWithoutPolicy(t *testing.T) {
	const key = "sk-proj-4f9Xq2LmN8vB7cD1eR5tY6uI0oP3aS"
	for _, tc := range []struct{ in, want string }{
		{"mail jane.doe@example.com please", "mail [EMAIL_1] please"},
		{"key " + key + " ok", "key [SECRET_1] ok"},
		{"a@example.com and b@example.org then a@example.com", "[EMAIL_1] and [EMAIL_2] then [EMAIL_1]"},
		{"card 4111 1111 1111 1111", "card [CREDIT_CARD_1]"},
		{"nothing to see here", "nothing to see here"},
		{"", ""},
	} {
		if got := guardrail.RedactAll(tc.in); got != tc.want {
			t.Errorf("RedactAll(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestScrubberNumbersAcrossTexts(t *testing.T) {
	var sc guardrail.Scrubber
	a := sc.Redact("from ann@example.com")
	b := sc.Redact("reply to ann@example.com and bob@example.com")
	if a != "from [EMAIL_1]" || b != "reply to [EMAIL_1] and [EMAIL_2]" {
		t.Errorf("Redact twice = %q, %q; want one placeholder per value across both", a, b)
	}
	if strings.Contains(a+b, "@") {
		t.Errorf("an address survived: %q %q", a, b)
	}
}
