package mockllm

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options are the server-wide defaults; every request may override them with knobs.
type Options struct {
	Latency, TTFT, TokenDelay time.Duration
	Tokens                    int // completion tokens per choice; 16 when 0
	// APIKey, when non-empty, is required in each API's own way: Authorization: Bearer
	// (OpenAI), x-api-key (Anthropic), x-goog-api-key or ?key= (Gemini), api-key (Azure).
	APIKey string
	// AWSAccessKeyID and AWSSecretAccessKey, when set, make Bedrock routes verify each
	// request's SigV4 signature against them.
	AWSAccessKeyID, AWSSecretAccessKey string
	Logger                             *slog.Logger // may be nil
}

// Server is the mock provider. It implements http.Handler and is safe for concurrent use.
type Server struct {
	opts     Options
	log      *slog.Logger
	defaults behavior
	release  chan struct{} // closed by Instance.Close to end hung requests
	closing  sync.Once
	rec      recorder
	quota    quotas
	batches  batchStore // files and batches of the providers' batch APIs (batches.go)

	received, completed, canceled, inFlight, rateLimited, written atomic.Int64
}

// Stats are counters over the requests the server has received, /healthz excepted.
type Stats struct {
	Received  int64 // requests received
	Completed int64 // requests whose handler finished, including injected errors and faults
	Canceled  int64 // requests whose client went away (or whose context ended) before the handler finished
	InFlight  int64 // requests being handled now
	// RateLimited counts 429s sent by the ratelimit knob.
	RateLimited int64
	// BytesWritten counts response body bytes handed to net/http, so a test can see how far a
	// stream got while its reader was not reading.
	BytesWritten int64
}

// RecordedRequest is a request as the server received it.
type RecordedRequest struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// New returns a Server with the given defaults.
func New(opts Options) *Server {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{opts: opts, log: log, defaults: opts.behavior(), release: make(chan struct{})}
}

// Requests returns the last maxRecorded requests received (/healthz excepted), newest last.
func (s *Server) Requests() []RecordedRequest { return s.rec.list() }

// Stats returns a snapshot of the request counters.
func (s *Server) Stats() Stats {
	return Stats{
		Received:  s.received.Load(),
		Completed: s.completed.Load(),
		Canceled:  s.canceled.Load(),
		InFlight:  s.inFlight.Load(),

		RateLimited:  s.rateLimited.Load(),
		BytesWritten: s.written.Load(),
	}
}

// Outcomes of a handler that are not plain errors.
var (
	// errAbort asks ServeHTTP to break the connection without finishing the response.
	errAbort = errors.New("mockllm: connection aborted by knob")
	// errReleased ends a hung request because the server is closing.
	errReleased = errors.New("mockllm: server closing")
	// errClientGone reports a failed write to a client that went away.
	errClientGone = errors.New("mockllm: client went away")
)

// maxBodyBytes bounds request bodies; OpenAI's own limit is of the same order.
const maxBodyBytes = 32 << 20

// ServeHTTP serves the mock API. A request that a knob tells to cut the connection ends with
// panic(http.ErrAbortHandler), which net/http turns into an abrupt close; callers that invoke
// ServeHTTP directly (without an http.Server) see that panic.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/healthz" {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status":"ok"}`)
		return
	}
	s.received.Add(1)
	s.inFlight.Add(1)
	var err error
	defer func() {
		s.inFlight.Add(-1)
		if isCanceled(err) {
			s.canceled.Add(1)
		} else {
			s.completed.Add(1)
		}
	}()
	err = s.serve(&countingWriter{ResponseWriter: w, n: &s.written}, r)
	if err != nil && !isCanceled(err) && !errors.Is(err, errAbort) && !errors.Is(err, errReset) {
		s.log.Warn("mockllm: request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if errors.Is(err, errAbort) || errors.Is(err, errReleased) {
		panic(http.ErrAbortHandler)
	}
}

// countingWriter counts the body bytes written; Unwrap keeps http.ResponseController's
// Flush and Hijack working through it.
type countingWriter struct {
	http.ResponseWriter
	n *atomic.Int64
}

func (w *countingWriter) Write(b []byte) (int, error) {
	n, err := w.ResponseWriter.Write(b)
	w.n.Add(int64(n))
	return n, err
}

func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func isCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, errClientGone) || errors.Is(err, errReleased)
}

// serve reads and records the request, checks the API key and dispatches on the route.
func (s *Server) serve(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	s.rec.add(r, body)
	api := apiFor(r)
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return api.writeError(w, failure{Status: http.StatusRequestEntityTooLarge,
				Message: fmt.Sprintf("Request body exceeds %d bytes.", maxBodyBytes)})
		}
		return fmt.Errorf("read body: %w", errClientGone)
	}
	if failed, ok := api.authorize(s, r, body); !ok {
		return api.writeError(w, failed)
	}
	return api.serve(s, w, r, body)
}

