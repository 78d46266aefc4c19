// Package server runs Sluice's HTTP listener: the public API from gateway, health and
// readiness probes, and graceful draining on shutdown. Used by app.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/sluicehq/sluice/internal/config"
)

// Server is the HTTP front of the gateway.
type Server struct {
	http            *http.Server
	shutdownTimeout time.Duration
	draining        atomic.Bool
	log             *slog.Logger
}

// Routes is something that adds its routes to a mux (the gateway, later the admin API).
type Routes interface{ Register(mux *http.ServeMux) }

// New builds the server. There is deliberately no WriteTimeout or ReadTimeout: both would cut
// long streams; slow clients are bounded by ReadHeaderTimeout and the per-request body deadline.
func New(cfg config.Server, log *slog.Logger, routes ...Routes) *Server {
	s := &Server{shutdownTimeout: cfg.ShutdownTimeout, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	for _, r := range routes {
		r.Register(mux)
	}
	s.http = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return s
}

// Serve accepts connections on ln until ctx is done, then drains: readiness turns 503 at
// once, no new connections are accepted, and in-flight requests and streams get up to the
// shutdown timeout to finish before their connections are closed.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	errc := make(chan error, 1)
	go func() { errc <- s.http.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	s.draining.Store(true)
	s.log.Info("draining in-flight requests", "timeout", s.shutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.shutdownTimeout)
	defer cancel()
	err := s.http.Shutdown(shutdownCtx)
	if errors.Is(err, context.DeadlineExceeded) {
		s.log.Warn("shutdown timeout reached; closing remaining connections")
		err = s.http.Close()
	}
	if serveErr := <-errc; serveErr != nil && !errors.Is(serveErr, http.ErrServerClosed) {
		return fmt.Errorf("server: %w", serveErr)
	}
	return err
}

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) {
	writeStatus(w, http.StatusOK, "ok")
}

func (s *Server) readyz(w http.ResponseWriter, _ *http.Request) {
	if s.draining.Load() {
		writeStatus(w, http.StatusServiceUnavailable, "draining")
		return
	}
	writeStatus(w, http.StatusOK, "ready")
}

func writeStatus(w http.ResponseWriter, code int, status string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = fmt.Fprintf(w, `{"status":%q}`+"\n", status)
}
