package batch

import (
	"bytes"
	"fmt"

	"github.com/sluicehq/sluice/internal/jsonx"
)

// MaxLines is the most requests one batch input file may hold, OpenAI's limit.
const MaxLines = 50_000

// Endpoints are the request URLs a batch line may name, and so a batch's endpoint.
var Endpoints = map[string]bool{"/v1/chat/completions": true, "/v1/embeddings": true, "/v1/responses": true}

// Line is one request of a batch input file.
type Line struct {
	N        int    // 1-based line number in the file
	CustomID string `json:"custom_id"`
	Method   string `json:"method"`
	URL      string `json:"url"`
	// Body is the request body as sent; Model is its model.
	Body  jsonx.Value `json:"body"`
	Model string      `json:"-"`
}

// InputError is a problem with one line of an input file; Line is 1-based.
type InputError struct {
	Line    int
	Message string
}

func (e *InputError) Error() string { return fmt.Sprintf("line %d: %s", e.Line, e.Message) }

// Parse reads a batch input file: one JSON request per line ({custom_id, method, url, body}),
// blank lines skipped. endpoint, when not "", is the URL every line must name. The first
// problem is returned as an *InputError naming its line.
func Parse(data []byte, endpoint string) ([]Line, error) {
	var lines []Line
	seen := map[string]int{}
	n := 0
	for rest := data; len(rest) > 0; {
		var raw []byte
		raw, rest, _ = bytes.Cut(rest, []byte{'\n'})
		n++
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		if len(lines) == MaxLines {
			return nil, &InputError{n, fmt.Sprintf("a batch holds at most %d requests", MaxLines)}
		}
		l, err := parseLine(raw, n, endpoint)
		if err != nil {
			return nil, err
		}
		if first, dup := seen[l.CustomID]; dup {
			return nil, &InputError{n, fmt.Sprintf("custom_id %q is also used on line %d; each request needs a unique custom_id", l.CustomID, first)}
		}
		seen[l.CustomID] = n
		lines = append(lines, l)
	}
	if len(lines) == 0 {
		return nil, &InputError{1, "the file holds no requests"}
	}
	return lines, nil
}

func parseLine(raw []byte, n int, endpoint string) (Line, error) {
	l := Line{N: n}
	if err := jsonx.Unmarshal(raw, &l); err != nil {
		return l, &InputError{n, "not a JSON object of custom_id, method, url and body: " + err.Error()}
	}
	var body struct {
		Model string `json:"model"`
	}
	switch {
	case l.CustomID == "":
		return l, &InputError{n, "custom_id is required"}
	case len(l.CustomID) > 512:
		return l, &InputError{n, "custom_id is longer than 512 characters"}
	case l.Method != "POST":
		return l, &InputError{n, fmt.Sprintf("method must be POST, not %q", l.Method)}
	case !Endpoints[l.URL]:
		return l, &InputError{n, fmt.Sprintf("url %q is not supported; use /v1/chat/completions, /v1/embeddings or /v1/responses", l.URL)}
	case endpoint != "" && l.URL != endpoint:
		return l, &InputError{n, fmt.Sprintf("url %q differs from the batch's endpoint %q", l.URL, endpoint)}
	case len(l.Body) == 0 || l.Body.Kind() != '{':
		return l, &InputError{n, "body must be a JSON object"}
	}
	if err := jsonx.Unmarshal(l.Body, &body); err != nil || body.Model == "" {
		return l, &InputError{n, "body.model is required"}
	}
	l.Model = body.Model
	return l, nil
}
