package guardrail

// allPII detects every PII type; built once because piiDetector allocates its type set.
var allPII = piiDetector(nil)

// RedactAll returns s with every detected PII value and credential replaced by a typed
// placeholder, whatever policies are configured. It is for text Sluice keeps (stored request
// and response bodies), where the data must not persist even if no guardrail applies to the
// request. Placeholders are numbered per call; a Scrubber numbers several texts consistently.
func RedactAll(s string) string {
	var sc Scrubber
	return sc.Redact(s)
}

// Scrubber is RedactAll over several texts: one value gets one placeholder across all of
// them (a prompt and its answer), and the findings buffer is reused. Not safe for concurrent
// use.
type Scrubber struct {
	red Redactor
	buf []Finding
}

// Redact returns s with every detected PII value and credential replaced.
func (sc *Scrubber) Redact(s string) string {
	if s == "" {
		return s
	}
	fs := scanSecrets(s, sc.buf[:0])
	fs = allPII(s, fs)
	out := sc.red.Apply(s, fs)
	sc.buf = fs[:0]
	return out
}
