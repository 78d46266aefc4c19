package batch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/budget"
	"github.com/sluicehq/sluice/internal/guardrail"
	"github.com/sluicehq/sluice/internal/jsonx"
	"github.com/sluicehq/sluice/internal/provider"
	"github.com/sluicehq/sluice/internal/router"
	"github.com/sluicehq/sluice/internal/store"
)

// Store is what the worker needs of the store.
type Store interface {
	store.BatchStore
	InsertRequestLogs(ctx context.Context, logs []store.RequestLog) error
}

// Pricer prices lines: Cost at the standard price, BatchCost at a batch API's; *pricing.Catalog.
type Pricer interface {
	Cost(provider, format, model string, u *api.Usage) (int64, bool)
	BatchCost(provider, format, model string, u *api.Usage) (int64, bool)
}

// Options configure a Worker; zero fields take defaults.
type Options struct {
	// PollInterval is how often the worker looks for batches and polls providers.
	PollInterval time.Duration
	// LocalConcurrency bounds the lines of one batch run at once through the router.
	LocalConcurrency int
	// Retention is how long output and error files are kept; 0 keeps them.
	Retention time.Duration
	// Native says whether a target's provider batch API should run its lines.
	Native func(*provider.Target) bool
	// Lease is how long a claim lasts without renewal; default 2m. The worker renews it
	// whenever it saves progress, at least every few seconds while it runs lines.
	Lease time.Duration
	// Owner names this worker in leases; default host name and a random suffix.
	Owner string
	// Guardrails returns the content policies in force (the gateway's current snapshot's);
	// nil, or a nil engine, means none.
	Guardrails func() *guardrail.Engine
}

// Worker drives batches: it claims one whose lease has expired, advances it as far as it can
// (submitting, polling, running lines, finishing), saves its state and lets the lease go
// until the next poll. Several workers, in one process or on several nodes sharing the
// store, never drive the same batch at once.
type Worker struct {
	st      Store
	routes  func() *router.Table
	pricer  func() Pricer // may return nil: costs unknown
	budgets *budget.Ledger
	opts    Options
	log     *slog.Logger
	wake    chan struct{}
	now     func() time.Time
	inHand  sync.Map // batch id -> struct{}: batches this worker is driving now
}

// maxBatchesAtOnce bounds the batches one worker drives concurrently.
const maxBatchesAtOnce = 4

// NewWorker returns a Worker. budgets may be nil.
func NewWorker(st Store, routes func() *router.Table, pricer func() Pricer, budgets *budget.Ledger, opts Options, log *slog.Logger) *Worker {
	if opts.PollInterval <= 0 {
		opts.PollInterval = 30 * time.Second
	}
	if opts.LocalConcurrency <= 0 {
		opts.LocalConcurrency = 4
	}
	if opts.Lease <= 0 {
		opts.Lease = 2 * time.Minute
	}
	if opts.Native == nil {
		opts.Native = func(*provider.Target) bool { return false }
	}
	if opts.Owner == "" {
		host, _ := os.Hostname()
		var b [4]byte
		_, _ = rand.Read(b[:])
		opts.Owner = host + "-" + hex.EncodeToString(b[:])
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Worker{st: st, routes: routes, pricer: pricer, budgets: budgets, opts: opts, log: log,
		wake: make(chan struct{}, 1), now: time.Now}
}

// Wake makes the worker look for batches now rather than at its next poll: a batch was
// created. It never blocks.
func (w *Worker) Wake() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// Run drives batches until ctx ends, then waits for the batches in hand to save their state.
func (w *Worker) Run(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	sem := make(chan struct{}, maxBatchesAtOnce)
	t := time.NewTicker(w.opts.PollInterval)
	defer t.Stop()
	for {
		w.claimAll(ctx, &wg, sem)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-w.wake:
		}
	}
}

// claimAll claims batches while there are claimable ones and room to drive them.
func (w *Worker) claimAll(ctx context.Context, wg *sync.WaitGroup, sem chan struct{}) {
	for ctx.Err() == nil {
		select {
		case sem <- struct{}{}:
		default:
			return // busy: the rest wait for the next poll
		}
		now := w.now()
		b, err := w.st.ClaimBatch(ctx, w.opts.Owner, now, now.Add(w.opts.Lease))
		if err != nil {
			<-sem
			if !errors.Is(err, store.ErrNotFound) && ctx.Err() == nil {
				w.log.LogAttrs(ctx, slog.LevelWarn, "batch: claim failed", slog.Any("err", err))
			}
			return
		}
		if _, busy := w.inHand.LoadOrStore(b.ID, struct{}{}); busy {
			<-sem // its lease lapsed while this worker still drives it; claiming renewed it
			continue
		}
		wg.Go(func() {
			defer func() { <-sem }()
			defer w.inHand.Delete(b.ID)
			if err := w.drive(ctx, b); err != nil && ctx.Err() == nil {
				w.log.LogAttrs(ctx, slog.LevelWarn, "batch: step failed; retrying at the next poll",
					slog.String("batch_id", b.ID), slog.Any("err", err))
			}
		})
	}
}

