// Command mockllm runs the mock LLM provider (internal/mockllm) as a standalone server, for the
// load benchmark and for manual testing: `mockllm --listen 127.0.0.1:9001 --latency 50ms`.
// Per-request knobs (x-mock-* headers, [[mock ...]] directives) are documented in the package.
package main

import (
	"context"
	"flag"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/sluicehq/sluice/internal/mockllm"
)

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(log); err != nil {
		log.Error("mockllm", "err", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger) error {
	var opts mockllm.Options
	listen := flag.String("listen", "127.0.0.1:9001", "address to listen on")
	flag.DurationVar(&opts.Latency, "latency", 0, "wait before sending response headers")
	flag.DurationVar(&opts.TTFT, "ttft", 0, "wait before the first stream chunk (added to latency otherwise)")
	flag.DurationVar(&opts.TokenDelay, "token-delay", 0, "wait between stream chunks")
	flag.IntVar(&opts.Tokens, "tokens", 16, "completion tokens per choice")
	flag.StringVar(&opts.APIKey, "api-key", "", "require this bearer token (none when empty)")
	flag.Parse()
	opts.Logger = log

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	inst, err := mockllm.Listen(*listen, opts)
	if err != nil {
		return err
	}
	log.Info("mockllm listening", "url", inst.URL(), "openai_base_url", inst.URL()+"/v1")
	<-ctx.Done()
	log.Info("mockllm shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return inst.Close(shutdownCtx)
}
