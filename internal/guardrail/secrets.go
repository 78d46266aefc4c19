package guardrail

import (
	"encoding/base64"
	"strings"
)

// TypeSecret is the finding type of every credential; the placeholder says SECRET whatever
// the provider, so the placeholder itself leaks nothing.
const TypeSecret = "SECRET"

// secretRule is a credential format anchored on a literal prefix: the prefix is found with
// strings.Index, then the body is checked by hand, which is several times faster than RE2.
type secretRule struct {
	prefix  string
	body    func(c byte) bool
	minBody int
	maxBody int // 0: unbounded
	// mixed requires the body to mix letters and digits, as generated keys do; it keeps
	// "sk-learn-tutorial" from looking like an OpenAI key.
	mixed bool
}

func isKeyByte(c byte) bool    { return isAlnum(c) || c == '_' || c == '-' }
func isUpperNum(c byte) bool   { return isUpper(c) || isDigit(c) }
func isBase62(c byte) bool     { return isAlnum(c) }
func isGitHubPAT(c byte) bool  { return isAlnum(c) || c == '_' }
func isSlackByte(c byte) bool  { return isAlnum(c) || c == '-' }
func isBase64Byte(c byte) bool { return isAlnum(c) || c == '/' || c == '+' || c == '=' }

// secretRules are the credential formats of major providers, from their documentation.
var secretRules = []secretRule{
	{prefix: "sk-ant-", body: isKeyByte, minBody: 32, mixed: true},            // Anthropic
	{prefix: "sk-", body: isKeyByte, minBody: 20, mixed: true},                // OpenAI (sk-, sk-proj-, sk-svcacct-)
	{prefix: "AKIA", body: isUpperNum, minBody: 16, maxBody: 16, mixed: true}, // AWS access key id
	{prefix: "ASIA", body: isUpperNum, minBody: 16, maxBody: 16, mixed: true}, // AWS temporary key id
	{prefix: "ghp_", body: isBase62, minBody: 36, maxBody: 36},                // GitHub tokens
	{prefix: "gho_", body: isBase62, minBody: 36, maxBody: 36},
	{prefix: "ghu_", body: isBase62, minBody: 36, maxBody: 36},
	{prefix: "ghs_", body: isBase62, minBody: 36, maxBody: 36},
	{prefix: "ghr_", body: isBase62, minBody: 36, maxBody: 36},
	{prefix: "github_pat_", body: isGitHubPAT, minBody: 40},
	{prefix: "glpat-", body: isKeyByte, minBody: 20, mixed: true},  // GitLab
	{prefix: "xoxb-", body: isSlackByte, minBody: 20, mixed: true}, // Slack
	{prefix: "xoxp-", body: isSlackByte, minBody: 20, mixed: true},
	{prefix: "xoxa-", body: isSlackByte, minBody: 20, mixed: true},
	{prefix: "AIza", body: isKeyByte, minBody: 35, maxBody: 35}, // Google API key
	{prefix: "sk_live_", body: isBase62, minBody: 24},           // Stripe
	{prefix: "rk_live_", body: isBase62, minBody: 24},
	{prefix: "hf_", body: isBase62, minBody: 34, mixed: true}, // Hugging Face
}

// secretFirst indexes secretRules by the first byte of their prefix.
var secretFirst = func() (t [256][]uint8) {
	for i, r := range secretRules {
		t[r.prefix[0]] = append(t[r.prefix[0]], uint8(i))
	}
	return t
}()

// scanSecrets finds provider API keys, AWS secret access keys, private keys and JWTs. Every
// format starts a word, so one pass visits word starts only and dispatches on the first byte.
func scanSecrets(s string, dst []Finding) []Finding {
	start := len(dst)
	prevWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		wasWord := prevWord
		prevWord = isWordByte(c)
		if wasWord {
			continue
		}
		for _, ri := range secretFirst[c] {
			if e, ok := matchPrefixed(s, i, &secretRules[ri]); ok {
				dst = append(dst, Finding{Type: TypeSecret, Start: i, End: e})
				break
			}
		}
		switch c {
		case '-':
			if e, ok := matchPrivateKey(s, i); ok {
				dst = append(dst, Finding{Type: TypeSecret, Start: i, End: e})
				i, prevWord = e-1, false
			}
		case 'e':
			if e, ok := matchJWT(s, i); ok {
				dst = append(dst, Finding{Type: TypeSecret, Start: i, End: e})
				i, prevWord = e-1, true
			}
		case 'a', 'A':
			if k, ok := matchAWSSecret(s, i); ok {
				dst = append(dst, Finding{Type: TypeSecret, Start: k, End: k + 40})
				i, prevWord = k+39, true
			}
		}
	}
	return dropContained(dst, start)
}

