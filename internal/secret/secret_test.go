package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrintsItsValue(t *testing.T) {
	s := New("sk-live-123456")
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("x", "key", s)
	js, _ := json.Marshal(struct{ K Secret }{s})
	txt, _ := s.MarshalText()
	for name, out := range map[string]string{
		//lint:ignore S1025 the %s verb itself is under test
		"%v": fmt.Sprintf("%v", s), "%s": fmt.Sprintf("%s", s), "%#v": fmt.Sprintf("%#v", s),
		"%+v struct": fmt.Sprintf("%+v", struct{ K Secret }{s}),
		"slog":       logged.String(), "json": string(js), "text": string(txt),
	} {
		if strings.Contains(out, "sk-live") {
			t.Errorf("%s leaked the secret: %q", name, out)
		}
		if !strings.Contains(out, "REDACTED") {
			t.Errorf("%s = %q, want the redaction marker", name, out)
		}
	}
	if got := s.Reveal(); got != "sk-live-123456" {
		t.Errorf("Reveal() = %q", got)
	}
}

func TestSecretEqual(t *testing.T) {
	s := New("abc")
	for _, tc := range []struct {
		in   string
		want bool
	}{{"abc", true}, {"abd", false}, {"ab", false}, {"", false}} {
		if got := s.Equal(tc.in); got != tc.want {
			t.Errorf("Equal(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
