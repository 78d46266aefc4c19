package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// report is everything one benchmark invocation measured; it is also the
// JSON schema of --json, so field names are stable.
type report struct {
	Started   time.Time `json:"started"`
	GoVersion string    `json:"go_version"`
	OS        string    `json:"os"`
	Arch      string    `json:"arch"`
	CPUs      int       `json:"cpus"`
	Caveat    string    `json:"caveat"`
	Settings  settings  `json:"settings"`
	// floorMS is the configured unloaded latency per mode, used when no
	// open-loop run shows the measured one.
	floorMS map[string]float64
	Runs    []runResult    `json:"runs"`
	Added   []addedLatency `json:"added_latency"`
}

type settings struct {
	Rates        []int   `json:"rates"`
	DurationS    float64 `json:"duration_s"`
	WarmupS      float64 `json:"warmup_s"`
	Concurrency  int     `json:"concurrency"`
	MaxInflight  int     `json:"max_inflight"`
	LateAfterMS  float64 `json:"late_after_ms"`
	MockLatency  string  `json:"mock_latency"`
	MockTTFT     string  `json:"mock_ttft,omitempty"`
	MockTokens   int     `json:"mock_tokens"`
	MockTokenGap string  `json:"mock_token_delay"`
	GOMAXPROCS   int     `json:"children_gomaxprocs,omitempty"`
}

// runResult is one target driven at one load level.
type runResult struct {
	Mode        string `json:"mode"`   // nonstream | stream
	Target      string `json:"target"` // direct | sluice
	Loop        string `json:"loop"`   // open | closed
	TargetRPS   int    `json:"target_rps,omitempty"`
	Concurrency int    `json:"concurrency,omitempty"`
	counts
	ElapsedS           float64    `json:"elapsed_s"`
	AchievedRPS        float64    `json:"achieved_rps"`
	Latency            msDist     `json:"latency_ms"`
	TTFT               *msDist    `json:"ttft_ms,omitempty"`
	Gateway            *procUsage `json:"gateway,omitempty"` // for direct runs: sluice idling
	Mock               procUsage  `json:"mockllm"`
	LoadgenCPUPerReqUS float64    `json:"loadgen_cpu_per_req_us"`
	// ConcurrencyBound marks a closed-loop run whose median latency stayed
	// within 10% of the unloaded latency: the servers were not saturated,
	// so its throughput is concurrency / latency, not their limit.
	ConcurrencyBound bool `json:"concurrency_bound,omitempty"`
	// OtherCPUCores is how many CPUs processes outside the benchmark used
	// on average during the run; well above zero, the run was disturbed.
	OtherCPUCores float64 `json:"other_cpu_cores"`
}