// run is one batch in the worker's hands.
type run struct {
	w     *Worker
	b     store.Batch
	obj   *Object
	st    *state
	lines []Line // loaded on demand
	table *router.Table
	// guards are the lines' guardrail scanners and blocked the lines the input checks refused,
	// by line number; both are filled when the input is loaded.
	guards  lineGuards
	blocked map[int]error
}

// drive advances b as far as it can without waiting, then saves it and lets the lease go
// until the next poll (or, when it has finished, for good).
func (w *Worker) drive(ctx context.Context, b store.Batch) error {
	r := &run{w: w, b: b, table: w.routes()}
	var err error
	if r.obj, err = Decode(&b); err != nil {
		return fmt.Errorf("batch %s: decode record: %w", b.ID, err)
	}
	r.st = &state{}
	if len(b.State) > 0 {
		if err := jsonx.Unmarshal(b.State, r.st); err != nil {
			return fmt.Errorf("batch %s: decode state: %w", b.ID, err)
		}
	}
	if r.st.Results == nil {
		r.st.Results = map[int]*result{}
	}
	if r.obj.Status == store.BatchValidating {
		if err := r.plan(ctx); err != nil {
			return errors.Join(err, r.save(ctx, w.opts.PollInterval)) // retried at the next poll
		}
	}
	if store.BatchDone(r.obj.Status) {
		return r.save(ctx, 0)
	}
	r.noteCancel()
	done := true
	// Provider jobs first: submitting or polling one is quick, while the lines Sluice runs
	// itself may take a long time, which the provider's jobs should not wait for.
	groups := make([]*group, 0, len(r.st.Groups))
	for _, local := range []bool{false, true} {
		for _, g := range r.st.Groups {
			if (g.Mode == modeLocal) == local {
				groups = append(groups, g)
			}
		}
	}
	for _, g := range groups {
		if g.Done {
			continue
		}
		if err := r.advance(ctx, g); err != nil {
			if ctx.Err() != nil {
				return r.save(ctx, 0)
			}
			return errors.Join(err, r.save(ctx, w.opts.PollInterval))
		}
		done = done && g.Done
	}
	if !done {
		return r.save(ctx, w.opts.PollInterval)
	}
	// Keep the finished lines first: should the final commit fail, the next attempt only
	// finishes, without running or fetching anything again.
	if err := r.checkpoint(ctx); err != nil {
		return err
	}
	return r.finish(ctx)
}

// noteCancel moves the batch to cancelling once a client asked, and notes expiry.
func (r *run) noteCancel() {
	if r.b.CancelRequestedAt != nil && r.obj.Status != store.BatchCancelling {
		r.obj.Status = store.BatchCancelling
		r.obj.CancellingAt = unix(*r.b.CancelRequestedAt)
	}
}

// stopping reports whether no new work should start: cancelled or past the window.
func (r *run) stopping() bool { return r.b.CancelRequestedAt != nil || r.expired() }

func (r *run) expired() bool {
	return r.obj.ExpiresAt != nil && r.w.now().Unix() >= *r.obj.ExpiresAt
}

// advance moves one group forward by its mode.
func (r *run) advance(ctx context.Context, g *group) error {
	if g.Mode != modeLocal {
		// A provider call does not renew the lease, so it must end well within it: past the
		// lease another worker may claim the batch and submit the same lines again.
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.w.opts.Lease/2)
		defer cancel()
	}
	switch g.Mode {
	case modeLocal:
		return r.runLocal(ctx, g)
	case modeOpenAI:
		return r.step(ctx, g, openaiBatches{})
	case modeAnthropic:
		return r.step(ctx, g, anthropicBatches{})
	case modeGemini:
		return r.step(ctx, g, geminiBatches{})
	}
	return fmt.Errorf("batch %s: unknown group mode %q", r.b.ID, g.Mode)
}

// saveTimeout bounds one save. Saves run without the worker's cancellation: a stopping node
// must still record its progress and let its lease go, or another node would wait for the lease
// to lapse and repeat the work.
const saveTimeout = 10 * time.Second

