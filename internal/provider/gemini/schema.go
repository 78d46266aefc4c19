package gemini

import (
	"errors"
	"fmt"
	"strings"

	"github.com/sluicehq/sluice/internal/jsonx"
)

// A function's parameters are a Gemini Schema, a subset of OpenAPI 3.0
// (https://ai.google.dev/api/caching#Schema), and the API rejects any member it does not know
// ("Unknown name \"additionalProperties\" ... Cannot find field"). OpenAI's are JSON Schema. So
// toolParameters rewrites the schema, keeping member order (so the same tools give the same
// bytes, which Gemini's implicit prompt cache rewards):
//
//   - kept: type, format (where Gemini knows it), title, description, nullable, enum, required,
//     properties, items, anyOf, min/max bounds, pattern, example, default, propertyOrdering;
//   - "type": ["string","null"] becomes "type":"string","nullable":true; oneOf becomes anyOf;
//     a string const becomes a one-value enum; $ref to $defs or definitions is inlined;
//   - dropped, loosening the schema only: additionalProperties, $schema, $id, strict, examples,
//     exclusive bounds, unknown formats and every other member;
//   - refused (the schema would mean something else): several non-null types in one "type",
//     allOf, not, if/then/else, $ref outside the document's definitions, recursion.
//
// An object schema without properties is left out entirely: Gemini rejects it as parameters
// ("properties: should be non-empty for OBJECT type").

// maxSchemaDepth bounds nesting and $ref expansion, so a recursive schema fails cleanly.
const maxSchemaDepth = 32

// keptMembers are Schema members passed through unchanged.
var keptMembers = map[string]bool{
	"title": true, "description": true, "nullable": true, "enum": true, "required": true,
	"minItems": true, "maxItems": true, "minLength": true, "maxLength": true, "minProperties": true,
	"maxProperties": true, "pattern": true, "minimum": true, "maximum": true, "example": true,
	"default": true, "propertyOrdering": true,
}

// knownFormats are the formats Gemini accepts; others are rejected by the API.
var knownFormats = map[string]bool{"enum": true, "date-time": true, "int32": true, "int64": true, "float": true, "double": true}

// refusedMembers change a schema's meaning in ways Gemini's subset cannot express.
var refusedMembers = map[string]bool{"allOf": true, "not": true, "if": true, "then": true, "else": true}

func toolParameters(raw jsonx.Value) (jsonx.Value, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	var root object
	if err := jsonx.Unmarshal(raw, &root); err != nil {
		return nil, errors.New("must be a JSON Schema object")
	}
	s := sanitizer{defs: map[string]jsonx.Value{}}
	for _, key := range []string{"definitions", "$defs"} {
		if v, ok := root.get(key); ok {
			var defs object
			if err := jsonx.Unmarshal(v, &defs); err != nil {
				return nil, fmt.Errorf("%s must be an object", key)
			}
			for _, m := range defs {
				s.defs["#/"+key+"/"+m.name] = m.value
			}
		}
	}
	out, err := s.schema(root, 0)
	if err != nil {
		return nil, err
	}
	if props, ok := out.get("properties"); !ok || string(props) == "{}" {
		return nil, nil
	}
	return out.encode(), nil
}

type sanitizer struct {
	defs map[string]jsonx.Value
}

