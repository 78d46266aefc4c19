package e2e

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3/option"

	"github.com/sluicehq/sluice/internal/app"
	"github.com/sluicehq/sluice/internal/mockllm"
)

const reloadConfig = `
providers:
  one: {type: openai, base_url: "{{MOCK}}/v1", api_key: ` + mockKey + `}
  two: {type: openai, base_url: "{{MOCK}}/v1", api_key: ` + mockKey + `}
models:
  - name: live
    targets: [{provider: {{TARGET}}, model: m}]
`

// TestReloadUnderLoadLosesNoRequest swaps the route of a model back and forth while requests
// flow: every request must succeed, and after each swap new requests go to the new target.
func TestReloadUnderLoadLosesNoRequest(t *testing.T) {
	mock, err := mockllm.Listen("127.0.0.1:0", mockllm.Options{APIKey: mockKey, Latency: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mock.Close(context.Background()) })
	path := filepath.Join(t.TempDir(), "sluice.yaml")
	write := func(target string) {
		cfg := withTestIdentity(t, strings.NewReplacer("{{MOCK}}", mock.URL(), "{{TARGET}}", target).Replace(reloadConfig))
		if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("one")
	a, err := app.New(context.Background(), app.Options{ConfigPath: path, Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Listen(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() { cancel(); <-done }()

	g := &gateway{URL: "http://" + a.Addr().String()}
	client := g.client()
	var ok, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, _, _, err := chatVia(t, client, "live"); err != nil {
					failed.Add(1)
					t.Errorf("request during reload failed: %v", err)
				} else {
					ok.Add(1)
				}
			}
		})
	}
	for i, target := range []string{"two", "one", "two"} {
		time.Sleep(100 * time.Millisecond)
		write(target)
		if err := a.Reload(); err != nil {
			t.Fatalf("reload %d: %v", i, err)
		}
		var resp *http.Response
		params := userMsg("after reload")
		params.Model = "live"
		if _, err := client.Chat.Completions.New(context.Background(), params, option.WithResponseInto(&resp)); err != nil {
			t.Fatal(err)
		}
		if got := resp.Header.Get("X-Sluice-Provider"); got != target {
			t.Errorf("after reload %d, served by %q, want %q", i, got, target)
		}
	}
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || ok.Load() < 20 {
		t.Fatalf("%d requests succeeded, %d failed during reloads", ok.Load(), failed.Load())
	}

	// A broken file is rejected whole; the running configuration keeps serving.
	if err := os.WriteFile(path, []byte("models: [{name: live, targets: [{provider: nope, model: m}]}]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(); err == nil || !strings.Contains(err.Error(), "unknown provider") {
		t.Fatalf("Reload of a broken file = %v, want the problem", err)
	}
	if p, _, _, err := chatVia(t, client, "live"); err != nil || p != "two" {
		t.Fatalf("after a rejected reload: %q, %v", p, err)
	}
}
