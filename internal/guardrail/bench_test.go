package guardrail

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/api"
	"github.com/sluicehq/sluice/internal/config"
)

// cpuClock measures the process's CPU time across a benchmark loop, so numbers stay honest
// on a machine shared with other work: wall time there counts time spent waiting for a core.
type cpuClock struct{ start time.Duration }

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuClock { return cpuClock{start: cpuNow()} }

// report adds cpu-ns/op and, when bytes > 0, cpu-MB/s (per core).
func (c cpuClock) report(b *testing.B, bytes int) {
	per := float64(cpuNow()-c.start) / float64(b.N)
	b.ReportMetric(per, "cpu-ns/op")
	if bytes > 0 && per > 0 {
		b.ReportMetric(float64(bytes)/per*1e3, "cpu-MB/s")
	}
}

// defaultPolicy is the policy the throughput target is about: keywords, a regex, all PII
// types and secrets, together.
func defaultPolicy(t testing.TB) *Policy {
	return mustPolicy(t, "default", true,
		config.GuardrailCheck{Name: "codenames", Kind: "keyword", Action: "block", Keywords: []string{"project bluebird", "operation nightjar", "zephyr-9"}},
		config.GuardrailCheck{Name: "tickets", Kind: "regex", Action: "flag", Pattern: `TCK-[0-9]{6}`},
		config.GuardrailCheck{Name: "pii", Kind: "pii", Action: "redact"},
		config.GuardrailCheck{Name: "secrets", Kind: "secrets", Action: "redact"},
	)
}

// benchText is English prose with numbers, dates and the occasional address: what a chat
// request looks like, not a worst case of one pattern.
func benchText(n int) string {
	para := "The quarterly report from 2024-03-31 shows revenue of $1,234,567 across 42 regions. " +
		"Please review section 4.2 before the meeting at 10:30, and reply to the thread by Friday. " +
		"Our team in Berlin shipped version 3.2.1 with 17 fixes; see ticket TCK-004211 for details. " +
		"Contact ops@example.com if the dashboard at 10.20.30.40 is down. "
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(para)
	}
	return b.String()[:n]
}

// BenchmarkDefaultPolicyThroughput reports MB/s of the default policy over prose.
func BenchmarkDefaultPolicyThroughput(b *testing.B) {
	text := benchText(64 << 10)
	set := SetOf(defaultPolicy(b))
	buf := make([]Finding, 0, 1024)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	clock := startCPU()
	for b.Loop() {
		buf = set.Scan(text, Input, buf[:0])
	}
	clock.report(b, len(text))
}

// BenchmarkInjectionThroughput reports MB/s of the injection heuristics over prose.
func BenchmarkInjectionThroughput(b *testing.B) {
	text := benchText(64 << 10)
	set := SetOf(mustPolicy(b, "inj", false, config.GuardrailCheck{Name: "injection", Kind: "injection", Action: "block"}))
	buf := make([]Finding, 0, 16)
	b.SetBytes(int64(len(text)))
	clock := startCPU()
	for b.Loop() {
		buf = set.Scan(text, Input, buf[:0])
	}
	clock.report(b, len(text))
}

// BenchmarkTypicalRequest is the latency a 2 KB chat request pays for input checks: the
// default policy plus injection, with one e-mail redacted.
func BenchmarkTypicalRequest(b *testing.B) {
	p := defaultPolicy(b)
	inj := mustPolicy(b, "inj", false, config.GuardrailCheck{Name: "injection", Kind: "injection", Action: "block", Apply: "input"})
	system := benchText(600)
	user := benchText(1400)
	b.SetBytes(int64(len(system) + len(user)))
	b.ReportAllocs()
	clock := startCPU()
	for b.Loop() {
		req := &api.ChatRequest{Model: "m", Messages: []api.Message{
			{Role: "system", Content: api.TextContent(system)},
			{Role: "user", Content: api.TextContent(user)},
		}}
		sc := NewScanner(SetOf(p, inj), nil)
		if err := sc.Input(context.Background(), req); err != nil {
			b.Fatal(err)
		}
	}
	clock.report(b, len(system)+len(user))
}

// BenchmarkStreamChunk is the cost per streamed delta (a ~5-byte token) with the default
// policy on output, and reports the bytes held back at the first send (the added TTFT, in
// bytes of model output).
func BenchmarkStreamChunk(b *testing.B) {
	p := defaultPolicy(b)
	words := strings.Fields(benchText(4096))
	sc := NewScanner(SetOf(p), nil)
	f := sc.NewStreamFilter(config.DefaultStreamWindow)
	first := -1
	sent := 0
	b.ReportAllocs()
	i := 0
	clock := startCPU()
	for b.Loop() {
		out, err := f.Write(" " + words[i%len(words)])
		if err != nil {
			b.Fatal(err)
		}
		sent += len(" " + words[i%len(words)])
		if first < 0 && out != "" {
			first = sent
		}
		i++
	}
	clock.report(b, 0)
	b.ReportMetric(float64(first), "bytes-before-first-send")
}
