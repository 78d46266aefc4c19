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
	{prefix: "glpat-", body: isKeyByte, minBody: 20, mixed: true}, // GitLab
	{prefix: "xoxb-", body: isSlackByte, minBody: 20, mixed: true}, // Slack
	{prefix: "xoxp-", body: isSlackByte, minBody: 20, mixed: true},
	{prefix: "xoxa-", body: isSlackByte, minBody: 20, mixed: true},
	{prefix: "AIza", body: isKeyByte, minBody: 35, maxBody: 35}, // Google API key
	{prefix: "sk_live_", body: isBase62, minBody: 24},           // Stripe
	{prefix: "rk_live_", body: isBase62, minBody: 24},
	{prefix: "hf_", body: isBase62, minBody: 34, mixed: true}, // Hugging Face
}

// scanSecrets finds provider API keys, AWS secret access keys, private keys and JWTs.
func scanSecrets(s string, dst []Finding) []Finding {
	start := len(dst)
	for i := range secretRules {
		dst = scanPrefixed(s, &secretRules[i], dst)
	}
	dst = scanPrivateKeys(s, dst)
	dst = scanJWTs(s, dst)
	dst = scanAWSSecrets(s, dst)
	return dropContained(dst, start)
}

func scanPrefixed(s string, r *secretRule, dst []Finding) []Finding {
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], r.prefix)
		if j < 0 {
			return dst
		}
		p := i + j
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
		n := e - b
		ok := wordStart(s, p) && n >= r.minBody && (r.maxBody == 0 || wordEnd(s, e)) && (!r.mixed || (letters > 0 && digits > 0))
		if ok {
			dst = append(dst, Finding{Type: TypeSecret, Start: p, End: e})
			i = e
		} else {
			i = p + 1
		}
	}
	return dst
}

// scanPrivateKeys finds PEM private keys, from BEGIN to the matching END line (or the header
// alone when the key is cut off).
func scanPrivateKeys(s string, dst []Finding) []Finding {
	const begin = "-----BEGIN "
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], begin)
		if j < 0 {
			return dst
		}
		p := i + j
		hdrEnd := strings.Index(s[p+len(begin):], "-----")
		if hdrEnd < 0 || hdrEnd > 40 {
			i = p + 1
			continue
		}
		label := s[p+len(begin) : p+len(begin)+hdrEnd]
		if !strings.HasSuffix(label, "PRIVATE KEY") {
			i = p + 1
			continue
		}
		end := p + len(begin) + hdrEnd + 5
		footer := "-----END " + label + "-----"
		if k := strings.Index(s[end:], footer); k >= 0 {
			end += k + len(footer)
		}
		dst = append(dst, Finding{Type: TypeSecret, Start: p, End: end})
		i = end
	}
	return dst
}

func isB64URL(c byte) bool { return isAlnum(c) || c == '_' || c == '-' }

// scanJWTs finds three base64url segments whose first decodes to a JSON header naming "alg".
func scanJWTs(s string, dst []Finding) []Finding {
	for i := 0; i < len(s); {
		j := strings.Index(s[i:], "eyJ")
		if j < 0 {
			return dst
		}
		p := i + j
		e, segs := p, 0
		segStart := p
		var header string
		for segs < 3 {
			k := e
			for k < len(s) && isB64URL(s[k]) {
				k++
			}
			if k-segStart < 8 {
				break
			}
			if segs == 0 {
				header = s[segStart:k]
			}
			segs++
			e = k
			if segs < 3 && e < len(s) && s[e] == '.' {
				e++
				segStart = e
				continue
			}
			break
		}
		if segs == 3 && wordStart(s, p) && jwtHeader(header) {
			dst = append(dst, Finding{Type: TypeSecret, Start: p, End: e})
			i = e
		} else {
			i = p + 3
		}
	}
	return dst
}

func jwtHeader(h string) bool {
	if len(h) > 512 {
		return false
	}
	var buf [384]byte
	n, err := base64.RawURLEncoding.Decode(buf[:], []byte(h))
	return err == nil && strings.Contains(string(buf[:n]), `"alg"`)
}

// scanAWSSecrets finds a 40-character secret access key next to a name that says what it
// is; 40 base64 characters alone are too common (hashes, ids) to call a secret.
func scanAWSSecrets(s string, dst []Finding) []Finding {
	for i := 0; i < len(s); {
		j := indexFold(s[i:], "secret")
		if j < 0 {
			return dst
		}
		p := i + j
		ctx := s[max(0, p-24):p]
		if !containsFold(ctx, "aws") {
			i = p + 6
			continue
		}
		// Skip the rest of the name and an assignment (=, :, quotes, spaces).
		k := p + 6
		for k < len(s) && k-p < 40 && (isWordByte(s[k]) || s[k] == ' ' || s[k] == '=' || s[k] == ':' || s[k] == '"' || s[k] == '\'') {
			if k+40 <= len(s) && wordStart(s, k) && isSecretKey40(s[k:k+40]) && wordEnd(s, k+40) {
				dst = append(dst, Finding{Type: TypeSecret, Start: k, End: k + 40})
				k += 40
				break
			}
			k++
		}
		i = k
	}
	return dst
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
