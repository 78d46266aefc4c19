package pricing

import (
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
)

// Scales of the integer units. A price per million tokens with scaleFemto decimal places is
// femto-dollars per token; a USD amount with scaleNano places is nano-dollars.
const (
	scaleFemto    = 9 // decimal places of a per-million-token price
	scaleNano     = 9 // decimal places of a per-unit USD price or a percentage
	femtoPerMicro = 1_000_000_000
	nanoPerMicro  = 1_000
)

// Errors of ParseDecimal, checked with errors.Is.
var (
	ErrMalformed = errors.New("not a plain decimal like 0.15")
	ErrNegative  = errors.New("must not be negative")
	ErrPrecision = errors.New("too many decimal places")
	ErrRange     = errors.New("too large")
)

// ParseDecimal parses a non-negative plain decimal ("12", "0.075") into an integer scaled by
// 10^scale: ParseDecimal("0.075", 9) is 75_000_000. Signs, exponents, spaces, a missing
// integer or fraction part and more than scale significant decimal places are errors; it
// never uses floats, so "0.1" is exact.
func ParseDecimal(s string, scale int) (int64, error) {
	if s == "" {
		return 0, fmt.Errorf("%q: %w", s, ErrMalformed)
	}
	if s[0] == '-' {
		if _, err := ParseDecimal(s[1:], scale); err == nil {
			return 0, fmt.Errorf("%q: %w", s, ErrNegative)
		}
		return 0, fmt.Errorf("%q: %w", s, ErrMalformed)
	}
	var v int64
	frac, dot := 0, false
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			if dot || digits == 0 || i == len(s)-1 {
				return 0, fmt.Errorf("%q: %w", s, ErrMalformed)
			}
			dot = true
			continue
		case c < '0' || c > '9':
			return 0, fmt.Errorf("%q: %w", s, ErrMalformed)
		}
		digits++
		if dot {
			frac++
			if frac > scale {
				if c != '0' {
					return 0, fmt.Errorf("%q: %w (at most %d)", s, ErrPrecision, scale)
				}
				continue // trailing zeros beyond the scale change nothing
			}
		}
		if v > (math.MaxInt64-int64(c-'0'))/10 {
			return 0, fmt.Errorf("%q: %w", s, ErrRange)
		}
		v = v*10 + int64(c-'0')
	}
	for ; frac < scale; frac++ {
		if v > math.MaxInt64/10 {
			return 0, fmt.Errorf("%q: %w", s, ErrRange)
		}
		v *= 10
	}
	return v, nil
}

// formatScaled renders v / 10^scale exactly, with all scale decimal places.
func formatScaled(v int64, scale int) string {
	neg := v < 0
	u := uint64(v)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u, 10)
	for len(s) <= scale {
		s = "0" + s
	}
	s = s[:len(s)-scale] + "." + s[len(s)-scale:]
	if neg {
		s = "-" + s
	}
	return s
}

// FormatUSD renders micro-dollars as an exact USD decimal with six places, the form of the
// x-sluice-cost-usd header: FormatUSD(123) is "0.000123".
func FormatUSD(micro int64) string { return formatScaled(micro, 6) }

// u128 is an unsigned 128-bit accumulator for products of token counts and prices.
type u128 struct{ hi, lo uint64 }

// addMul adds a*b (both non-negative) to x.
func (x u128) addMul(a, b uint64) u128 {
	hi, lo := bits.Mul64(a, b)
	var carry uint64
	x.lo, carry = bits.Add64(x.lo, lo, 0)
	x.hi, _ = bits.Add64(x.hi, hi, carry)
	return x
}

// divRound divides x by d rounding half up, saturating at math.MaxInt64.
func (x u128) divRound(d uint64) int64 {
	var carry uint64
	x.lo, carry = bits.Add64(x.lo, d/2, 0)
	x.hi, carry = bits.Add64(x.hi, 0, carry)
	if carry != 0 || x.hi >= d {
		return math.MaxInt64
	}
	q, _ := bits.Div64(x.hi, x.lo, d)
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}

// mulDivRound is a*b/d rounded half up, saturating at math.MaxInt64.
func mulDivRound(a, b, d uint64) int64 { return u128{}.addMul(a, b).divRound(d) }
