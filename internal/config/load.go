package config

import (
	"encoding"
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Source records where a Config came from, so problems can name a file and line.
type Source struct {
	File  string
	lines map[string]int // field path -> line
}

// Line returns the line of a field path, or of its nearest parent present in the file (a
// missing required field is reported where its object is); 0 when unknown.
func (s *Source) Line(path string) int {
	if s == nil {
		return 0
	}
	for path != "" {
		if line, ok := s.lines[path]; ok {
			return line
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// Problem is one thing wrong with a configuration.
type Problem struct {
	File    string
	Line    int
	Path    string
	Message string
}

func (p Problem) String() string {
	var b strings.Builder
	if p.File != "" {
		b.WriteString(p.File)
		b.WriteByte(':')
		if p.Line > 0 {
			b.WriteString(strconv.Itoa(p.Line))
			b.WriteByte(':')
		}
		b.WriteByte(' ')
	}
	if p.Path != "" {
		b.WriteString(p.Path)
		b.WriteString(": ")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Problems is every problem found, reported together so one edit fixes them all.
type Problems []Problem

func (ps Problems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = "  " + p.String()
	}
	return fmt.Sprintf("invalid configuration (%d problem(s)):\n%s", len(ps), strings.Join(lines, "\n"))
}

// Add records a problem at path, locating it in the source.
func (ps *Problems) Add(src *Source, path, format string, args ...any) {
	p := Problem{Path: path, Message: fmt.Sprintf(format, args...)}
	if src != nil {
		p.File, p.Line = src.File, src.Line(path)
	}
	*ps = append(*ps, p)
}

// Err returns nil when there are no problems.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// LoadFile reads, expands, decodes and validates a configuration file.
func LoadFile(path string) (*Config, *Source, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("config: %w", err)
	}
	return Parse(data, path, os.LookupEnv)
}

// Parse decodes a configuration. References ${VAR} and ${VAR:-default} in values are expanded
// with lookup after parsing, so a variable's content can never change the YAML structure.
func Parse(data []byte, file string, lookup func(string) (string, bool)) (*Config, *Source, error) {
	src := &Source{File: file, lines: map[string]int{}}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, src, Problems{{File: file, Message: err.Error()}}
	}
	cfg := &Config{}
	if len(root.Content) == 0 { // empty file
		cfg.ApplyDefaults()
		return cfg, src, cfg.Validate(src).Err()
	}
	doc := root.Content[0]
	var ps Problems
	walkFields(doc, reflect.TypeFor[Config](), "", src, &ps)
	expandEnv(doc, "", lookup, src, &ps)
	if len(ps) > 0 {
		return nil, src, ps
	}
	if err := doc.Decode(cfg); err != nil {
		return nil, src, decodeProblems(file, err)
	}
	cfg.ApplyDefaults()
	return cfg, src, cfg.Validate(src).Err()
}

// decodeProblems turns yaml's type errors (which already carry "line N:") into Problems.
func decodeProblems(file string, err error) Problems {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return Problems{{File: file, Message: err.Error()}}
	}
	ps := make(Problems, 0, len(te.Errors))
	for _, msg := range te.Errors {
		p := Problem{File: file, Message: msg}
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if n, m, ok := strings.Cut(rest, ": "); ok {
				if line, err := strconv.Atoi(n); err == nil {
					p.Line, p.Message = line, m
				}
			}
		}
		ps = append(ps, p)
	}
	return ps
}

var (
	durationType  = reflect.TypeFor[time.Duration]()
	textUnmarshal = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// walkFields records the line of every field path and reports keys that match no field:
// a misspelt option must fail loudly, not be ignored.
func walkFields(n *yaml.Node, t reflect.Type, path string, src *Source, ps *Problems) {
	if path != "" {
		src.lines[path] = n.Line
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == durationType || reflect.PointerTo(t).Implements(textUnmarshal) {
		return
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			key, val := n.Content[i], n.Content[i+1]
			f, ok := fieldByTag(t, key.Value)
			p := join(path, key.Value)
			if !ok {
				src.lines[p] = key.Line
				ps.Add(src, p, "unknown field (known: %s)", strings.Join(fieldNames(t), ", "))
				continue
			}
			walkFields(val, f.Type, p, src, ps)
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			walkFields(n.Content[i+1], t.Elem(), join(path, n.Content[i].Value), src, ps)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, item := range n.Content {
			walkFields(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i), src, ps)
		}
	}
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func fieldByTag(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := range t.NumField() {
		f := t.Field(i)
		if tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ","); tag == name {
			return f, true
		}
	}
	return reflect.StructField{}, false
}

func fieldNames(t reflect.Type) []string {
	names := make([]string, 0, t.NumField())
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ","); tag != "" && tag != "-" {
			names = append(names, tag)
		}
	}
	return names
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}`)

// expandEnv replaces ${VAR} references in scalar values. An unset variable without a default
// is a problem: silently sending an empty API key upstream fails much later and less clearly.
func expandEnv(n *yaml.Node, path string, lookup func(string) (string, bool), src *Source, ps *Problems) {
	switch n.Kind {
	case yaml.ScalarNode:
		if !strings.Contains(n.Value, "${") {
			return
		}
		n.Value = envRef.ReplaceAllStringFunc(n.Value, func(ref string) string {
			m := envRef.FindStringSubmatch(ref)
			if v, ok := lookup(m[1]); ok && v != "" {
				return v
			}
			if m[2] != "" {
				return m[3]
			}
			ps.Add(src, path, "environment variable %s is not set (use ${%s:-} to allow it to be empty)", m[1], m[1])
			return ""
		})
		// The expansion is a scalar value, never YAML structure. An unquoted reference is
		// re-resolved so ${N} can fill an integer field; a quoted one stays a string.
		if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
			n.Tag = ""
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			expandEnv(n.Content[i+1], join(path, n.Content[i].Value), lookup, src, ps)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			expandEnv(item, fmt.Sprintf("%s[%d]", path, i), lookup, src, ps)
		}
	case yaml.DocumentNode, yaml.AliasNode:
		for _, c := range n.Content {
			expandEnv(c, path, lookup, src, ps)
		}
	}
}
