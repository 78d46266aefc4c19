package batch

// SetGeminiInlineLimit lowers the bound on an inlined Gemini batch for a test; restore puts
// it back.
func SetGeminiInlineLimit(n int) (restore func()) {
	old := gmInlineLimit
	gmInlineLimit = n
	return func() { gmInlineLimit = old }
}
