// Command load is Sluice's reproducible load benchmark. It builds the
// gateway and the mock provider, starts both on loopback ports, drives the
// same chat request at mockllm directly and then through sluice, and reports
// latency, throughput, and the gateway's added latency, CPU per request and
// peak memory. Run it with `go run ./bench/load` or `make bench`; see
// bench/README.md for what the numbers mean.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// config is the parsed command line.
type config struct {
	rates       []int
	duration    time.Duration
	warmup      time.Duration
	modes       []string
	latency     time.Duration
	ttft        time.Duration
	tokens      int
	tokenDelay  time.Duration
	concurrency int
	maxInflight int
	gomaxprocs  int
	jsonPath    string
	sluiceBin   string
	mockBin     string
	quick       bool
	policies    bool
}

const (
	modeNonStream = "nonstream"
	modeStream    = "stream"
)

func parseFlags(args []string) (config, error) {
	var c config
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	rates := fs.String("rates", "500,1000,2000,5000", "comma-separated open-loop request rates (req/s); empty for none")
	modes := fs.String("modes", "nonstream,stream", "comma-separated modes: nonstream, stream")
	fs.DurationVar(&c.duration, "duration", 10*time.Second, "measured length of each run")
	fs.DurationVar(&c.warmup, "warmup", 2*time.Second, "unmeasured warm-up at the same load before each run")
	fs.DurationVar(&c.latency, "latency", 50*time.Millisecond, "mockllm --latency: delay before response headers")
	fs.DurationVar(&c.ttft, "ttft", 0, "mockllm --ttft: delay before the first stream chunk (0: mockllm's default)")
	fs.IntVar(&c.tokens, "tokens", 20, "mockllm --tokens: chunks per streamed answer")
	fs.DurationVar(&c.tokenDelay, "token-delay", 2*time.Millisecond, "mockllm --token-delay: gap between stream chunks")
	fs.IntVar(&c.concurrency, "concurrency", 256, "workers of the closed-loop max-throughput run (0 skips it)")
	fs.IntVar(&c.maxInflight, "max-inflight", 8192, "open loop: cap on outstanding requests; slots beyond it are dropped and counted")
	fs.IntVar(&c.gomaxprocs, "gomaxprocs", 0, "GOMAXPROCS for sluice and mockllm (0: Go's default)")
	fs.StringVar(&c.jsonPath, "json", "bench/results/latest.json", "write results as JSON here (empty: don't)")
	fs.StringVar(&c.sluiceBin, "sluice", "", "sluice binary to use instead of building ./cmd/sluice")
	fs.StringVar(&c.mockBin, "mockllm", "", "mockllm binary to use instead of building ./cmd/mockllm")
	fs.BoolVar(&c.policies, "policies", false, "turn on rate limits, a budget and the guardrail policy for every request (rates high enough never to refuse)")
	fs.BoolVar(&c.quick, "quick", false, "smoke test: rates 200, duration 2s, warmup 500ms, concurrency 32 unless set explicitly")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if c.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		if !set["rates"] {
			*rates = "200"
		}
		if !set["duration"] {
			c.duration = 2 * time.Second
		}
		if !set["warmup"] {
			c.warmup = 500 * time.Millisecond
		}
		if !set["concurrency"] {
			c.concurrency = 32
		}
	}
	var errs []error
	var err error
	if c.rates, err = parseRates(*rates); err != nil {
		errs = append(errs, err)
	}
	for m := range strings.SplitSeq(*modes, ",") {
		switch m = strings.TrimSpace(m); m {
		case modeNonStream, modeStream:
			c.modes = append(c.modes, m)
		default:
			errs = append(errs, fmt.Errorf("--modes: unknown mode %q (want nonstream or stream)", m))
		}
	}
	if c.duration <= 0 {
		errs = append(errs, errors.New("--duration: must be > 0"))
	}
	if c.warmup < 0 {
		errs = append(errs, errors.New("--warmup: must be >= 0"))
	}
	if c.concurrency < 0 || c.maxInflight <= 0 {
		errs = append(errs, errors.New("--concurrency must be >= 0 and --max-inflight > 0"))
	}
	if (c.sluiceBin == "") != (c.mockBin == "") {
		errs = append(errs, errors.New("--sluice and --mockllm go together (or neither, to build both)"))
	}
	return c, errors.Join(errs...)
}

func parseRates(s string) ([]int, error) {
	var rates []int
	for f := range strings.SplitSeq(s, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		r, err := strconv.Atoi(f)
		if err != nil || r <= 0 {
			return nil, fmt.Errorf("--rates: %q is not a positive integer", f)
		}
		rates = append(rates, r)
	}
	return rates, nil
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	// Ctrl-C cancels the context; run's deferred stops then end the children.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, cfg, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

// run is the whole benchmark: set up, every run, report. Children are
// stopped by a defer on every path out, including errors and interrupts; on
// failure their logs are kept for the post-mortem.
func run(ctx context.Context, cfg config, out, progress io.Writer) (err error) {
	env, err := startEnv(ctx, cfg, progress)
	if env != nil {
		// Keep the child logs when something failed, not when the user
		// pressed Ctrl-C.
		defer func() { env.close(err != nil && ctx.Err() == nil, progress) }()
	}
	if err != nil {
		return err
	}
	rep := newReport(cfg)
	for _, mode := range cfg.modes {
		// Each load level hits mockllm alone first, then the gateway in front
		// of it, so the pair differs only in the hop being measured.
		pair := env.targets[mode]
		for _, rate := range cfg.rates {
			for _, t := range pair {
				r, err := env.measure(ctx, mode, t, rate, 0)
				if err != nil {
					return err
				}
				rep.add(r, progress)
			}
		}
		if cfg.concurrency > 0 {
			for _, t := range pair {
				r, err := env.measure(ctx, mode, t, 0, cfg.concurrency)
				if err != nil {
					return err
				}
				rep.add(r, progress)
			}
		}
	}
	rep.finish()
	rep.writeTable(out)
	if cfg.jsonPath != "" {
		if err := rep.writeJSON(cfg.jsonPath); err != nil {
			return err
		}
		fmt.Fprintf(out, "\nJSON written to %s\n", cfg.jsonPath)
	}
	return nil
}
