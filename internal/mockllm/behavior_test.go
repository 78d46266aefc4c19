package mockllm

import (
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseDirectives(t *testing.T) {
	tests := []struct {
		text    string
		want    []setting
		wantErr string
	}{
		{"no directive", nil, ""},
		{"[[mock tokens=3]]", []setting{{Key: "tokens", Value: "3"}}, ""},
		{"before [[mock  latency=50ms\thang ]] after", []setting{{Key: "latency", Value: "50ms"}, {Key: "hang", Bare: true}}, ""},
		{"[[mock a=1]] and [[mock b=2]]", []setting{{Key: "a", Value: "1"}, {Key: "b", Value: "2"}}, ""},
		{"[[mock]]", nil, ""},
		{"[[mockery]] is not one", nil, ""},
		{"[[mock x=a=b]]", []setting{{Key: "x", Value: "a=b"}}, ""},
		{"[[mock tokens=3", nil, "unterminated"},
		{"[[mock =3]]", nil, "no key"},
	}
	for _, tt := range tests {
		got, err := parseDirectives(tt.text)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseDirectives(%q): got error %v, want one containing %q", tt.text, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseDirectives(%q): got %+v, %v; want %+v", tt.text, got, err, tt.want)
		}
	}
}

func TestApplyKnobs(t *testing.T) {
	tests := []struct {
		in      setting
		check   func(behavior) bool
		wantErr string
	}{
		{setting{Key: "latency", Value: "50"}, func(b behavior) bool { return b.Latency == 50*time.Millisecond }, ""},
		{setting{Key: "ttft", Value: "1.5s"}, func(b behavior) bool { return b.TTFT == 1500*time.Millisecond }, ""},
		{setting{Key: "token-delay", Value: "5ms"}, func(b behavior) bool { return b.TokenDelay == 5*time.Millisecond }, ""},
		{setting{Key: "Status", Value: "503"}, func(b behavior) bool { return b.Status == 503 }, ""},
		{setting{Key: "hang", Bare: true}, func(b behavior) bool { return b.Hang }, ""},
		{setting{Key: "usage", Value: "false"}, func(b behavior) bool { return !b.Usage }, ""},
		{setting{Key: "tool_call", Value: "a,b"}, func(b behavior) bool { return reflect.DeepEqual(b.ToolCalls, []string{"a", "b"}) }, ""},
		{setting{Key: "cut_after", Value: "0"}, func(b behavior) bool { return b.CutAfter == 0 }, ""},
		{setting{Key: "latency", Value: "-5ms"}, nil, "outside"},
		{setting{Key: "latency", Value: "soon"}, nil, "neither a duration"},
		{setting{Key: "status", Value: "200"}, nil, "outside 400..599"},
		{setting{Key: "tokens", Bare: true}, nil, "needs a value"},
		{setting{Key: "tool_call", Value: "a,,b"}, nil, "empty function name"},
		{setting{Key: "colour", Value: "red"}, nil, "unknown knob"},
	}
	for _, tt := range tests {
		b := Options{}.behavior()
		err := b.apply(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("apply(%+v): got error %v, want one containing %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !tt.check(b) {
			t.Errorf("apply(%+v): got %+v, %v", tt.in, b, err)
		}
	}
}

func TestApplyHeadersOnlyReadsMockHeaders(t *testing.T) {
	b := Options{Tokens: 7}.behavior()
	h := http.Header{}
	h.Set("X-Mock-Tokens", "3")
	h.Set("X-Mock-Retry_after", "9")
	h.Set("X-Other", "1")
	if err := b.applyHeaders(h); err != nil {
		t.Fatal(err)
	}
	if b.Tokens != 3 || b.RetryAfter != 9 {
		t.Errorf("applyHeaders: got tokens %d retry_after %d, want 3 and 9", b.Tokens, b.RetryAfter)
	}
}

func TestFaultAt(t *testing.T) {
	b := Options{}.behavior()
	b.CutAfter = 5
	if b.faultAt(4, false) != faultNone || b.faultAt(5, false) != faultCut {
		t.Error("cut_after=5: want no fault before chunk 4 and a cut before chunk 5")
	}
	if b.faultAt(3, true) != faultCut {
		t.Error("cut_after=5 with 3 chunks: want a cut before the finish chunk")
	}
	b = Options{}.behavior()
	if b.faultAt(0, true) != faultNone {
		t.Error("no fault knobs: want no fault")
	}
}

func TestMidStreamFaultKnobs(t *testing.T) {
	for _, tc := range []struct {
		knob string
		want streamFault
	}{
		{"reset_after", faultReset},
		{"eof_after", faultEOF},
		{"stall_after", faultStall},
		{"malformed_after", faultMalformed},
		{"error_after", faultError},
	} {
		b := Options{}.behavior()
		if err := b.applyDirectives("[[mock " + tc.knob + "=2]]"); err != nil {
			t.Fatalf("%s=2: %v", tc.knob, err)
		}
		if got := b.faultAt(1, false); got != faultNone {
			t.Errorf("%s=2: faultAt(1) = %d, want none", tc.knob, got)
		}
		if got := b.faultAt(2, false); got != tc.want {
			t.Errorf("%s=2: faultAt(2) = %d, want %d", tc.knob, got, tc.want)
		}
		if got := b.faultAt(1, true); got != tc.want {
			t.Errorf("%s=2 with one chunk: faultAt(1, last) = %d, want %d before the finish", tc.knob, got, tc.want)
		}
		if err := b.applyDirectives("[[mock " + tc.knob + "=-1]]"); err == nil {
			t.Errorf("%s=-1 was accepted", tc.knob)
		}
	}
}

func FuzzParseDirective(f *testing.F) {
	for _, s := range []string{"", "hi", "[[mock tokens=3]]", "[[mock", "[[mock ]] [[mock a]]", "x [[mock a=b c=d]] y", "[[mock\t=]]", "[[mock é=ü]]", "[[mock ]\n]]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got, err := parseDirectives(text)
		if !strings.Contains(text, directiveOpen) && (got != nil || err != nil) {
			t.Fatalf("parseDirectives(%q) without a directive: got %v, %v", text, got, err)
		}
		if err != nil {
			return
		}
		// Re-rendering the settings as one directive parses back to the same settings, unless a
		// value ends in "]", which would then merge with the closing "]]".
		var sb strings.Builder
		sb.WriteString(directiveOpen)
		for _, s := range got {
			if s.Key == "" || strings.ContainsFunc(s.Key+s.Value, isUnicodeSpace) || strings.Contains(s.Key, "=") {
				t.Fatalf("parseDirectives(%q): malformed setting %+v", text, s)
			}
			sb.WriteString(" " + s.Key)
			if !s.Bare {
				sb.WriteString("=" + s.Value)
			}
		}
		sb.WriteString(directiveClose)
		again, err := parseDirectives(sb.String())
		if err == nil && len(got) > 0 && !strings.HasSuffix(sb.String(), "]"+directiveClose) && !reflect.DeepEqual(again, got) {
			t.Fatalf("round trip of %q: got %+v, want %+v", sb.String(), again, got)
		}
		// Applying never panics, whatever the values.
		b := Options{}.behavior()
		for _, s := range got {
			_ = b.apply(s)
		}
	})
}

func isUnicodeSpace(r rune) bool { return strings.TrimSpace(string(r)) == "" }

func TestReplyKnobSplitsAtChunkBytesWithoutBreakingRunes(t *testing.T) {
	var b behavior
	if err := b.applyDirectives("[[mock reply=caf%C3%A9%20ok chunk_bytes=2]]"); err != nil {
		t.Fatal(err)
	}
	plans := []choicePlan{{pieces: []string{"x"}}}
	b.applyReply(plans)
	want := []string{"ca", "fé", " o", "k"}
	if got := plans[0].pieces; strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("pieces = %q, want %q", got, want)
	}
	if err := b.applyDirectives("[[mock reply=%zz]]"); err == nil {
		t.Errorf("reply=%%zz: want an error")
	}
}
