package guardrail

import (
	"net/netip"
	"strings"
)

// PII types a pii check can be limited to.
const (
	TypeEmail      = "EMAIL"
	TypePhone      = "PHONE"
	TypeCreditCard = "CREDIT_CARD"
	TypeIBAN       = "IBAN"
	TypeSSN        = "SSN"
	TypeIP         = "IP_ADDRESS"
	TypeDOB        = "DATE_OF_BIRTH"
)

// PIITypes maps the configuration names of PII types to their finding types.
var PIITypes = map[string]string{
	"email": TypeEmail, "phone": TypePhone, "credit_card": TypeCreditCard, "iban": TypeIBAN,
	"ssn": TypeSSN, "ip": TypeIP, "dob": TypeDOB,
}

// piiDetector returns a detector for the given finding types (all when empty).
func piiDetector(types []string) detector {
	want := map[string]bool{}
	for _, t := range types {
		want[PIITypes[t]] = true
	}
	all := len(want) == 0
	on := func(t string) bool { return all || want[t] }
	email, iban, ip6 := on(TypeEmail), on(TypeIBAN), on(TypeIP)
	numbers := numberKinds{card: on(TypeCreditCard), ssn: on(TypeSSN), phone: on(TypePhone), ip: on(TypeIP), dob: on(TypeDOB)}
	return func(s string, dst []Finding) []Finding {
		if email {
			dst = scanEmails(s, dst)
		}
		if numbers.any() {
			dst = scanNumbers(s, numbers, dst)
		}
		if iban {
			dst = scanIBANs(s, dst)
		}
		if ip6 {
			dst = scanIPv6(s, dst)
		}
		return dst
	}
}

// --- e-mail ---

func isLocalByte(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-'
}

func isDomainByte(c byte) bool { return isAlnum(c) || c == '.' || c == '-' }

// scanEmails finds addresses by their '@', which IndexByte finds fast, and validates the
// domain: dot-separated labels, none empty or hyphen-edged, ending in a letters-only TLD.
func scanEmails(s string, dst []Finding) []Finding {
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '@')
		if j < 0 {
			break
		}
		at := i + j
		l := at
		for l > 0 && isLocalByte(s[l-1]) && at-l < 64 {
			l--
		}
		for l < at && s[l] == '.' {
			l++
		}
		r := at + 1
		for r < len(s) && isDomainByte(s[r]) && r-at < 254 {
			r++
		}
		for r > at+1 && (s[r-1] == '.' || s[r-1] == '-') {
			r--
		}
		if l < at && validDomain(s[at+1:r]) {
			dst = append(dst, Finding{Type: TypeEmail, Start: l, End: r})
		}
		i = max(r, at+1)
	}
	return dst
}

func validDomain(d string) bool {
	dot := strings.LastIndexByte(d, '.')
	if dot <= 0 || len(d)-dot-1 < 2 {
		return false
	}
	for _, c := range []byte(d[dot+1:]) {
		if !isAlpha(c) {
			return false
		}
	}
	for label := range strings.SplitSeq(d, ".") {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
	}
	return true
}

// --- numbers: cards, SSNs, phones, IPv4, dates of birth ---

type numberKinds struct{ card, ssn, phone, ip, dob bool }

func (k numberKinds) any() bool { return k.card || k.ssn || k.phone || k.ip || k.dob }

func isNumSep(c byte) bool {
	return c == ' ' || c == '-' || c == '.' || c == '/' || c == '(' || c == ')'
}

// scanNumbers finds runs of digits and separators that start at a word boundary, then tries
// the number formats on each run's space-separated groups, longest candidate first, so "call
// 415 555 0132 on 2024-01-05" yields the phone and leaves the date alone.
func scanNumbers(s string, k numberKinds, dst []Finding) []Finding {
	for i := 0; i < len(s); i++ {
		c := s[i]
		startsNumber := isDigit(c) || ((c == '+' || c == '(') && i+1 < len(s) && isDigit(s[i+1]))
		if !startsNumber || !wordStart(s, i) {
			continue
		}
		end := i + 1
		for end < len(s) {
			c := s[end]
			if isDigit(c) {
				end++
				continue
			}
			if isNumSep(c) && end+1 < len(s) && (isDigit(s[end+1]) || (c == ')' && s[end+1] == ' ') || (c == ' ' && s[end+1] == '(')) {
				end++
				continue
			}
			break
		}
		// The shortest format, an IPv4 address such as 8.8.8.8, has seven bytes.
		if end-i >= 7 && (wordEnd(s, end) || !isAlpha(s[end])) {
			dst = classifyRun(s, i, end, k, dst)
		}
		i = end
	}
	return dst
}

