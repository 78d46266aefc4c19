package guardrail

import (
	"slices"
	"strings"
	"unsafe"
)

// StreamFilter applies output checks to one stream of text (a choice's content, or one tool
// call's arguments) as it flows. It holds back the last window bytes, and never cuts inside a
// word or a match, so a match up to window bytes long is seen whole before any byte of it is
// sent: redaction happens before bytes reach the client and a block stops the stream first.
type StreamFilter struct {
	sc      *Scanner
	window  int
	maxHold int
	pending []byte
	scan    bool // local output checks apply
	restore bool
	keep    bool            // keep the checked text for the external checks at the end
	kept    strings.Builder // the text as checked: redacted, not yet restored
}

// NewStreamFilter starts filtering one text stream with a hold-back of window bytes. Only the
// local checks run as the text flows; webhook and judge checks see the whole text at the end
// (StreamHooks), which the filter keeps when they apply.
func (sc *Scanner) NewStreamFilter(window int) *StreamFilter {
	return &StreamFilter{sc: sc, window: window, maxHold: max(4*window, 1024),
		scan: sc.set.hasLocal(Output), restore: sc.set.Restore() && sc.red.Len() > 0,
		keep: sc.StreamHookMode() != StreamOff}
}

// Active reports whether the filter changes anything or keeps the text; an inactive filter
// need not be used.
func (f *StreamFilter) Active() bool { return f.scan || f.restore || f.keep }

// Text is everything the filter let through so far, as the checks saw it (redacted, before
// any restore); empty unless webhook or judge checks apply to the stream.
func (f *StreamFilter) Text() string { return f.kept.String() }

// Write adds a delta and returns what may be sent now (possibly nothing), or a *Blocked error.
func (f *StreamFilter) Write(delta string) (string, error) {
	if !f.scan && !f.restore {
		// Nothing to find or restore as the text flows: no hold-back, only keep it.
		if f.keep {
			f.kept.WriteString(delta)
		}
		return delta, nil
	}
	f.pending = append(f.pending, delta...)
	if len(f.pending) <= f.window {
		return "", nil
	}
	return f.emit(false)
}

// Flush returns everything still held, checked; call it when the stream of text ends.
func (f *StreamFilter) Flush() (string, error) {
	if len(f.pending) == 0 {
		return "", nil
	}
	return f.emit(true)
}

// Held is the number of bytes held back.
func (f *StreamFilter) Held() int { return len(f.pending) }

func (f *StreamFilter) emit(final bool) (string, error) {
	// view aliases pending; nothing below keeps it past this call (the redactor clones).
	view := unsafe.String(unsafe.SliceData(f.pending), len(f.pending))
	var fs []Finding
	if f.scan {
		fs = f.sc.set.Scan(view, Output, f.sc.buf[:0])
		defer func() { f.sc.buf = fs[:0] }()
	}
	cut := len(view)
	if !final {
		cut = f.safeCut(view, fs)
		if cut == 0 {
			return "", nil
		}
	}
	n := 0
	for i := range fs {
		fd := &fs[i]
		if fd.End > cut {
			continue // seen again, whole, on a later emit
		}
		f.sc.Verdict.note(fd, Output)
		switch fd.Action {
		case Block:
			return "", &Blocked{Rule: fd.Rule, Type: fd.Type, Stage: Output}
		case Redact:
			fs[n] = *fd
			n++
		}
	}
	out := view[:cut]
	if n > 0 {
		out = f.sc.red.Apply(out, fs[:n])
	}
	if f.keep {
		f.kept.WriteString(out)
	}
	if f.restore {
		out = f.sc.red.Restore(out)
	}
	out = strings.Clone(out) // pending is about to be overwritten
	f.pending = f.pending[:copy(f.pending, f.pending[cut:])]
	return out, nil
}

// safeCut is how much of view may be sent: all but the window, moved back to the start of
// the word it falls in, to the start of any match it falls in, and to before an unclosed
// placeholder. A word longer than maxHold is cut anyway, so memory stays bounded.
func (f *StreamFilter) safeCut(view string, fs []Finding) int {
	cut := len(view) - f.window
	if cut <= 0 {
		return 0
	}
	if !isSpaceByte(view[cut-1]) && !isSpaceByte(view[cut]) {
		if k := strings.LastIndexAny(view[:cut], " \t\r\n"); k >= 0 {
			cut = k + 1
		} else if len(view) < f.maxHold {
			return 0
		}
	}
	if f.restore {
		if k := strings.LastIndexByte(view[max(0, cut-maxPlaceholder):cut], '['); k >= 0 {
			k += max(0, cut-maxPlaceholder)
			if strings.IndexByte(view[k:cut], ']') < 0 {
				cut = k
			}
		}
	}
	if len(fs) > 0 {
		slices.SortFunc(fs, func(a, b Finding) int { return a.Start - b.Start })
		// Walk back: moving the cut to one match's start can put it inside an earlier one.
		for moved := true; moved; {
			moved = false
			for i := len(fs) - 1; i >= 0; i-- {
				if fs[i].Start < cut && fs[i].End > cut {
					cut, moved = fs[i].Start, true
				}
			}
		}
	}
	return cut
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