// wait sleeps for d, or until ctx ends.
func (s *Server) wait(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// hang blocks until the client goes away or the server closes.
func (s *Server) hang(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-s.release:
		return errReleased
	}
}

// maxRecorded is how many requests Requests keeps.
const maxRecorded = 256

// recorder is a mutex-protected ring of the last maxRecorded requests. The lock is held only to
// copy a slot, so it does not serialise request handling.
type recorder struct {
	mu   sync.Mutex
	ring [maxRecorded]RecordedRequest
	next int // slot of the next request
	n    int // filled slots
}

func (rc *recorder) add(r *http.Request, body []byte) {
	rr := RecordedRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body}
	rc.mu.Lock()
	rc.ring[rc.next] = rr
	rc.next = (rc.next + 1) % maxRecorded
	rc.n = min(rc.n+1, maxRecorded)
	rc.mu.Unlock()
}

func (rc *recorder) list() []RecordedRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make([]RecordedRequest, 0, rc.n)
	for i := range rc.n {
		rr := rc.ring[(rc.next-rc.n+i+maxRecorded)%maxRecorded]
		rr.Header = rr.Header.Clone()
		rr.Body = append([]byte(nil), rr.Body...)
		out = append(out, rr)
	}
	return out
}

// Instance is a Server listening on a TCP address.
type Instance struct {
	srv    *Server
	http   *http.Server
	url    string
	served chan struct{} // closed when Serve returns
}

// Listen starts a Server on addr (such as "127.0.0.1:0") and serves it until Close.
func Listen(addr string, opts Options) (*Instance, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mockllm: listen: %w", err)
	}
	s := New(opts)
	i := &Instance{
		srv: s,
		http: &http.Server{
			Handler:           s,
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		},
		url:    "http://" + dialable(ln.Addr()),
		served: make(chan struct{}),
	}
	go func() {
		defer close(i.served)
		if err := i.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("mockllm: serve", "err", err)
		}
	}()
	return i, nil
}

// dialable turns an unspecified listen address (":0", "[::]:0") into one a client can dial.
func dialable(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok || !tcp.IP.IsUnspecified() {
		return a.String()
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
}

// URL is the server's base URL, such as "http://127.0.0.1:9001", without the "/v1" suffix.
func (i *Instance) URL() string { return i.url }

// Server returns the Server behind the listener, for its Requests and Stats.
func (i *Instance) Server() *Server { return i.srv }

// Close ends hung requests, then shuts down gracefully, letting in-flight responses finish until
// ctx ends, and then closes every connection.
func (i *Instance) Close(ctx context.Context) error {
	i.srv.closing.Do(func() { close(i.srv.release) })
	err := i.http.Shutdown(ctx)
	if err != nil {
		err = errors.Join(fmt.Errorf("mockllm: graceful shutdown: %w", err), i.http.Close())
	}
	<-i.served
	return err
}

// authorized checks the API key, when one is configured, in constant time.
func (s *Server) authorized(r *http.Request) bool {
	if s.opts.APIKey == "" {
		return true
	}
	got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(got), []byte(s.opts.APIKey)) == 1
}

// wireFormat renders, in one provider's API shape, the answers that shared steps produce.
type wireFormat interface {
	writeError(w http.ResponseWriter, f failure) error
}

// failure is an error answer before a wire format renders it.
type failure struct {
	Status     int
	Message    string // empty for an injected fault: the wire format supplies its usual text
	Param      string
	Code       string
	RetryAfter int    // seconds; sent as retry-after when > 0
	Model      string // for messages that name the model
}

// inject applies the knobs shared by every model endpoint, after the request is parsed: latency,
// then a hang or an error status. It reports whether the request has been dealt with.
func (s *Server) inject(ctx context.Context, w http.ResponseWriter, f wireFormat, b *behavior, model string) (bool, error) {
	if err := s.wait(ctx, b.Latency); err != nil {
		return true, err
	}
	if b.Hang {
		return true, s.hang(ctx)
	}
	if refused, after := s.applyRateLimit(w, b, model); refused {
		return true, f.writeError(w, failure{Status: http.StatusTooManyRequests, Model: model, RetryAfter: after})
	}
	if b.Status != 0 {
		fl := failure{Status: b.Status, Model: model}
		if b.Status == http.StatusTooManyRequests {
			fl.RetryAfter = b.RetryAfter
		}
		s.log.Debug("mockllm: injected error", "status", b.Status)
		return true, f.writeError(w, fl)
	}
	return false, nil
}
