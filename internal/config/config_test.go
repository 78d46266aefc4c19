package config

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

const valid = `
server:
  listen: 127.0.0.1:9999
  max_body_bytes: 1MiB
  shutdown_timeout: 5s
providers:
  openai:
    api_key: ${OPENAI_API_KEY}
    max_idle_conns_per_host: ${POOL}
  local:
    type: openai
    base_url: http://127.0.0.1:8000/v1
    api_key: "${LOCAL_KEY:-none}"
    models: [llama-3]
models:
  - name: fast
    targets:
      - provider: openai
        model: gpt-4o-mini
        weight: 3
      - provider: local
        model: llama-3
`

func TestParseValidConfig(t *testing.T) {
	cfg, _, err := Parse([]byte(valid), "sluice.yaml", env(map[string]string{"OPENAI_API_KEY": "sk-test", "POOL": "64"}))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen", cfg.Server.Listen, "127.0.0.1:9999"},
		{"max_body_bytes", cfg.Server.MaxBodyBytes, ByteSize(1 << 20)},
		{"shutdown_timeout", cfg.Server.ShutdownTimeout, 5 * time.Second},
		{"default read_header_timeout", cfg.Server.ReadHeaderTimeout, DefaultReadHeaderTimeout},
		{"expanded key", cfg.Providers["openai"].APIKey.Reveal(), "sk-test"},
		{"expanded int", cfg.Providers["openai"].MaxIdleConnsPerHost, 64},
		{"default from ${:-}", cfg.Providers["local"].APIKey.Reveal(), "none"},
		{"default timeout", cfg.Providers["local"].Timeout, DefaultProviderTimeout},
		{"weight", cfg.Models[0].Targets[0].Weight, 3},
		{"default weight", cfg.Models[0].Targets[1].Weight, 1},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestParseReportsEveryProblemWithLine(t *testing.T) {
	in := `server:
  max_body_bytes: 0
  lisen: ":80"
providers:
  p:
    base_url: ftp://x
    api_key: ${MISSING}
models:
  - name: a
    targets:
      - provider: nope
        model: ""
  - name: a
    targets: []
`
	_, _, err := Parse([]byte(in), "bad.yaml", env(nil))
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse error = %v, want Problems", err)
	}
	// Unknown fields and unset variables are found before decoding, so they come first.
	wantFirst := []string{
		"bad.yaml:3: server.lisen: unknown field",
		"bad.yaml:7: providers.p.api_key: environment variable MISSING is not set",
	}
	for _, w := range wantFirst {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}

	// Fixed those two, the rest are validation problems, all reported at once.
	in = strings.Replace(strings.Replace(in, "  lisen: \":80\"\n", "", 1), "${MISSING}", "k", 1)
	_, _, err = Parse([]byte(in), "bad.yaml", env(nil))
	for _, w := range []string{
		"bad.yaml:5: providers.p.base_url: must be an absolute http(s) URL",
		"bad.yaml:10: models[0].targets[0].provider: unknown provider \"nope\"",
		"bad.yaml:11: models[0].targets[0].model: is required",
		"bad.yaml:12: models[1].name: \"a\" is already declared by models[0]",
		"models[1].targets: needs at least one target",
	} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error lacks %q:\n%v", w, err)
		}
	}
}

func TestParseTypeErrorNamesLine(t *testing.T) {
	_, _, err := Parse([]byte("server:\n  idle_timeout: soon\n"), "t.yaml", env(nil))
	if err == nil || !strings.Contains(err.Error(), "t.yaml:2:") {
		t.Fatalf("err = %v, want a problem at t.yaml:2", err)
	}
}

func TestEnvValueCannotInjectYAML(t *testing.T) {
	in := "providers:\n  openai:\n    api_key: ${K}\n"
	cfg, _, err := Parse([]byte(in), "x.yaml", env(map[string]string{"K": "a\nmodels: [{name: evil}]"}))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(cfg.Models) != 0 || cfg.Providers["openai"].APIKey.Reveal() != "a\nmodels: [{name: evil}]" {
		t.Fatalf("variable content changed the structure: models=%v", cfg.Models)
	}
}

func TestEmptyFileGivesDefaults(t *testing.T) {
	cfg, _, err := Parse(nil, "empty.yaml", env(nil))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if cfg.Server.Listen != DefaultListen || cfg.Server.MaxBodyBytes != DefaultMaxBodyBytes {
		t.Fatalf("defaults not applied: %+v", cfg.Server)
	}
}

func TestFromEnvironment(t *testing.T) {
	cfg := FromEnvironment(map[string]string{"openai": "OPENAI_API_KEY", "groq": "GROQ_API_KEY"},
		env(map[string]string{"OPENAI_API_KEY": "sk-1", "GROQ_API_KEY": ""}))
	if _, ok := cfg.Providers["openai"]; !ok {
		t.Errorf("openai not enabled from OPENAI_API_KEY")
	}
	if _, ok := cfg.Providers["groq"]; ok {
		t.Errorf("groq enabled from an empty variable")
	}
}

func TestByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want ByteSize
		ok   bool
	}{{"1024", 1024, true}, {"4MiB", 4 << 20, true}, {"512 KiB", 512 << 10, true}, {"1MB", 1e6, true},
		{"-1", 0, false}, {"lots", 0, false}, {"1.5MiB", 0, false}} {
		var b ByteSize
		err := b.UnmarshalText([]byte(tc.in))
		if (err == nil) != tc.ok || (tc.ok && b != tc.want) {
			t.Errorf("UnmarshalText(%q) = %d, %v; want %d, ok=%v", tc.in, b, err, tc.want, tc.ok)
		}
	}
}

func TestPricingRatesAreValidatedWithTheirPath(t *testing.T) {
	in := "pricing:\n  rates:\n    - provider: openai\n      model: gpt-4o\n      discount: lots\n"
	_, _, err := Parse([]byte(in), "p.yaml", env(nil))
	if err == nil || !strings.Contains(err.Error(), "pricing.rates[0].discount") {
		t.Fatalf("err = %v, want a problem at pricing.rates[0].discount", err)
	}
}

func TestRateLimitsValidated(t *testing.T) {
	_, _, err := Parse([]byte(`
rate_limits:
  default: {rpm: 60, tpm: -1}
  teams: {ml: {concurrency: -2}}
routing: {quota_wait: -1s}
`), "rl.yaml", func(string) (string, bool) { return "", false })
	if err == nil {
		t.Fatal("Parse with negative rate limits: no error")
	}
	for _, want := range []string{"rate_limits.default", "rate_limits.teams.ml", "routing"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Parse error %q does not name %s", err, want)
		}
	}
	cfg, _, err := Parse([]byte("rate_limits: {default: {rpm: 60, tpm: 1000, concurrency: 4}, models: {gpt-4o: {rpm: 5}}}\n"), "rl.yaml",
		func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatalf("Parse valid rate_limits: %v", err)
	}
	if cfg.RateLimits.Default.TPM != 1000 || cfg.RateLimits.Models["gpt-4o"].RPM != 5 || cfg.Routing.QuotaWait != 2*time.Second {
		t.Fatalf("Parse rate_limits: got %+v, routing %+v", cfg.RateLimits, cfg.Routing)
	}
}
