package app

import (
	"fmt"
	"slices"
	"strings"

	"github.com/sluicehq/sluice/internal/provider"
)

// CapabilityMatrix renders, as a Markdown table, what each wire format supports, from the
// adapters' own declarations: the README's compatibility matrix is this output, and a test
// keeps the two equal.
func CapabilityMatrix() string {
	formats := Registry().Formats()
	slices.SortFunc(formats, func(a, b provider.Format) int { return strings.Compare(a.Adapter.Type(), b.Adapter.Type()) })
	var b strings.Builder
	b.WriteString("| format (`type`) | providers | chat | stream | tools | vision | JSON mode | embeddings | images | audio |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|\n")
	for _, f := range formats {
		names := make([]string, 0, len(f.Presets))
		for _, p := range f.Presets {
			names = append(names, p.Name)
		}
		if len(names) == 0 {
			names = append(names, "any, by base_url")
		}
		c := f.Capabilities
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", f.Adapter.Type(), strings.Join(names, ", "),
			mark(c.Chat), mark(c.Stream), mark(c.Tools), mark(c.Vision), mark(c.JSONMode), mark(c.Embeddings), mark(c.Images), mark(c.Audio))
	}
	return b.String()
}

func mark(ok bool) string {
	if ok {
		return "✓"
	}
	return "–"
}
