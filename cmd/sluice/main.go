// Command sluice is the Sluice AI gateway: one OpenAI-compatible API in front of many model
// providers. Run `sluice serve --demo` to try it with no keys and no network.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/sluicehq/sluice/internal/app"
	"github.com/sluicehq/sluice/internal/cli"
)

const usage = `usage: sluice <command> [flags]

commands:
  serve      run the gateway (sluice serve --demo for a keyless demo)
  validate   check a configuration file and exit
  version    print the version

` + cli.Usage

var version = "dev" // set with -ldflags "-X main.version=..."

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(os.Args[2:])
	case "validate":
		err = validate(os.Args[2:])
	case "teams", "users", "keys", "budgets", "audit", "rollups":
		err = cli.Run(context.Background(), os.Args[1:], os.Stdout)
	case "version", "--version":
		fmt.Println("sluice", version)
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sluice:", err)
		os.Exit(1)
	}
}

func serve(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ExitOnError)
	var opts app.Options
	opts.Version = version
	fs.StringVar(&opts.ConfigPath, "config", os.Getenv("SLUICE_CONFIG"), "configuration file (default ./sluice.yaml if present, else providers from environment variables)")
	fs.StringVar(&opts.Listen, "listen", "", "listen address, overrides server.listen (default :8080)")
	fs.BoolVar(&opts.Demo, "demo", false, "serve a built-in mock provider: works with no keys and no network")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	format := fs.String("log-format", "text", "text or json")
	_ = fs.Parse(args)

	log, err := newLogger(*level, *format)
	if err != nil {
		return err
	}
	opts.Logger = log
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	a, err := app.New(ctx, opts)
	if err != nil {
		return err
	}
	go reloadOnHangup(ctx, a, log)
	return a.Run(ctx)
}

// reloadOnHangup reloads the configuration on SIGHUP, the Unix convention for daemons.
func reloadOnHangup(ctx context.Context, a *app.App, log *slog.Logger) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			if err := a.Reload(); err != nil {
				log.Error("reload failed; keeping the running configuration", "err", err)
			}
		}
	}
}

func validate(args []string) error {
	fs := flag.NewFlagSet("validate", flag.ExitOnError)
	path := fs.String("config", "sluice.yaml", "configuration file")
	_ = fs.Parse(args)
	if _, err := app.New(context.Background(), app.Options{ConfigPath: *path}); err != nil {
		return err
	}
	fmt.Println(*path + ": ok")
	return nil
}

func newLogger(level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	hopts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, hopts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, hopts)), nil
	}
	return nil, fmt.Errorf("--log-format: want text or json, got %q", format)
}