// msDist is a dist in milliseconds, the unit people read latencies in.
type msDist struct {
	N    int     `json:"n"`
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

type procUsage struct {
	CPUSeconds   float64 `json:"cpu_s"`
	CPUPerReqUS  float64 `json:"cpu_per_req_us"`
	PeakRSSMiB   float64 `json:"peak_rss_mib"`
	PeakRSSScope string  `json:"peak_rss_scope"` // run | process (lifetime)
}

// addedLatency is what the gateway adds at one rate: sluice minus direct.
type addedLatency struct {
	Mode      string   `json:"mode"`
	TargetRPS int      `json:"target_rps"`
	P50       float64  `json:"p50_ms"`
	P90       float64  `json:"p90_ms"`
	P99       float64  `json:"p99_ms"`
	TTFTP50   *float64 `json:"ttft_p50_ms,omitempty"`
	TTFTP99   *float64 `json:"ttft_p99_ms,omitempty"`
}

func newReport(cfg config) *report {
	s := settings{
		Rates:        cfg.rates,
		DurationS:    cfg.duration.Seconds(),
		WarmupS:      cfg.warmup.Seconds(),
		Concurrency:  cfg.concurrency,
		MaxInflight:  cfg.maxInflight,
		LateAfterMS:  ms(lateAfter),
		MockLatency:  cfg.latency.String(),
		MockTokens:   cfg.tokens,
		MockTokenGap: cfg.tokenDelay.String(),
		GOMAXPROCS:   cfg.gomaxprocs,
	}
	if cfg.ttft > 0 {
		s.MockTTFT = cfg.ttft.String()
	}
	streamFloor := cfg.latency + cfg.ttft + time.Duration(cfg.tokens)*cfg.tokenDelay
	return &report{
		floorMS:   map[string]float64{modeNonStream: ms(cfg.latency), modeStream: ms(streamFloor)},
		Started:   time.Now().UTC().Truncate(time.Second),
		GoVersion: runtime.Version(),
		OS:        runtime.GOOS,
		Arch:      runtime.GOARCH,
		CPUs:      runtime.NumCPU(),
		Caveat: fmt.Sprintf("load generator, mockllm and sluice share these %d CPUs: "+
			"absolute numbers are pessimistic; compare runs made on the same machine", runtime.NumCPU()),
		Settings: s,
	}
}

func newRunResult(mode string, t *target, rate, workers int, s summary) runResult {
	r := runResult{
		Mode:        mode,
		Target:      t.name,
		Loop:        "open",
		TargetRPS:   rate,
		counts:      s.counts,
		ElapsedS:    s.elapsed.Seconds(),
		AchievedRPS: s.achievedRPS(),
		Latency:     toMS(s.latency),
	}
	if rate == 0 {
		r.Loop, r.Concurrency = "closed", workers
	}
	if t.stream {
		d := toMS(s.ttft)
		r.TTFT = &d
	}
	return r
}

func toMS(d dist) msDist {
	return msDist{N: d.N, P50: ms(d.P50), P90: ms(d.P90), P99: ms(d.P99), Max: ms(d.Max), Mean: ms(d.Mean)}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// add records a run and prints a one-line progress note, since a full
// benchmark takes minutes.
func (rep *report) add(r runResult, progress io.Writer) {
	rep.Runs = append(rep.Runs, r)
	fmt.Fprintf(progress, "%-9s %-6s %-8s %8.1f req/s  ok %-7d fail %-5d late %-5d p50 %7.2fms  p99 %7.2fms  other %s\n",
		r.Mode, r.Target, r.label(), r.AchievedRPS, r.OK, r.failed(), r.Late, r.Latency.P50, r.Latency.P99, pct(r.OtherCPUCores))
}

// disturbedCores is the outside CPU use above which a run is flagged: a
// quarter of a core is far more than an idle machine's background noise.
const disturbedCores = 0.25

func (rep *report) disturbed() int {
	n := 0
	for _, r := range rep.Runs {
		if r.OtherCPUCores > disturbedCores {
			n++
		}
	}
	return n
}

func (r runResult) label() string {
	if r.Loop == "closed" {
		return "max/" + strconv.Itoa(r.Concurrency)
	}
	return strconv.Itoa(r.TargetRPS)
}

// finish derives what needs more than one run: the added latency of each
// rate, and whether each closed-loop run was bounded by its concurrency.
func (rep *report) finish() {
	rep.pairRates()
	rep.markConcurrencyBound()
}

// markConcurrencyBound compares each closed-loop run's p50 with the lowest
// open-loop p50 of the same mode and target (or the configured latency): by
// Little's law N workers at latency L cannot exceed N/L req/s, so a run that
// kept its unloaded latency ran out of workers before the servers ran out of
// CPU.
func (rep *report) markConcurrencyBound() {
	floor := map[string]float64{}
	for _, r := range rep.Runs {
		k := r.Mode + "/" + r.Target
		if f, ok := floor[k]; r.Loop == "open" && r.OK > 0 && (!ok || r.Latency.P50 < f) {
			floor[k] = r.Latency.P50
		}
	}
	for i := range rep.Runs {
		r := &rep.Runs[i]
		if r.Loop != "closed" || r.OK == 0 {
			continue
		}
		f, ok := floor[r.Mode+"/"+r.Target]
		if !ok {
			f = rep.floorMS[r.Mode]
		}
		r.ConcurrencyBound = r.Latency.P50 <= 1.1*f
	}
}

// pairRates pairs each sluice open-loop run with the direct run at the same
// mode and rate. Closed-loop runs are left out: their loads differ by
// design, so a latency difference there says nothing about the hop.
func (rep *report) pairRates() {
	direct := map[string]runResult{}
	for _, r := range rep.Runs {
		if r.Target == "direct" && r.Loop == "open" {
			direct[r.Mode+"/"+r.label()] = r
		}
	}
	for _, r := range rep.Runs {
		a, ok := direct[r.Mode+"/"+r.label()]
		if r.Target != "sluice" || r.Loop != "open" || !ok {
			continue
		}
		add := addedLatency{
			Mode: r.Mode, TargetRPS: r.TargetRPS,
			P50: r.Latency.P50 - a.Latency.P50,
			P90: r.Latency.P90 - a.Latency.P90,
			P99: r.Latency.P99 - a.Latency.P99,
		}
		if r.TTFT != nil && a.TTFT != nil {
			p50, p99 := r.TTFT.P50-a.TTFT.P50, r.TTFT.P99-a.TTFT.P99
			add.TTFTP50, add.TTFTP99 = &p50, &p99
		}
		rep.Added = append(rep.Added, add)
	}
}

// writeTable prints one table per mode, then the gateway's added latency.
func (rep *report) writeTable(out io.Writer) {
	s := rep.Settings
	fmt.Fprintf(out, "\nSluice load benchmark  %s  %s %s/%s\n", rep.Started.Format(time.RFC3339), rep.GoVersion, rep.OS, rep.Arch)
	fmt.Fprintf(out, "mockllm --latency %s --tokens %d --token-delay %s; %gs measured after %gs warm-up per run\n",
		s.MockLatency, s.MockTokens, s.MockTokenGap, s.DurationS, s.WarmupS)
	fmt.Fprintf(out, "note: %s\n", rep.Caveat)
	for _, mode := range []string{modeNonStream, modeStream} {
		rep.writeModeTable(out, mode)
	}
	rep.writeAddedTable(out)
	if n := rep.disturbed(); n > 0 {
		fmt.Fprintf(out, "\nwarning: during %d of %d runs other processes used more than %.0f%% of a core; "+
			"their numbers are disturbed, rerun on a quiet machine\n", n, len(rep.Runs), 100*disturbedCores)
	}
}

func (rep *report) writeModeTable(out io.Writer, mode string) {
	var runs []runResult
	for _, r := range rep.Runs {
		if r.Mode == mode {
			runs = append(runs, r)
		}
	}
	if len(runs) == 0 {
		return
	}
	stream := mode == modeStream
	fmt.Fprintf(out, "\n%s (latencies in ms; fail = errors+non-200+bad stream+dropped; cpu in µs per request;\n"+
		"other = CPU used outside the benchmark, in %% of one core)\n", mode)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	cols := []string{"target", "rate", "achieved", "ok", "fail", "late", "p50", "p90", "p99", "max"}
	if stream {
		cols = append(cols, "ttft p50", "ttft p99")
	}
	cols = append(cols, "gw cpu", "gw rss MiB", "mock cpu", "other")
	fmt.Fprintln(tw, strings.Join(cols, "\t")+"\t")
	for _, r := range runs {
		row := []string{r.Target, r.label(), f1(r.AchievedRPS), itoa(r.OK), itoa(r.failed()), itoa(r.Late),
			f2(r.Latency.P50), f2(r.Latency.P90), f2(r.Latency.P99), f2(r.Latency.Max)}
		if stream {
			t50, t99 := "-", "-"
			if r.TTFT != nil {
				t50, t99 = f2(r.TTFT.P50), f2(r.TTFT.P99)
			}
			row = append(row, t50, t99)
		}
		gwCPU, gwRSS := "-", "-"
		if r.Target == "sluice" && r.Gateway != nil {
			gwCPU, gwRSS = f1(r.Gateway.CPUPerReqUS), f1(r.Gateway.PeakRSSMiB)
		}
		row = append(row, gwCPU, gwRSS, f1(r.Mock.CPUPerReqUS), pct(r.OtherCPUCores))
		fmt.Fprintln(tw, strings.Join(row, "\t")+"\t")
	}
	tw.Flush()
	if len(runs) > 0 && runs[0].Mock.PeakRSSScope == "process" {
		fmt.Fprintln(out, "(peak RSS is the process-lifetime VmHWM: this kernel refused a per-run reset)")
	}
}

func (rep *report) writeAddedTable(out io.Writer) {
	if len(rep.Added) > 0 {
		fmt.Fprintln(out, "\nadded latency of the gateway (sluice − direct, ms)")
		tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "mode\trate\tp50\tp90\tp99\tttft p50\tttft p99\t")
		for _, a := range rep.Added {
			t50, t99 := "-", "-"
			if a.TTFTP50 != nil {
				t50, t99 = signed(*a.TTFTP50), signed(*a.TTFTP99)
			}
			fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", a.Mode, a.TargetRPS, signed(a.P50), signed(a.P90), signed(a.P99), t50, t99)
		}
		tw.Flush()
	}
	// Max throughput compares rates, not latencies.
	maxRun := map[string]runResult{}
	for _, r := range rep.Runs {
		if r.Loop == "closed" {
			maxRun[r.Mode+"/"+r.Target] = r
		}
	}
	bound := func(r runResult) string {
		if r.ConcurrencyBound {
			return " (bound by --concurrency)"
		}
		return ""
	}
	anyBound := false
	for _, mode := range []string{modeNonStream, modeStream} {
		d, okD := maxRun[mode+"/direct"]
		g, okG := maxRun[mode+"/sluice"]
		if okD && okG && d.AchievedRPS > 0 {
			fmt.Fprintf(out, "max throughput %-9s direct %.0f req/s%s, via sluice %.0f req/s%s: %.0f%%\n",
				mode, d.AchievedRPS, bound(d), g.AchievedRPS, bound(g), 100*g.AchievedRPS/d.AchievedRPS)
			anyBound = anyBound || d.ConcurrencyBound || g.ConcurrencyBound
		}
	}
	if anyBound {
		fmt.Fprintln(out, "(bound by --concurrency: latency stayed near its unloaded value, so the servers had capacity left;\n"+
			" N workers at latency L cannot exceed N/L req/s. Raise --concurrency to find the limit.)")
	}
}

func f1(v float64) string      { return strconv.FormatFloat(v, 'f', 1, 64) }
func f2(v float64) string      { return strconv.FormatFloat(v, 'f', 2, 64) }
func pct(cores float64) string { return strconv.FormatFloat(100*cores, 'f', 0, 64) + "%" }
func signed(v float64) string  { return fmt.Sprintf("%+.2f", v) }
func itoa(v int64) string      { return strconv.FormatInt(v, 10) }

// writeJSON writes the report to path, creating its directory.
func (rep *report) writeJSON(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