// save writes the record and state and keeps the lease for hold (0 lets it go at once; so does
// a stopping worker). It refreshes the client's cancel request, which may have arrived meanwhile.
func (r *run) save(ctx context.Context, hold time.Duration, files ...store.File) error {
	var err error
	if r.b.Record, err = jsonx.Marshal(r.obj); err != nil {
		return fmt.Errorf("batch %s: encode record: %w", r.b.ID, err)
	}
	if r.b.State, err = jsonx.Marshal(r.st); err != nil {
		return fmt.Errorf("batch %s: encode state: %w", r.b.ID, err)
	}
	if ctx.Err() != nil {
		hold = 0
	}
	r.b.Status = r.obj.Status
	r.b.LeaseUntil = r.w.now().Add(hold)
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), saveTimeout)
	defer cancel()
	saved, err := r.w.st.SaveBatch(sctx, r.b, r.w.opts.Owner, files...)
	if err != nil {
		return err
	}
	r.b.CancelRequestedAt = saved.CancelRequestedAt
	return nil
}

// checkpoint saves progress mid-step and renews the lease.
func (r *run) checkpoint(ctx context.Context) error { return r.save(ctx, r.w.opts.Lease) }

// input loads and parses the batch's input file.
func (r *run) input(ctx context.Context) ([]Line, error) {
	if r.lines != nil {
		return r.lines, nil
	}
	data, err := r.w.st.FileContent(ctx, r.b.Tenant, r.obj.InputFileID)
	if err != nil {
		return nil, err
	}
	lines, err := Parse(data, r.obj.Endpoint)
	if err != nil {
		return nil, err
	}
	if r.blocked, err = r.guardInput(ctx, lines); err != nil {
		return nil, err
	}
	r.lines = lines
	return r.lines, nil
}

// plan reads the input and groups its lines by target: one group per provider batch job,
// and one for the lines Sluice runs itself. A line whose model no longer routes fails now.
func (r *run) plan(ctx context.Context) error {
	lines, err := r.input(ctx)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) || errors.As(err, new(*InputError)) {
			return r.fail(ctx, "invalid_input_file", fmt.Sprintf("input file %s: %v", r.obj.InputFileID, err))
		}
		return err
	}
	now := r.w.now()
	groups := map[string]*group{}
	var order []*group
	for i := range lines {
		l := &lines[i]
		route, err := r.table.Resolve(l.Model)
		if err != nil {
			r.st.Results[i] = failure(err, now)
			continue
		}
		if err := r.blocked[l.N]; err != nil {
			r.st.Results[i] = failure(err, now)
			continue
		}
		g := &group{Mode: modeLocal}
		// Responses API lines always run here: no adapter speaks the Responses API outbound.
		if t := route.Pick(); l.URL != "/v1/responses" && r.w.opts.Native(t) {
			switch {
			case t.Adapter.Type() == "openai" || t.Adapter.Type() == "azure":
				g = &group{Mode: modeOpenAI, Provider: t.Provider, Model: t.Model, Route: route.Name}
			case t.Adapter.Type() == "anthropic" && l.URL == "/v1/chat/completions":
				g = &group{Mode: modeAnthropic, Provider: t.Provider, Model: t.Model, Route: route.Name}
			case t.Adapter.Type() == "gemini" && l.URL == "/v1/chat/completions":
				g = &group{Mode: modeGemini, Provider: t.Provider, Model: t.Model, Route: route.Name}
			}
		}
		key := g.Mode + "\x00" + g.Provider + "\x00" + g.Model + "\x00" + g.Route
		if have, ok := groups[key]; ok {
			g = have
		} else {
			groups[key] = g
			order = append(order, g)
		}
		g.Lines = append(g.Lines, i)
	}
	r.st.Groups = order
	r.obj.Status = store.BatchInProgress
	r.obj.InProgressAt = unix(now)
	for _, g := range order {
		how := "the provider's batch API, at the batch price"
		if g.Mode == modeLocal {
			how = "Sluice, line by line at the standard price (no provider batch API)"
		}
		r.w.log.LogAttrs(ctx, slog.LevelInfo, "batch lines planned", slog.String("batch_id", r.b.ID),
			slog.Int("lines", len(g.Lines)), slog.String("mode", g.Mode), slog.String("provider", g.Provider),
			slog.String("run_by", how))
	}
	return r.checkpoint(ctx)
}

// fail ends the batch as failed with one batch-level error.
func (r *run) fail(ctx context.Context, code, message string) error {
	now := r.w.now()
	r.obj.Status = store.BatchFailed
	r.obj.FailedAt = unix(now)
	r.obj.Errors = &Errors{Object: "list", Data: []Error{{Code: code, Message: message}}}
	return r.save(ctx, 0)
}

// target finds the group's target in the current routing table: its route's target of that
// provider and model, else a direct provider/model target.
func (r *run) target(g *group) (*provider.Target, error) {
	if route, err := r.table.Resolve(g.Route); err == nil {
		for _, t := range route.Targets {
			if t.Provider == g.Provider && t.Model == g.Model {
				return t, nil
			}
		}
	}
	route, err := r.table.Resolve(g.Provider + "/" + g.Model)
	if err != nil {
		return nil, err
	}
	return route.Targets[0], nil
}
