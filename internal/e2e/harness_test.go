package e2e

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/sluicehq/sluice/internal/app"
	"github.com/sluicehq/sluice/internal/mockllm"
)

// gateway is a running Sluice in front of a running mockllm.
type gateway struct {
	URL    string // http://127.0.0.1:PORT
	Mock   *mockllm.Instance
	cancel context.CancelFunc
	done   chan error
}

// Credentials the mock demands: mockKey in each API's own header, and for Bedrock a SigV4
// signature made with the AWS pair.
const (
	mockKey       = "sk-upstream-secret"
	mockAWSKeyID  = "AKIDSLUICETEST"
	mockAWSSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSLUICETEST"
)

// defaultConfig points provider "mock" at the mock and declares alias "fast".
const defaultConfig = `
server:
  max_body_bytes: 64KiB
  shutdown_timeout: 10s
providers:
  mock:
    type: openai
    base_url: {{MOCK}}/v1
    api_key: ` + mockKey + `
    timeout: {{TIMEOUT}}
    models: [gpt-4o-mini]
models:
  - name: fast
    targets:
      - provider: mock
        model: gpt-4o-mini
`

// start runs mockllm and the gateway with cfg ({{MOCK}} and {{TIMEOUT}} substituted) and
// stops both when the test ends.
func start(t *testing.T, cfg string, timeout time.Duration) *gateway {
	t.Helper()
	mock, err := mockllm.Listen("127.0.0.1:0", mockllm.Options{APIKey: mockKey,
		AWSAccessKeyID: mockAWSKeyID, AWSSecretAccessKey: mockAWSSecret})
	if err != nil {
		t.Fatalf("mockllm.Listen: %v", err)
	}
	t.Cleanup(func() { _ = mock.Close(context.Background()) })
	cfg = strings.NewReplacer("{{MOCK}}", mock.URL(), "{{TIMEOUT}}", timeout.String()).Replace(cfg)
	cfg = withTestIdentity(t, cfg)
	path := filepath.Join(t.TempDir(), "sluice.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	a, err := app.New(context.Background(), app.Options{ConfigPath: path, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatalf("app.New: %v", err)
	}
	if err := a.Listen(); err != nil {
		t.Fatalf("Listen: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	g := &gateway{URL: "http://" + a.Addr().String(), Mock: mock, cancel: cancel, done: make(chan error, 1)}
	go func() { g.done <- a.Run(ctx) }()
	t.Cleanup(func() { g.stop(t) })
	return g
}

// stop sends the equivalent of SIGTERM and waits for the drain to finish.
func (g *gateway) stop(t *testing.T) {
	t.Helper()
	g.cancel()
	select {
	case err := <-g.done:
		if err != nil {
			t.Errorf("Run returned %v", err)
		}
		g.done <- nil // later stops return at once
	case <-time.After(20 * time.Second):
		t.Errorf("gateway did not stop")
	}
}

func (g *gateway) client(opts ...option.RequestOption) openai.Client {
	base := []option.RequestOption{
		option.WithBaseURL(g.URL + "/v1"),
		option.WithAPIKey(clientKey),
		option.WithMaxRetries(0), // the tests check Sluice's behaviour, not the SDK's retries
	}
	return openai.NewClient(append(base, opts...)...)
}

// lastUpstream returns the last request the mock received.
func (g *gateway) lastUpstream(t *testing.T) mockllm.RecordedRequest {
	t.Helper()
	reqs := g.Mock.Server().Requests()
	if len(reqs) == 0 {
		t.Fatalf("the mock received no request")
	}
	return reqs[len(reqs)-1]
}

func apiError(t *testing.T, err error) *openai.Error {
	t.Helper()
	var e *openai.Error
	if !errors.As(err, &e) {
		t.Fatalf("err = %v (%T), want *openai.Error", err, err)
	}
	return e
}

func userMsg(text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    "fast",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)},
	}
}

// waitFor polls cond until it holds or the deadline passes; for effects that happen on
// another goroutine (a cancellation reaching the mock), never for performance.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// clientKey is what g.client() sends; unless a test configures auth itself, it is the master
// key, so tests of routing and translation need no key management.
const clientKey = "sk-client"

// withTestIdentity gives a config a store in the test's temp dir and, unless it has an auth
// section, the client key as master key.
func withTestIdentity(t *testing.T, cfg string) string {
	t.Helper()
	if !strings.Contains(cfg, "\nstore:") {
		cfg += "\nstore:\n  path: " + filepath.Join(t.TempDir(), "sluice.db") + "\n"
	}
	if !strings.Contains(cfg, "\nauth:") {
		cfg += "\nauth:\n  master_key: " + clientKey + "\n"
	}
	return cfg
}

// post is http.Post with the client key, for requests an SDK would never send.
func post(url, contentType string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequest(http.MethodPost, url, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+clientKey)
	return http.DefaultClient.Do(req)
}