// matchPrefixed matches rule r at p and returns the end of the key.
func matchPrefixed(s string, p int, r *secretRule) (int, bool) {
	if len(s)-p < len(r.prefix)+r.minBody || s[p:p+len(r.prefix)] != r.prefix {
		return 0, false
	}
	b := p + len(r.prefix)
	e := b
	letters, digits := 0, 0
	for e < len(s) && r.body(s[e]) && (r.maxBody == 0 || e-b < r.maxBody) {
		if isDigit(s[e]) {
			digits++
		} else if isAlpha(s[e]) {
			letters++
		}
		e++
	}
	ok := e-b >= r.minBody && (r.maxBody == 0 || wordEnd(s, e)) && (!r.mixed || (letters > 0 && digits > 0))
	return e, ok
}

// matchPrivateKey matches a PEM private key at p, from BEGIN to the matching END line (or
// the header alone when the key is cut off).
func matchPrivateKey(s string, p int) (int, bool) {
	const begin = "-----BEGIN "
	if !strings.HasPrefix(s[p:], begin) {
		return 0, false
	}
	hdrEnd := strings.Index(s[p+len(begin):min(len(s), p+len(begin)+45)], "-----")
	if hdrEnd < 0 {
		return 0, false
	}
	label := s[p+len(begin) : p+len(begin)+hdrEnd]
	if !strings.HasSuffix(label, "PRIVATE KEY") {
		return 0, false
	}
	end := p + len(begin) + hdrEnd + 5
	footer := "-----END " + label + "-----"
	if k := strings.Index(s[end:], footer); k >= 0 {
		end += k + len(footer)
	}
	return end, true
}

func isB64URL(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

// matchJWT matches three base64url segments at p whose first decodes to a JSON header
// naming "alg".
func matchJWT(s string, p int) (int, bool) {
	if !strings.HasPrefix(s[p:], "eyJ") {
		return 0, false
	}
	e, segs := p, 0
	var header string
	for segs < 3 {
		k := e
		for k < len(s) && isB64URL(s[k]) {
			k++
		}
		if k-e < 8 {
			break
		}
		if segs == 0 {
			header = s[e:k]
		}
		segs++
		e = k
		if segs < 3 && e+1 < len(s) && s[e] == '.' {
			e++
			continue
		}
		break
	}
	return e, segs == 3 && wordEnd(s, e) && jwtHeader(header)
}

func jwtHeader(h string) bool {
	if len(h) > 512 {
		return false
	}
	var buf [384]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], []byte(h))
	return err == nil && strings.Contains(string(buf[:n]), `"alg"`)
}

// matchAWSSecret matches, after a name starting "aws" at p that says "secret", a 40-character
// secret access key; 40 base64 characters alone are too common (hashes, ids) to call a secret.
// It returns where the key starts.
func matchAWSSecret(s string, p int) (int, bool) {
	if !hasPrefixFold(s[p:], "aws") {
		return 0, false
	}
	name := s[p:min(len(s), p+24)]
	j := indexFold(name, "secret")
	if j < 0 {
		return 0, false
	}
	// Skip the rest of the name and an assignment (=, :, quotes, spaces).
	for k := p + j + 6; k < len(s) && k-p < 64; k++ {
		c := s[k]
		if k+40 <= len(s) && !isWordByte(s[k-1]) && isSecretKey40(s[k:k+40]) && wordEnd(s, k+40) {
			return k, true
		}
		if !(isWordByte(c) || c == ' ' || c == '=' || c == ':' || c == '"' || c == '\'') {
			return 0, false
		}
	}
	return 0, false
}

func isSecretKey40(t string) bool {
	up, lo, dg := false, false, false
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !isBase64Byte(c) {
			return false
		}
		up, lo, dg = up || isUpper(c), lo || isLower(c), dg || isDigit(c)
	}
	return up && lo && dg
}

// indexFold is strings.Index with ASCII case folding; sub must be lower case.
func indexFold(s, sub string) int {
	first, upperFirst := sub[0], sub[0]-'a'+'A'
	for i := 0; i+len(sub) <= len(s); i++ {
		if (s[i] == first || s[i] == upperFirst) && hasPrefixFold(s[i:], sub) {
			return i
		}
	}
	return -1
}

// dropContained removes findings (from index start on) lying inside another, such as the
// "sk-" match inside an "sk-ant-" key. Marked first, compacted after, so no comparison reads
// an overwritten entry.
func dropContained(dst []Finding, start int) []Finding {
	for i := start; i < len(dst); i++ {
		for j := start; j < len(dst); j++ {
			if i == j || dst[j].End < 0 {
				continue
			}
			if dst[j].Start <= dst[i].Start && dst[i].End <= dst[j].End &&
				(dst[j].End-dst[j].Start > dst[i].End-dst[i].Start || j < i) {
				dst[i].End = -1
				break
			}
		}
	}
	out := dst[:start]
	for _, f := range dst[start:] {
		if f.End >= 0 {
			out = append(out, f)
		}
	}
	return out
}
