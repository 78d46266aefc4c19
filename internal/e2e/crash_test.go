package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/sluicehq/sluice/internal/mockllm"
	"github.com/sluicehq/sluice/internal/store"
	"github.com/sluicehq/sluice/internal/store/sqlite"
)

// TestKill9KeepsRecordsTheWriterAcknowledged runs the real binary, sends requests, waits
// until the request log writer reports them written, then SIGKILLs the process: every
// record acknowledged as written is in the store afterwards. What a crash can lose is only
// what was still queued in memory, which the README states.
func TestKill9KeepsRecordsTheWriterAcknowledged(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "sluice")
	build := exec.Command("go", "build", "-o", bin, "github.com/sluicehq/sluice/cmd/sluice")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	mock, err := mockllm.Listen("127.0.0.1:0", mockllm.Options{APIKey: mockKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = mock.Close(context.Background()) })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	db := filepath.Join(dir, "logs.db")
	cfg := strings.NewReplacer("{{MOCK}}", mock.URL(), "{{TIMEOUT}}", "1m").Replace(defaultConfig) +
		"\nstore:\n  path: " + db + "\nauth:\n  master_key: " + clientKey + "\n"
	cfgPath := filepath.Join(dir, "sluice.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--config", cfgPath, "--listen", addr)
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	base := "http://" + addr
	waitFor(t, "the binary to listen", func() bool {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		return err == nil && resp.StatusCode == 200
	})
	const requests = 20
	for i := range requests {
		resp, err := post(base+"/v1/chat/completions", "application/json",
			strings.NewReader(fmt.Sprintf(`{"model":"fast","messages":[{"role":"user","content":"n%d"}]}`, i)))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("request %d: %v %v", i, resp, err)
		}
		resp.Body.Close()
	}
	written := regexp.MustCompile(`(?m)^sluice_request_log_written_total (\d+)$`)
	var acknowledged int
	waitFor(t, "the writer to acknowledge every record", func() bool {
		resp, err := http.Get(base + "/metrics")
		if err != nil {
			return false
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if m := written.FindSubmatch(body); m != nil {
			acknowledged, _ = strconv.Atoi(string(m[1]))
		}
		return acknowledged == requests
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()

	st, err := sqlite.Open(context.Background(), db)
	if err != nil {
		t.Fatalf("reopen after SIGKILL: %v", err)
	}
	defer st.Close()
	page, err := st.ListRequestLogs(context.Background(), store.RequestLogFilter{}, store.ListOptions{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Items) < acknowledged {
		t.Errorf("after SIGKILL the store holds %d records, want the %d the writer acknowledged", len(page.Items), acknowledged)
	}
}