// maxGroups bounds the groups joined into one candidate: the longest format, an
// international phone number, has at most six.
const maxGroups = 6

func classifyRun(s string, start, end int, k numberKinds, dst []Finding) []Finding {
	var bounds [64]int // group start offsets; runs with more groups are scanned in windows
	n := 0
	bounds[n] = start
	n++
	for i := start; i < end && n < len(bounds); i++ {
		if s[i] == ' ' {
			bounds[n] = i + 1
			n++
		}
	}
	groupEnd := func(g int) int {
		if g+1 < n {
			return bounds[g+1] - 1
		}
		return end
	}
	for a := 0; a < n; {
		matched := false
		for b := min(a+maxGroups, n) - 1; b >= a; b-- {
			cs, ce := bounds[a], groupEnd(b)
			for ce > cs && (s[ce-1] == '.' || s[ce-1] == '-' || s[ce-1] == '/') {
				ce--
			}
			if ce <= cs {
				continue
			}
			if t := classifyNumber(s, cs, ce, k); t != "" {
				dst = append(dst, Finding{Type: t, Start: cs, End: ce})
				a, matched = b+1, true
				break
			}
		}
		if !matched {
			a++
		}
	}
	return dst
}

// classifyNumber names the format of s[start:end], or "" when it is none of them.
func classifyNumber(s string, start, end int, k numberKinds) string {
	t := s[start:end]
	var digits [24]byte
	nd, seps, spaces, dashes, dots, slashes, parens := 0, 0, 0, 0, 0, 0, 0
	for i := 0; i < len(t); i++ {
		switch c := t[i]; {
		case isDigit(c):
			if nd == len(digits) {
				return ""
			}
			digits[nd] = c
			nd++
		case c == ' ':
			spaces++
			seps++
		case c == '-':
			dashes++
			seps++
		case c == '.':
			dots++
			seps++
		case c == '/':
			slashes++
			seps++
		case c == '(' || c == ')':
			parens++
		}
	}
	if nd < 4 { // every format has at least four digits (an IPv4 address)
		return ""
	}
	d := digits[:nd]
	plus := t[0] == '+'
	switch {
	case k.card && !plus && nd >= 13 && nd <= 19 && dots == 0 && slashes == 0 && parens == 0 && (seps == 0 || seps >= 2) && luhn(d) && cardPrefix(d):
		return TypeCreditCard
	case k.ssn && nd == 9 && isSSNShape(t) && validSSN(d):
		return TypeSSN
	case k.ip && nd >= 4 && dots == 3 && seps == 3 && validIPv4(t) && !followedByDotDigit(s, end) && !numberingContext(s, start):
		return TypeIP
	case k.dob && nd >= 6 && nd <= 8 && (dashes == 2 || slashes == 2 || dots == 2) && spaces == 0 && validDate(t) && birthContext(s, start):
		return TypeDOB
	case k.phone && isPhone(t, d, plus, seps, parens, dots, slashes):
		return TypePhone
	}
	return ""
}

func followedByDotDigit(s string, end int) bool {
	return end+1 < len(s) && s[end] == '.' && isDigit(s[end+1])
}

// numberingContext reports whether a dotted number is a section, version or figure number
// ("section 4.2.1.3", "v1.2.3.4") rather than an address.
func numberingContext(s string, start int) bool {
	window := s[max(0, start-12):start]
	for _, cue := range numberingCues {
		if containsFold(window, cue) {
			return true
		}
	}
	return start > 0 && (s[start-1] == 'v' || s[start-1] == 'V')
}

var numberingCues = []string{"section", "chapter", "version", "release", "figure", "table", "step", "clause", "rule", "§"}

// luhn is the check digit of payment card numbers (ISO/IEC 7812-1).
func luhn(d []byte) bool {
	sum, double := 0, false
	for i := len(d) - 1; i >= 0; i-- {
		n := int(d[i] - '0')
		if double {
			n *= 2
			if n > 9 {
				n -= 9
			}
		}
		sum += n
		double = !double
	}
	return sum%10 == 0
}

