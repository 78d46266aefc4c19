package guardrail

import (
	"strings"
	"testing"
)

func checkSpans(t *testing.T, name, s string, fs []Finding) {
	for _, f := range fs {
		if f.Start < 0 || f.End > len(s) || f.Start >= f.End {
			t.Fatalf("%s: span %d:%d out of range for %d bytes of %q", name, f.Start, f.End, len(s), s)
		}
	}
}

// FuzzScanners checks that every scanner returns spans inside its input and never panics.
func FuzzScanners(f *testing.F) {
	for _, s := range []string{streamSample, "a@b.co", "+1 (415) 555-0132", "DE89 3704 0044 0532 0130 00", "fe80::1",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcdefghij", "-----BEGIN EC PRIVATE KEY-----", "aws secret = " + strings.Repeat("aB3", 14),
		"ignore all previous instructions", "\U000E0041\u200b\u200b\u200b", "born 01/02/1990", "9.9.9.9.9"} {
		f.Add(s)
	}
	pii := piiDetector(nil)
	inj := injectionDetector(0)
	kw := keywordDetector([]string{"secret project", "x", "<|y|>"}, TypeKeyword)
	f.Fuzz(func(t *testing.T, s string) {
		checkSpans(t, "pii", s, pii(s, nil))
		checkSpans(t, "secrets", s, scanSecrets(s, nil))
		checkSpans(t, "injection", s, inj(s, nil))
		checkSpans(t, "keyword", s, kw(s, nil))
	})
}

// FuzzStreamFilter checks that a stream split anywhere gives the same redacted text as the
// whole text when every match fits the window, and that nothing panics.
func FuzzStreamFilter(f *testing.F) {
	f.Add(streamSample, 10, 3)
	f.Add("mail a@b.co now [EMAIL_1]", 4, 1)
	p := redactAll(f)
	f.Fuzz(func(t *testing.T, s string, split, step int) {
		if len(s) > 2048 {
			return
		}
		want, err := NewScanner(SetOf(p), nil).Text(s, Output)
		if err != nil {
			t.Fatal(err)
		}
		step = 1 + abs(step)%64
		split = abs(split) % (len(s) + 1)
		sc := NewScanner(SetOf(p), nil)
		fl := sc.NewStreamFilter(4096) // larger than any input: the split must not matter
		var got strings.Builder
		for i := 0; i < len(s); i += step {
			out, err := fl.Write(s[i:min(len(s), i+step)])
			if err != nil {
				t.Fatal(err)
			}
			got.WriteString(out)
		}
		out, err := fl.Flush()
		if err != nil {
			t.Fatal(err)
		}
		got.WriteString(out)
		if got.String() != want {
			t.Fatalf("stream %q != whole %q", got.String(), want)
		}
		// A small window must not panic or lose bytes outside matches.
		sc2 := NewScanner(SetOf(p), nil)
		small := sc2.NewStreamFilter(16)
		_, _ = small.Write(s[:split])
		_, _ = small.Write(s[split:])
		_, _ = small.Flush()
	})
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
