package guardrail

import (
	"errors"
	"strings"
	"testing"

	"github.com/sluicehq/sluice/internal/config"
)

// streamText runs text through a fresh stream filter in the given pieces and returns what was
// sent before the end or the block.
func streamText(t *testing.T, p *Policy, window int, pieces []string) (string, error) {
	t.Helper()
	sc := NewScanner(SetOf(p), nil)
	f := sc.NewStreamFilter(window)
	var out strings.Builder
	for _, piece := range pieces {
		s, err := f.Write(piece)
		out.WriteString(s)
		if err != nil {
			return out.String(), err
		}
	}
	s, err := f.Flush()
	out.WriteString(s)
	return out.String(), err
}

var sensitive = []string{"jane.doe@example.com", "4111 1111 1111 1111", "+44 20 7946 0958", "AKIAIOSFODNN7EXAMPLE",
	"GB82 WEST 1234 5698 7654 32", "123-45-6789"}

const streamSample = "Sure. Write to jane.doe@example.com or call +44 20 7946 0958; card 4111 1111 1111 1111 " +
	"and IBAN GB82 WEST 1234 5698 7654 32 are on file, SSN 123-45-6789, key AKIAIOSFODNN7EXAMPLE. Anything else?"

func redactAll(t testing.TB) *Policy {
	return mustPolicy(t, "p", false, redactPII("output"),
		config.GuardrailCheck{Name: "secrets", Kind: "secrets", Action: "redact", Apply: "output"})
}

func TestStreamRedactsMatchesSplitAtEveryBoundary(t *testing.T) {
	p := redactAll(t)
	want, err := NewScanner(SetOf(p), nil).Text(streamSample, Output)
	if err != nil {
		t.Fatal(err)
	}
	for _, window := range []int{32, 128} {
		for i := 0; i <= len(streamSample); i++ {
			got, err := streamText(t, p, window, []string{streamSample[:i], streamSample[i:]})
			if err != nil {
				t.Fatalf("window %d split %d: %v", window, i, err)
			}
			if got != want {
				t.Fatalf("window %d split %d:\n got %q\nwant %q", window, i, got, want)
			}
		}
	}
}

func TestStreamNeverSendsSensitiveBytesWithOneByteChunks(t *testing.T) {
	p := redactAll(t)
	pieces := make([]string, len(streamSample))
	for i := range streamSample {
		pieces[i] = streamSample[i : i+1]
	}
	sc := NewScanner(SetOf(p), nil)
	f := sc.NewStreamFilter(32)
	var sent strings.Builder
	for _, piece := range pieces {
		s, err := f.Write(piece)
		if err != nil {
			t.Fatal(err)
		}
		sent.WriteString(s)
		for _, v := range sensitive {
			// No prefix of a sensitive value long enough to identify it may have left.
			if strings.Contains(sent.String(), v[:len(v)/2+1]) {
				t.Fatalf("sent %q contains part of %q", sent.String(), v)
			}
		}
	}
	rest, err := f.Flush()
	if err != nil {
		t.Fatal(err)
	}
	sent.WriteString(rest)
	for _, v := range sensitive {
		if strings.Contains(sent.String(), v) {
			t.Errorf("output leaks %q: %q", v, sent.String())
		}
	}
}

func TestStreamBlockStopsBeforeTheMatchAtEverySplit(t *testing.T) {
	p := mustPolicy(t, "p", false, config.GuardrailCheck{Name: "codename", Kind: "keyword", Action: "block", Apply: "output", Keywords: []string{"project bluebird"}})
	text := strings.Repeat("filler words here ", 12) + "the codename is Project Bluebird and more text follows here"
	for i := 0; i <= len(text); i++ {
		for _, j := range []int{i, min(i+7, len(text))} {
			got, err := streamText(t, p, 64, []string{text[:i], text[i:j], text[j:]})
			var b *Blocked
			if !errors.As(err, &b) || b.Rule != "codename" {
				t.Fatalf("split %d,%d: err = %v, want Blocked by codename", i, j, err)
			}
			if strings.Contains(strings.ToLower(got), "project") {
				t.Fatalf("split %d,%d: sent %q before blocking", i, j, got)
			}
		}
	}
}

func TestStreamRestoresPlaceholdersSplitAcrossChunks(t *testing.T) {
	p := mustPolicy(t, "p", true, redactPII("input"))
	text := "I have emailed [EMAIL_1] as asked, and [EMAIL_1] replied."
	for i := 0; i <= len(text); i++ {
		sc := NewScanner(SetOf(p), nil)
		if _, err := sc.Text("contact x@example.com", Input); err != nil {
			t.Fatal(err)
		}
		f := sc.NewStreamFilter(16)
		a, _ := f.Write(text[:i])
		b, _ := f.Write(text[i:])
		c, _ := f.Flush()
		if got, want := a+b+c, "I have emailed x@example.com as asked, and x@example.com replied."; got != want {
			t.Fatalf("split %d: got %q, want %q", i, got, want)
		}
	}
}

func TestStreamHoldsAtMostWindowPlusOneWord(t *testing.T) {
	p := redactAll(t)
	sc := NewScanner(SetOf(p), nil)
	f := sc.NewStreamFilter(64)
	words := strings.Fields(strings.Repeat("the quick brown fox jumps over the lazy dog ", 20))
	for _, w := range words {
		if _, err := f.Write(w + " "); err != nil {
			t.Fatal(err)
		}
		if f.Held() > 64+len("quick ")+1 {
			t.Fatalf("holding %d bytes with a 64-byte window", f.Held())
		}
	}
}
