package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// env is the running pair of servers and the client that drives them.
type env struct {
	cfg     config
	dir     string // temp dir: binaries, config, child logs
	d       *driver
	mock    *child
	sluice  *child
	targets map[string][2]*target // mode -> {direct, via sluice}
	ticks   int64
	// rssPerRun is true when VmHWM can be reset before each run, so peak
	// RSS is per run; otherwise it is the peak over the process lifetime.
	rssPerRun bool
}

const healthTimeout = 30 * time.Second

// startEnv builds (unless given) and starts mockllm and sluice and waits for
// both to be healthy. On error the returned env, if not nil, must still be
// closed: it may hold a started child.
func startEnv(ctx context.Context, cfg config, progress io.Writer) (*env, error) {
	dir, err := os.MkdirTemp("", "sluice-bench-")
	if err != nil {
		return nil, err
	}
	e := &env{cfg: cfg, dir: dir, ticks: clockTicks(), d: newDriver(cfg.maxInflight)}
	sluiceBin, mockBin := cfg.sluiceBin, cfg.mockBin
	if sluiceBin == "" {
		fmt.Fprintln(progress, "building ./cmd/sluice and ./cmd/mockllm ...")
		if sluiceBin, mockBin, err = buildBinaries(ctx, dir); err != nil {
			return e, err
		}
	}
	var childEnv []string
	if cfg.gomaxprocs > 0 {
		childEnv = append(childEnv, "GOMAXPROCS="+strconv.Itoa(cfg.gomaxprocs))
	}

	mockAddr, err := freeAddr()
	if err != nil {
		return e, err
	}
	if e.mock, err = startChild("mockllm", mockBin, mockArgs(cfg, mockAddr), filepath.Join(dir, "mockllm.log"), childEnv); err != nil {
		return e, err
	}
	if err := waitHealthy(ctx, e.d.client, e.mock, "http://"+mockAddr+"/healthz", healthTimeout); err != nil {
		return e, err
	}

	sluiceAddr, err := freeAddr()
	if err != nil {
		return e, err
	}
	confPath := filepath.Join(dir, "sluice.yaml")
	if err := os.WriteFile(confPath, []byte(sluiceConfig(sluiceAddr, mockAddr, filepath.Join(dir, "sluice.db"), cfg.policies)), 0o600); err != nil {
		return e, err
	}
	args := []string{"serve", "--config", confPath}
	if e.sluice, err = startChild("sluice", sluiceBin, args, filepath.Join(dir, "sluice.log"), childEnv); err != nil {
		return e, err
	}
	if err := waitHealthy(ctx, e.d.client, e.sluice, "http://"+sluiceAddr+"/readyz", healthTimeout); err != nil {
		return e, err
	}

	// Requests through sluice carry a real virtual key, so the numbers include authentication
	// and the model access check, as in production.
	key, err := issueKey(ctx, e.d.client, sluiceAddr)
	if err != nil {
		return e, err
	}
	e.rssPerRun = resetPeakRSS(e.sluice.pid()) == nil
	e.targets = map[string][2]*target{
		modeNonStream: {newTarget("direct", mockAddr, upstreamModel, false), withKey(newTarget("sluice", sluiceAddr, gatewayModel, false), key)},
		modeStream:    {newTarget("direct", mockAddr, upstreamModel, true), withKey(newTarget("sluice", sluiceAddr, gatewayModel, true), key)},
	}
	fmt.Fprintf(progress, "mockllm at %s (pid %d), sluice at %s (pid %d)\n", mockAddr, e.mock.pid(), sluiceAddr, e.sluice.pid())
	return e, nil
}

func mockArgs(cfg config, addr string) []string {
	args := []string{
		"--listen", addr,
		"--latency", cfg.latency.String(),
		"--tokens", strconv.Itoa(cfg.tokens),
		"--token-delay", cfg.tokenDelay.String(),
		// Requiring the key the gateway is configured with proves sluice
		// forwards credentials, and gives the direct run the same check.
		"--api-key", benchKey,
	}
	if cfg.ttft > 0 {
		args = append(args, "--ttft", cfg.ttft.String())
	}
	return args
}

// usage is a point-in-time reading of CPU used so far.
type usage struct {
	at                           time.Time
	gateway, mock, self, machine time.Duration
}

func (e *env) usage() (usage, error) {
	gw, err := procCPU(e.sluice.pid(), e.ticks)
	if err != nil {
		return usage{}, fmt.Errorf("sluice cpu: %w", err)
	}
	mock, err := procCPU(e.mock.pid(), e.ticks)
	if err != nil {
		return usage{}, fmt.Errorf("mockllm cpu: %w", err)
	}
	machine, err := machineBusy(e.ticks)
	if err != nil {
		return usage{}, fmt.Errorf("machine cpu: %w", err)
	}
	return usage{at: time.Now(), gateway: gw, mock: mock, self: selfCPU(), machine: machine}, nil
}

