package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// child is a server process the benchmark started and must stop.
type child struct {
	name string
	cmd  *exec.Cmd
	log  string        // path of its combined stdout and stderr
	done chan struct{} // closed when it has exited
	err  error         // Wait's result, valid after done
}

// startChild runs bin with args, output going to logPath. The child gets its
// own process group so that Ctrl-C at the terminal reaches only the
// benchmark, which then stops the children in order; Pdeathsig kills them
// if the benchmark itself dies without cleaning up (e.g. SIGKILL).
func startChild(name, bin string, args []string, logPath string, env []string) (*child, error) {
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		c.err = cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop asks the child to shut down gracefully, then kills its whole process
// group if it has not exited within grace. It is safe to call twice.
func (c *child) stop(grace time.Duration) {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		_ = syscall.Kill(-c.pid(), syscall.SIGKILL)
		<-c.done
	}
}

// logTail returns the last n lines of the child's log, for error messages.
func (c *child) logTail(n int) string {
	b, err := os.ReadFile(c.log)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// waitHealthy polls url until it answers 200, the child exits, or timeout.
func waitHealthy(ctx context.Context, client *http.Client, c *child, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-c.done:
			return fmt.Errorf("%s exited before it was healthy (%v); last log lines:\n%s", c.name, c.err, c.logTail(20))
		case <-ctx.Done():
			return fmt.Errorf("%s not healthy at %s after %s: %w; last log lines:\n%s", c.name, url, timeout, ctx.Err(), c.logTail(20))
		case <-tick.C:
		}
	}
}

// freeAddr returns a loopback address with a port nobody listens on right
// now. Another process could take it before the child binds; on a benchmark
// machine that race is rare, and the child then fails loudly at startup.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// moduleRoot is the directory of the main module's go.mod, so the benchmark
// builds the right packages from whatever directory it is started in.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside the sluice module: run from the repository")
	}
	return filepath.Dir(gomod), nil
}

// buildBinaries compiles sluice and mockllm into dir, the same way a
// release would, so the benchmark never measures `go run` overhead.
func buildBinaries(ctx context.Context, dir string) (sluice, mock string, err error) {
	root, err := moduleRoot(ctx)
	if err != nil {
		return "", "", err
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", dir+string(filepath.Separator), "./cmd/sluice", "./cmd/mockllm")
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("go build ./cmd/sluice ./cmd/mockllm: %w\n%s", err, out.String())
	}
	return filepath.Join(dir, "sluice"), filepath.Join(dir, "mockllm"), nil
}

// sluiceConfig is the gateway configuration under test: one OpenAI-style
// provider pointing at mockllm and one model routed to it, with authentication
// on (a store in the temp dir, the bench key as master key for issuing a
// virtual key) and nothing else.
func sluiceConfig(listen, mockAddr, storePath string, policies bool) string {
	conf := fmt.Sprintf(`server:
  listen: %q
store:
  path: %q
auth:
  master_key: %s
providers:
  mock:
    type: openai
    base_url: http://%s/v1
    api_key: %s
models:
  - name: %s
    targets:
      - provider: mock
        model: %s
`, listen, storePath, benchKey, mockAddr, benchKey, gatewayModel, upstreamModel)
	if policies {
		conf += policyConfig
	}
	return conf
}

// policyConfig puts every per-request check in the path — key, team and model rate limits, an
// organisation budget with reservations, and the guardrail policy on input and output — with
// limits no run reaches, so the benchmark measures their cost, not their refusals.
var policyConfig = fmt.Sprintf(`rate_limits:
  default: {rpm: 100000000, tpm: 100000000000, concurrency: 100000}
  models:
    %s: {rpm: 100000000}
budgets:
  - {id: org, scope: org, limit_usd: 1000000000, period: monthly}
guardrails:
  policies:
    - name: baseline
      checks:
        - {name: pii, kind: pii, action: redact, apply: input}
        - {name: secrets, kind: secrets, action: block}
        - {name: injection, kind: injection, action: block, apply: input, threshold: 0.7}
  attach:
    org: [baseline]
`, gatewayModel)
