package pricing

import (
	"errors"
	"math"
	"math/big"
	"testing"
)

func TestParseDecimal(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr error
	}{
		{"0", 0, nil},
		{"0.15", 150_000_000, nil},
		{"2.50", 2_500_000_000, nil},
		{"0.075", 75_000_000, nil},
		{"0.000000001", 1, nil},
		{"0.1000000000000", 100_000_000, nil}, // zeros past the scale are harmless
		{"9223372036.854775807", math.MaxInt64, nil},
		{"9223372036.854775808", 0, ErrRange},
		{"99999999999999999999", 0, ErrRange},
		{"0.0000000001", 0, ErrPrecision},
		{"1.2.3", 0, ErrMalformed},
		{"-1", 0, ErrNegative},
		{"-0.5", 0, ErrNegative},
		{"--1", 0, ErrMalformed},
		{"1e3", 0, ErrMalformed},
		{"1.5E-2", 0, ErrMalformed},
		{"+1", 0, ErrMalformed},
		{" 1", 0, ErrMalformed},
		{"", 0, ErrMalformed},
		{".5", 0, ErrMalformed},
		{"5.", 0, ErrMalformed},
		{"0x10", 0, ErrMalformed},
		{"1,5", 0, ErrMalformed},
	}
	for _, tt := range tests {
		got, err := ParseDecimal(tt.in, 9)
		if got != tt.want || !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
			t.Errorf("ParseDecimal(%q, 9) = %d, %v; want %d, %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestFormatUSD(t *testing.T) {
	tests := []struct {
		micro int64
		want  string
	}{
		{0, "0.000000"},
		{123, "0.000123"},
		{1_500_000, "1.500000"},
		{12_345_678_901, "12345.678901"},
		{-5, "-0.000005"},
		{math.MaxInt64, "9223372036854.775807"},
		{math.MinInt64, "-9223372036854.775808"},
	}
	for _, tt := range tests {
		if got := FormatUSD(tt.micro); got != tt.want {
			t.Errorf("FormatUSD(%d) = %q, want %q", tt.micro, got, tt.want)
		}
	}
}

func TestDivRoundSaturates(t *testing.T) {
	if got := (u128{hi: math.MaxUint64, lo: math.MaxUint64}).divRound(femtoPerMicro); got != math.MaxInt64 {
		t.Errorf("divRound(2^128-1) = %d, want MaxInt64", got)
	}
	if got := mulDivRound(3, 1, 2); got != 2 {
		t.Errorf("mulDivRound(3, 1, 2) = %d, want 2 (1.5 rounds half up)", got)
	}
}

// FuzzParseDecimal checks the parser against math/big: whatever it accepts is exactly the
// rational the string denotes, scaled by 10^9, and survives a format round trip.
func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"0", "0.15", "2.50", "1.2.3", "-1", "1e3", ".5", "9223372036.854775807", "0.0000000001", "00012.3400"} {
		f.Add(s)
	}
	scale := new(big.Rat).SetInt64(1_000_000_000)
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseDecimal(s, 9)
		if err != nil {
			if v != 0 {
				t.Errorf("ParseDecimal(%q) = %d with error %v, want 0", s, v, err)
			}
			return
		}
		if v < 0 {
			t.Fatalf("ParseDecimal(%q) = %d, want >= 0", s, v)
		}
		r, ok := new(big.Rat).SetString(s)
		if !ok {
			t.Fatalf("ParseDecimal(%q) accepted what big.Rat rejects", s)
		}
		if want := r.Mul(r, scale); !want.IsInt() || want.Num().Int64() != v || !want.Num().IsInt64() {
			t.Fatalf("ParseDecimal(%q) = %d, want %s", s, v, want.RatString())
		}
		back, err := ParseDecimal(formatScaled(v, 9), 9)
		if err != nil || back != v {
			t.Fatalf("round trip of %q via %q = %d, %v", s, formatScaled(v, 9), back, err)
		}
	})
}