// measure does one run: warm-up at the same load (discarded), then the
// measured phase bracketed by CPU readings. Each phase drains its in-flight
// requests before the reading, so the CPU matches exactly the requests
// counted. rate > 0 is open loop; otherwise workers drive a closed loop.
func (e *env) measure(ctx context.Context, mode string, t *target, rate, workers int) (runResult, error) {
	// Start each run from no idle connections, so one target's pool does
	// not sit on sockets the next run needs; the warm-up refills it.
	e.d.client.CloseIdleConnections()
	if e.cfg.warmup > 0 {
		e.drive(ctx, t, rate, workers, e.cfg.warmup)
	}
	if e.rssPerRun {
		_ = resetPeakRSS(e.sluice.pid())
		_ = resetPeakRSS(e.mock.pid())
	}
	before, err := e.usage()
	if err != nil {
		return runResult{}, err
	}
	s := e.drive(ctx, t, rate, workers, e.cfg.duration)
	after, err := e.usage()
	if err != nil {
		return runResult{}, err
	}
	if err := ctx.Err(); err != nil {
		return runResult{}, fmt.Errorf("interrupted: %w", err)
	}
	if err := e.alive(); err != nil {
		return runResult{}, err
	}
	r := newRunResult(mode, t, rate, workers, s)
	r.Mock = e.procUsage(e.mock, after.mock-before.mock, s.Sent)
	// Also recorded for direct runs, where sluice should be idle: CPU it
	// burns there (GC, timers, leaked work) would otherwise go unnoticed.
	gw := e.procUsage(e.sluice, after.gateway-before.gateway, s.Sent)
	r.Gateway = &gw
	r.LoadgenCPUPerReqUS = perReqUS(after.self-before.self, s.Sent)
	r.OtherCPUCores = otherCores(before, after)
	return r, nil
}

func (e *env) drive(ctx context.Context, t *target, rate, workers int, d time.Duration) summary {
	if rate > 0 {
		return e.d.openLoop(ctx, t, rate, d, e.cfg.maxInflight)
	}
	return e.d.closedLoop(ctx, t, workers, d)
}

func (e *env) procUsage(c *child, cpu time.Duration, sent int64) procUsage {
	u := procUsage{CPUSeconds: cpu.Seconds(), CPUPerReqUS: perReqUS(cpu, sent), PeakRSSScope: "process"}
	if e.rssPerRun {
		u.PeakRSSScope = "run"
	}
	if peak, err := procPeakRSS(c.pid()); err == nil {
		u.PeakRSSMiB = float64(peak) / (1 << 20)
	}
	return u
}

// otherCores is the average number of CPUs that processes outside the
// benchmark (and the hypervisor, as steal) used during the run. The
// readings have tick resolution, so small negative values are rounding.
func otherCores(before, after usage) float64 {
	wall := after.at.Sub(before.at)
	if wall <= 0 {
		return 0
	}
	ours := (after.gateway - before.gateway) + (after.mock - before.mock) + (after.self - before.self)
	other := (after.machine - before.machine) - ours
	return max(other.Seconds()/wall.Seconds(), 0)
}

func perReqUS(cpu time.Duration, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(cpu.Microseconds()) / float64(n)
}

// alive reports a child that died during a run, with its last words.
func (e *env) alive() error {
	for _, c := range []*child{e.mock, e.sluice} {
		select {
		case <-c.done:
			return fmt.Errorf("%s exited during the run (%v); last log lines:\n%s", c.name, c.err, c.logTail(20))
		default:
		}
	}
	return nil
}

// close stops the gateway before the mock, so the gateway never sees its
// upstream vanish, and removes the temp dir, keeping the child logs if
// keepLogs.
func (e *env) close(keepLogs bool, progress io.Writer) {
	for _, c := range []*child{e.sluice, e.mock} {
		if c != nil {
			c.stop(5 * time.Second)
		}
	}
	if keepLogs {
		// The built binaries are large and reproducible; only the logs matter.
		for _, name := range []string{"sluice", "mockllm"} {
			_ = os.Remove(filepath.Join(e.dir, name))
		}
		fmt.Fprintf(progress, "child logs kept in %s\n", e.dir)
		return
	}
	if err := os.RemoveAll(e.dir); err != nil && !errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(progress, "remove %s: %v\n", e.dir, err)
	}
}
