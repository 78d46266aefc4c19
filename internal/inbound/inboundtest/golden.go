// Package inboundtest runs the inbound APIs' golden translation cases: txtar files under a
// package's testdata/ that hold what a client sends or receives in one API's shape and its
// OpenAI-shaped counterpart. The Anthropic, Gemini and Responses packages read different
// sections but compare and rewrite them the same way, here. Test-only.
package inboundtest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/sluicehq/sluice/internal/jsonx"
)

var update = flag.Bool("update", false, "rewrite the expected sections of golden cases")

// Case is one golden case file.
type Case struct {
	t        *testing.T
	file     string
	ar       *txtar.Archive
	changed  bool
	Sections map[string][]byte
	Comment  []byte
}

// Run runs fn on every case matching glob (e.g. "testdata/*.txtar"), each as a subtest named
// after its file, and writes back the cases -update changed.
func Run(t *testing.T, glob string, fn func(t *testing.T, c *Case)) {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cases match %s (%v)", glob, err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(f)
			if err != nil {
				t.Fatal(err)
			}
			c := &Case{t: t, file: f, ar: ar, Sections: map[string][]byte{}, Comment: ar.Comment}
			for _, s := range ar.Files {
				c.Sections[s.Name] = s.Data
			}
			fn(t, c)
			if c.changed {
				if err := os.WriteFile(f, txtar.Format(ar), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// CheckJSON compares got with section name as JSON values (member order and layout aside).
func (c *Case) CheckJSON(name string, got []byte) { c.check(name, got, SameJSON) }

// CheckBytes compares got with section name byte for byte.
func (c *Case) CheckBytes(name string, got []byte) { c.check(name, got, bytes.Equal) }

func (c *Case) check(name string, got []byte, same func(a, b []byte) bool) {
	c.t.Helper()
	want, ok := c.Sections[name]
	if ok && same(got, want) {
		return
	}
	if *update {
		c.set(name, got)
		return
	}
	if !ok {
		c.t.Fatalf("%s: missing section %s (run with -update to write it)", c.file, name)
	}
	c.t.Errorf("%s: %s\ngot:  %s\nwant: %s", c.file, name, got, want)
}

func (c *Case) set(name string, data []byte) {
	c.changed = true
	for i := range c.ar.Files {
		if c.ar.Files[i].Name == name {
			c.ar.Files[i].Data = data
			return
		}
	}
	c.ar.Files = append(c.ar.Files, txtar.File{Name: name, Data: data})
}

// Pretty encodes v with jsonx, indented, as a section holds it.
func Pretty(t *testing.T, v any) []byte {
	t.Helper()
	b, err := jsonx.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return Indent(b)
}

// Indent lays JSON out as a section holds it; invalid JSON is returned as it is.
func Indent(b []byte) []byte {
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return b
	}
	return append(out.Bytes(), '\n')
}

// SameJSON reports whether a and b are equal JSON values; invalid JSON is never equal.
func SameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
