package guardrail

// allPII detects every PII type; built once because piiDetector allocates its type set.
var allPII = piiDetector(nil)

// RedactAll returns s with every detected PII value and credential replaced by a typed
// placeholder, whatever policies are configured. It is for text Sluice keeps (stored request
// and response bodies), where the data must not persist even if no guardrail applies to the
// request. Placeholders are numbered per call; use a Redactor's RedactAll to number several
// texts consistently.
func RedactAll(s string) string {
	var r Redactor
	return r.RedactAll(s)
}

// RedactAll is RedactAll with r's numbering, so one value gets one placeholder across every
// text r redacts (a prompt and its answer).
func (r *Redactor) RedactAll(s string) string {
	if s == "" {
		return s
	}
	var buf [8]Finding
	fs := scanSecrets(s, buf[:0])
	fs = allPII(s, fs)
	return r.Apply(s, fs)
}