// cardPrefix keeps to issuer ranges in use (Visa, Mastercard, Amex, Discover, JCB, Diners,
// UnionPay, Maestro), which with Luhn rules out nine in ten random digit strings that pass.
func cardPrefix(d []byte) bool {
	p2 := int(d[0]-'0')*10 + int(d[1]-'0')
	p4 := p2*100 + int(d[2]-'0')*10 + int(d[3]-'0')
	n := len(d)
	switch {
	case d[0] == '4':
		return n == 13 || n == 16 || n == 19
	case p2 >= 51 && p2 <= 55, p4 >= 2221 && p4 <= 2720:
		return n == 16
	case p2 == 34 || p2 == 37:
		return n == 15
	case p4 == 6011 || p2 == 65 || (p4 >= 6440 && p4 <= 6499):
		return n >= 16
	case p2 == 35:
		return n >= 16
	case p2 == 36 || p2 == 38 || p2 == 30:
		return n >= 14
	case p2 == 62:
		return n >= 16
	case p2 == 50 || (p2 >= 56 && p2 <= 69):
		return n >= 12
	}
	return false
}

// isSSNShape accepts AAA-GG-SSSS and AAA GG SSSS, the written forms of an SSN; nine bare
// digits are far more often something else.
func isSSNShape(t string) bool {
	if len(t) != 11 {
		return false
	}
	sep := t[3]
	return (sep == '-' || sep == ' ') && t[6] == sep
}

// validSSN applies the SSA's rules: no area 000, 666 or 900-999, no group 00, no serial 0000.
func validSSN(d []byte) bool {
	area := string(d[:3])
	return area != "000" && area != "666" && d[0] != '9' && string(d[3:5]) != "00" && string(d[5:]) != "0000"
}

func validIPv4(t string) bool {
	a, err := netip.ParseAddr(t)
	return err == nil && a.Is4()
}

// isPhone accepts E.164-style international numbers (+, 8 to 15 digits), North American
// numbers written with separators, and national numbers with a trunk 0 and separators. Bare
// digit strings are not phones: they are far more often ids, amounts or timestamps.
func isPhone(t string, d []byte, plus bool, seps, parens, dots, slashes int) bool {
	if slashes > 0 || parens%2 != 0 {
		return false
	}
	nd := len(d)
	switch {
	case plus:
		return nd >= 8 && nd <= 15 && d[0] != '0' && (seps > 0 || parens > 0 || nd >= 10)
	case seps == 0 && parens == 0:
		return false
	case nd == 10 || (nd == 11 && d[0] == '1'):
		n := d
		if nd == 11 {
			n = d[1:]
		}
		// NANP: area code and exchange start with 2-9; a date such as 2024-01-15 has 8 digits.
		return n[0] >= '2' && n[3] >= '2' && nanpShape(t) && dots != 1
	case d[0] == '0' && d[1] != '0' && (nd == 10 || nd == 11):
		return dots == 0
	}
	return false
}

// nanpShape checks the grouping 3-3-4 (with an optional leading 1 and parentheses).
func nanpShape(t string) bool {
	var groups [5]int
	g, n := 0, 0
	for i := 0; i < len(t); i++ {
		if isDigit(t[i]) {
			n++
			continue
		}
		if n > 0 {
			if g == len(groups) {
				return false
			}
			groups[g] = n
			g++
			n = 0
		}
	}
	if n > 0 && g < len(groups) {
		groups[g] = n
		g++
	}
	gs := groups[:g]
	if len(gs) == 4 && gs[0] == 1 {
		gs = gs[1:]
	}
	return len(gs) == 3 && gs[0] == 3 && gs[1] == 3 && gs[2] == 4 ||
		len(gs) == 2 && gs[0] == 3 && gs[1] == 7
}

// validDate accepts y-m-d, d/m/y, m/d/y and d.m.y with a plausible birth year.
func validDate(t string) bool {
	parts := [3]int{}
	widths := [3]int{}
	p := 0
	for i := 0; i < len(t); i++ {
		c := t[i]
		if isDigit(c) {
			parts[p] = parts[p]*10 + int(c-'0')
			widths[p]++
			continue
		}
		p++
		if p > 2 {
			return false
		}
	}
	if p != 2 {
		return false
	}
	var y, m, d int
	switch {
	case widths[0] == 4:
		y, m, d = parts[0], parts[1], parts[2]
	case widths[2] == 4 || widths[2] == 2:
		y = parts[2]
		if widths[2] == 2 {
			y += 1900
		}
		m, d = parts[1], parts[0]
		if m > 12 { // m/d/y
			m, d = d, m
		}
	default:
		return false
	}
	return y >= 1900 && y <= 2100 && m >= 1 && m <= 12 && d >= 1 && d <= 31
}

