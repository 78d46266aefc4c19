package guardrail

import (
	"bufio"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

type corpusCase struct {
	typ      string
	positive bool
	text     string
	line     int
}

func loadCorpus(t testing.TB) []corpusCase {
	t.Helper()
	f, err := os.Open("testdata/corpus.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusCase
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		parts := strings.SplitN(line, "\t", 3)
		if len(parts) != 3 {
			t.Fatalf("corpus.tsv:%d: want type<TAB>label<TAB>text", n)
		}
		text, err := strconv.Unquote(`"` + strings.ReplaceAll(parts[2], `"`, `\"`) + `"`)
		if err != nil {
			t.Fatalf("corpus.tsv:%d: %v", n, err)
		}
		out = append(out, corpusCase{typ: parts[0], positive: parts[1] == "+", text: text, line: n})
	}
	return out
}

// corpusDetectors maps each corpus type to the detector and finding type that judge it.
var corpusDetectors = map[string]struct {
	detect detector
	want   string
}{
	"email":       {piiDetector([]string{"email"}), TypeEmail},
	"phone":       {piiDetector(nil), TypePhone},
	"credit_card": {piiDetector(nil), TypeCreditCard},
	"iban":        {piiDetector(nil), TypeIBAN},
	"ssn":         {piiDetector(nil), TypeSSN},
	"ip":          {piiDetector(nil), TypeIP},
	"dob":         {piiDetector(nil), TypeDOB},
	"secret":      {scanSecrets, TypeSecret},
	"injection":   {injectionDetector(DefaultInjectionThreshold), TypeInjection},
}

type score struct{ tp, fp, fn, tn int }

func (s score) precision() float64 {
	if s.tp+s.fp == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fp)
}

func (s score) recall() float64 {
	if s.tp+s.fn == 0 {
		return 1
	}
	return float64(s.tp) / float64(s.tp+s.fn)
}

func scoreCorpus(cases []corpusCase, report func(c corpusCase, got bool)) map[string]*score {
	scores := map[string]*score{}
	for _, c := range cases {
		d := corpusDetectors[c.typ]
		fs := d.detect(c.text, nil)
		got := slices.ContainsFunc(fs, func(f Finding) bool { return f.Type == d.want })
		s := scores[c.typ]
		if s == nil {
			s = &score{}
			scores[c.typ] = s
		}
		switch {
		case c.positive && got:
			s.tp++
		case c.positive:
			s.fn++
		case got:
			s.fp++
		default:
			s.tn++
		}
		if got != c.positive && report != nil {
			report(c, got)
		}
	}
	return scores
}

// Floors the corpus must stay above per check; a scanner change that lowers either fails.
const (
	precisionFloor = 0.95
	recallFloor    = 0.95
)

func TestCorpusPrecisionRecallAboveFloor(t *testing.T) {
	cases := loadCorpus(t)
	for _, c := range cases {
		if _, ok := corpusDetectors[c.typ]; !ok {
			t.Fatalf("corpus.tsv:%d: unknown type %q", c.line, c.typ)
		}
	}
	scores := scoreCorpus(cases, func(c corpusCase, got bool) {
		t.Logf("corpus.tsv:%d %s label=%v detected=%v: %q", c.line, c.typ, c.positive, got, c.text)
	})
	for typ := range corpusDetectors {
		s := scores[typ]
		if s == nil || s.tp+s.fn < 5 || s.fp+s.tn < 5 {
			t.Errorf("%s: corpus needs at least 5 positives and 5 negatives", typ)
			continue
		}
		if s.precision() < precisionFloor || s.recall() < recallFloor {
			t.Errorf("%s: precision %.2f recall %.2f, want >= %.2f and >= %.2f", typ, s.precision(), s.recall(), precisionFloor, recallFloor)
		}
	}
}

// BenchmarkCorpusPrecisionRecall reports precision and recall per check as metrics:
// go test -run '^$' -bench CorpusPrecisionRecall ./internal/guardrail
func BenchmarkCorpusPrecisionRecall(b *testing.B) {
	cases := loadCorpus(b)
	var scores map[string]*score
	for b.Loop() {
		scores = scoreCorpus(cases, nil)
	}
	for typ, s := range scores {
		b.ReportMetric(s.precision(), typ+"-precision")
		b.ReportMetric(s.recall(), typ+"-recall")
	}
}