func (s *sanitizer) schema(in object, depth int) (object, error) {
	if depth > maxSchemaDepth {
		return nil, fmt.Errorf("nests deeper than %d levels or refers to itself", maxSchemaDepth)
	}
	if ref, ok := in.get("$ref"); ok {
		return s.ref(in, ref, depth)
	}
	out := make(object, 0, len(in))
	for _, m := range in {
		var err error
		switch name := m.name; {
		case keptMembers[name]:
			out = append(out, m)
		case refusedMembers[name]:
			return nil, fmt.Errorf("%q cannot be expressed in Gemini's schema", name)
		case name == "type":
			out, err = s.typeMember(out, in, m.value)
		case name == "format":
			var f string
			if jsonx.Unmarshal(m.value, &f) == nil && knownFormats[f] {
				out = append(out, m)
			}
		case name == "const":
			var c string
			if jsonx.Unmarshal(m.value, &c) == nil {
				enum, _ := jsonx.Marshal([]string{c})
				out = append(out, member{"enum", enum})
			}
		case name == "properties":
			out, err = s.properties(out, m.value, depth)
		case name == "items":
			out, err = s.nested(out, "items", m.value, depth)
		case name == "anyOf" || name == "oneOf":
			out, err = s.anyOf(out, m.value, depth)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ref inlines a reference to the document's definitions; a description beside $ref wins.
func (s *sanitizer) ref(in object, ref jsonx.Value, depth int) (object, error) {
	var target string
	_ = jsonx.Unmarshal(ref, &target)
	def, ok := s.defs[target]
	if !ok {
		return nil, fmt.Errorf("$ref %s does not name an entry of $defs or definitions", ref)
	}
	var o object
	if err := jsonx.Unmarshal(def, &o); err != nil {
		return nil, fmt.Errorf("%s must be a schema object", target)
	}
	out, err := s.schema(o, depth+1)
	if err != nil {
		return nil, err
	}
	if d, ok := in.get("description"); ok {
		out = out.set("description", d)
	}
	return out, nil
}

// typeMember turns a type list with "null" into a type and nullable.
func (s *sanitizer) typeMember(out, in object, v jsonx.Value) (object, error) {
	if v.Kind() != '[' {
		return append(out, member{"type", v}), nil
	}
	var types []string
	if err := jsonx.Unmarshal(v, &types); err != nil {
		return nil, errors.New("type must be a string or an array of strings")
	}
	var kept []string
	for _, t := range types {
		if t != "null" {
			kept = append(kept, t)
		}
	}
	switch {
	case len(kept) > 1:
		return nil, fmt.Errorf("type %s: Gemini's schema takes one type (with nullable)", strings.Join(types, ","))
	case len(kept) == 0:
		return append(out, member{"type", jsonx.Value(`"null"`)}), nil
	}
	t, _ := jsonx.Marshal(kept[0])
	out = append(out, member{"type", t})
	if _, set := in.get("nullable"); !set && len(kept) < len(types) {
		out = append(out, member{"nullable", jsonx.Value("true")})
	}
	return out, nil
}

func (s *sanitizer) nested(out object, name string, v jsonx.Value, depth int) (object, error) {
	var o object
	if err := jsonx.Unmarshal(v, &o); err != nil {
		return nil, fmt.Errorf("%s must be a schema object", name)
	}
	clean, err := s.schema(o, depth+1)
	if err != nil {
		return nil, err
	}
	return append(out, member{name, clean.encode()}), nil
}

func (s *sanitizer) properties(out object, v jsonx.Value, depth int) (object, error) {
	var props object
	if err := jsonx.Unmarshal(v, &props); err != nil {
		return nil, errors.New("properties must be an object")
	}
	clean := make(object, 0, len(props))
	for _, p := range props {
		var err error
		if clean, err = s.nested(clean, p.name, p.value, depth); err != nil {
			return nil, fmt.Errorf("property %q: %w", p.name, err)
		}
	}
	return append(out, member{"properties", clean.encode()}), nil
}

func (s *sanitizer) anyOf(out object, v jsonx.Value, depth int) (object, error) {
	var alts []jsonx.Value
	if err := jsonx.Unmarshal(v, &alts); err != nil {
		return nil, errors.New("anyOf and oneOf must be arrays of schemas")
	}
	b := []byte{'['}
	for i, a := range alts {
		var o object
		if err := jsonx.Unmarshal(a, &o); err != nil {
			return nil, errors.New("anyOf and oneOf must be arrays of schemas")
		}
		clean, err := s.schema(o, depth+1)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, clean.encode()...)
	}
	return out.set("anyOf", append(b, ']')), nil
}

// object is a JSON object that keeps its members' order, which a Go map would lose.
type object []member

type member struct {
	name  string
	value jsonx.Value
}

var errNotObject = errors.New("not a JSON object")

// UnmarshalJSONFrom reads an object member by member.
func (o *object) UnmarshalJSONFrom(dec *jsonx.Decoder) error {
	if dec.PeekKind() != '{' {
		if _, err := dec.ReadValue(); err != nil {
			return err
		}
		return errNotObject
	}
	if _, err := dec.ReadToken(); err != nil {
		return err
	}
	*o = (*o)[:0]
	for dec.PeekKind() != '}' {
		tok, err := dec.ReadToken()
		if err != nil {
			return err
		}
		name := tok.String() // before the next read voids the token
		v, err := dec.ReadValue()
		if err != nil {
			return err
		}
		*o = append(*o, member{name, v.Clone()})
	}
	_, err := dec.ReadToken()
	return err
}

func (o object) get(name string) (jsonx.Value, bool) {
	for _, m := range o {
		if m.name == name {
			return m.value, true
		}
	}
	return nil, false
}

// set replaces a member's value, or appends the member.
func (o object) set(name string, v jsonx.Value) object {
	for i := range o {
		if o[i].name == name {
			o[i].value = v
			return o
		}
	}
	return append(o, member{name, v})
}

func (o object) encode() jsonx.Value {
	b := []byte{'{'}
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		name, _ := jsonx.Marshal(m.name) // a string always encodes
		b = append(b, name...)
		b = append(b, ':')
		b = append(b, m.value...)
	}
	return append(b, '}')
}