// birthContext reports whether a birth phrase precedes the date closely: a date alone is not
// personal data, "date of birth: 1985-03-04" is.
func birthContext(s string, start int) bool {
	from := max(0, start-40)
	window := s[from:start]
	for _, cue := range birthCues {
		if containsFold(window, cue) {
			return true
		}
	}
	return false
}

var birthCues = []string{"birth", "born", "dob", "d.o.b", "geburtsdatum", "né le", "née le", "fecha de nacimiento"}

// --- IBAN ---

// ibanLengths is the IBAN length of each country in the SWIFT registry that uses it widely.
var ibanLengths = map[string]int{
	"AD": 24, "AE": 23, "AT": 20, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BR": 29, "CH": 21, "CY": 28,
	"CZ": 24, "DE": 22, "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FO": 18, "FR": 27, "GB": 22, "GI": 23,
	"GL": 18, "GR": 27, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30,
	"KZ": 20, "LB": 28, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MD": 24, "ME": 22, "MK": 19,
	"MT": 31, "MU": 30, "NL": 18, "NO": 15, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24,
	"RS": 22, "SA": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "TN": 24, "TR": 26, "UA": 29, "VA": 22,
	"VG": 24, "XK": 20,
}

// scanIBANs finds a country code and two check digits at a word start, collects the
// country's number of alphanumerics allowing single spaces between groups, and verifies the
// ISO 13616 mod-97 checksum.
func scanIBANs(s string, dst []Finding) []Finding {
	for i := 0; i+4 <= len(s); i++ {
		if !isUpper(s[i]) || !isUpper(s[i+1]) || !isDigit(s[i+2]) || !isDigit(s[i+3]) || !wordStart(s, i) {
			continue
		}
		want, ok := ibanLengths[s[i:i+2]]
		if !ok {
			continue
		}
		var buf [34]byte
		n, j := 0, i
		for j < len(s) && n < want {
			c := s[j]
			switch {
			case isUpper(c) || isDigit(c):
				buf[n] = c
				n++
				j++
			case c == ' ' && j+1 < len(s) && isAlnum(s[j+1]) && n > 0:
				j++
			case isLower(c):
				buf[n] = c - 'a' + 'A'
				n++
				j++
			default:
				n = -1
			}
			if n < 0 {
				break
			}
		}
		if n == want && wordEnd(s, j) && ibanChecksum(buf[:n]) {
			dst = append(dst, Finding{Type: TypeIBAN, Start: i, End: j})
			i = j
		}
	}
	return dst
}

// ibanChecksum moves the first four characters to the end, reads letters as 10..35, and
// checks the number is 1 mod 97, computed piecewise so it never overflows.
func ibanChecksum(iban []byte) bool {
	rem := 0
	add := func(c byte) {
		if isDigit(c) {
			rem = (rem*10 + int(c-'0')) % 97
			return
		}
		v := int(c-'A') + 10
		rem = (rem*100 + v) % 97
	}
	for _, c := range iban[4:] {
		add(c)
	}
	for _, c := range iban[:4] {
		add(c)
	}
	return rem == 1
}

// --- IPv6 ---

func isHexByte(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') }

// scanIPv6 finds runs of hex digits and colons with "::" or seven colons and parses them;
// times such as 12:30:45 fail to parse and are left alone.
func scanIPv6(s string, dst []Finding) []Finding {
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], ':')
		if j < 0 {
			break
		}
		c := i + j
		l := c
		for l > 0 && (isHexByte(s[l-1]) || s[l-1] == ':') {
			l--
		}
		r := c
		for r < len(s) && (isHexByte(s[r]) || s[r] == ':' || s[r] == '.') {
			r++
		}
		for r > c && (s[r-1] == ':' || s[r-1] == '.') {
			r--
		}
		cand := s[l:r]
		colons := strings.Count(cand, ":")
		if wordStart(s, l) && wordEnd(s, r) && (colons == 7 || (colons >= 2 && strings.Contains(cand, "::"))) {
			if a, err := netip.ParseAddr(cand); err == nil && a.Is6() {
				dst = append(dst, Finding{Type: TypeIP, Start: l, End: r})
			}
		}
		i = max(r, c+1)
	}
	return dst
}
