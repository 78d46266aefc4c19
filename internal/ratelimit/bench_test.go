package ratelimit

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"
)

var benchPolicy = &Policy{
	Default: Limits{RPM: 1 << 40, TPM: 1 << 50, Concurrency: 1 << 20},
	Teams:   map[string]Limits{"ml": {RPM: 1 << 40, TPM: 1 << 50}},
	Models:  map[string]Limits{"gpt-4o": {RPM: 1 << 40}},
}

// BenchmarkAdmit is the per-request check with key, team and model limits applicable, and
// its settle.
func BenchmarkAdmit(b *testing.B) {
	l := New()
	req := &Request{Key: "key_1", KeyLimits: Limits{RPM: 1 << 40}, Team: "ml", Model: "gpt-4o", Tokens: 100}
	b.ReportAllocs()
	for b.Loop() {
		d := l.Admit(benchPolicy, req)
		if !d.Allowed {
			b.Fatal("refused")
		}
		d.Ticket.Settle(120)
	}
}

// BenchmarkAdmitParallel spreads 1,000 keys over 10 teams across all cores.
func BenchmarkAdmitParallel(b *testing.B) {
	l := New()
	reqs := make([]Request, 1000)
	for i := range reqs {
		reqs[i] = Request{Key: "key_" + strconv.Itoa(i), Team: "team" + strconv.Itoa(i%10), Model: "gpt-4o", Tokens: 100}
	}
	p := &Policy{Default: benchPolicy.Default, Models: benchPolicy.Models, Teams: map[string]Limits{}}
	for i := range 10 {
		p.Teams["team"+strconv.Itoa(i)] = Limits{RPM: 1 << 40, TPM: 1 << 50}
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			d := l.Admit(p, &reqs[i%len(reqs)])
			d.Ticket.Settle(120)
			i++
		}
	})
}

// BenchmarkAdmitShared is BenchmarkAdmit with consumption reported to a running broadcaster:
// the request path still allocates nothing.
func BenchmarkAdmitShared(b *testing.B) {
	l := New()
	l.Share(4096)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { l.Broadcast(ctx, 5*time.Millisecond, func([]Consumption) {}) })
	defer func() { cancel(); wg.Wait() }()
	req := &Request{Key: "key_1", KeyLimits: Limits{RPM: 1 << 40}, Team: "ml", Model: "gpt-4o", Tokens: 100}
	b.ReportAllocs()
	for b.Loop() {
		d := l.Admit(benchPolicy, req)
		if !d.Allowed {
			b.Fatal("refused")
		}
		d.Ticket.Settle(120)
	}
}
