package guardrail

// Byte classes shared by the scanners. They are ASCII-only on purpose: every pattern they
// look for (addresses, numbers, keys) is ASCII, and a byte of a multi-byte rune is never one
// of these classes, so UTF-8 text is scanned correctly without decoding it.

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isUpper(c byte) bool { return c >= 'A' && c <= 'Z' }
func isLower(c byte) bool { return c >= 'a' && c <= 'z' }
func isAlpha(c byte) bool { return isUpper(c) || isLower(c) }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// isWordByte is a byte that continues a word: letters, digits, '_' and any non-ASCII byte (a
// letter of another script), so "café" is one word.
func isWordByte(c byte) bool { return isAlnum(c) || c == '_' || c >= 0x80 }

func lower(c byte) byte {
	if isUpper(c) {
		return c + 'a' - 'A'
	}
	return c
}

// wordStart reports whether a word may start at i: the byte before it does not continue one.
func wordStart(s string, i int) bool { return i == 0 || !isWordByte(s[i-1]) }

// wordEnd reports whether a word may end at i (exclusive).
func wordEnd(s string, i int) bool { return i >= len(s) || !isWordByte(s[i]) }

// hasPrefixFold is strings.HasPrefix with ASCII case folding; prefix must be lower case.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for i := 0; i < len(prefix); i++ {
		if lower(s[i]) != prefix[i] {
			return false
		}
	}
	return true
}

// containsFold reports whether s contains sub (lower case) with ASCII case folding.
func containsFold(s, sub string) bool {
	if sub == "" {
		return true
	}
	first := sub[0]
	for i := 0; i+len(sub) <= len(s); i++ {
		if lower(s[i]) == first && hasPrefixFold(s[i:], sub) {
			return true
		}
	}
	return false
}
