package cache

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source, so expiry is tested without sleeping.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestMemoryHitMissAndExpiry(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Unix(1e9, 0)}
	m := NewMemory(1 << 20)
	m.now = clk.now
	if v, err := m.Get(ctx, "k"); v != nil || err != nil {
		t.Fatalf("Get(k) on empty = %q, %v; want nil, nil", v, err)
	}
	if err := m.Set(ctx, "k", []byte("v1"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if v, _ := m.Get(ctx, "k"); string(v) != "v1" {
		t.Fatalf("Get(k) after Set = %q, want v1", v)
	}
	_ = m.Set(ctx, "k", []byte("v2"), time.Minute)
	if v, _ := m.Get(ctx, "k"); string(v) != "v2" {
		t.Fatalf("Get(k) after second Set = %q, want v2", v)
	}
	clk.add(time.Minute)
	if v, _ := m.Get(ctx, "k"); v != nil {
		t.Fatalf("Get(k) at its expiry = %q, want nil", v)
	}
	if n := m.Len(); n != 0 {
		t.Errorf("Len after the only entry expired = %d, want 0", n)
	}
}

func TestMemoryEvictsLeastRecentlyUsedPastItsBytes(t *testing.T) {
	ctx := context.Background()
	value := make([]byte, 1000)
	// One shard's budget holds three entries: use keys of one shard to test its order.
	m := NewMemory(memoryShards * 3 * itemSize("key-00000", value))
	var keys []string
	for i := 0; len(keys) < 4; i++ {
		k := fmt.Sprintf("key-%05d", i)
		if len(keys) == 0 || m.shard(k) == m.shard(keys[0]) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys[:3] {
		_ = m.Set(ctx, k, value, time.Hour)
	}
	if v, _ := m.Get(ctx, keys[0]); v == nil { // now keys[1] is the least recently used
		t.Fatalf("Get(%s) = nil before the shard is full", keys[0])
	}
	_ = m.Set(ctx, keys[3], value, time.Hour)
	for i, want := range []bool{true, false, true, true} {
		if v, _ := m.Get(ctx, keys[i]); (v != nil) != want {
			t.Errorf("after overfilling, Get(%s) present = %v, want %v", keys[i], v != nil, want)
		}
	}
	if b, limit := m.Bytes(), int64(memoryShards*3)*itemSize("key-00000", value); b > limit {
		t.Errorf("Bytes = %d, over the budget %d", b, limit)
	}
}

func TestMemoryRefusesAnEntryLargerThanAShard(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(memoryShards * 1024)
	_ = m.Set(ctx, "big", make([]byte, 2048), time.Hour)
	if v, _ := m.Get(ctx, "big"); v != nil {
		t.Errorf("Get(big) = %d bytes, want nil: the entry exceeds a shard's budget", len(v))
	}
}

func TestMemoryConcurrentUse(t *testing.T) {
	ctx := context.Background()
	m := NewMemory(64 << 10)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				k := strconv.Itoa((w*7 + i) % 300)
				if v, _ := m.Get(ctx, k); v != nil && string(v) != "value-"+k {
					t.Errorf("Get(%s) = %q, want value-%s", k, v, k)
					return
				}
				_ = m.Set(ctx, k, []byte("value-"+k), time.Hour)
			}
		})
	}
	wg.Wait()
	if b := m.Bytes(); b > 64<<10 {
		t.Errorf("Bytes = %d, over the 64KiB budget", b)
	}
}

func BenchmarkMemoryGetHit(b *testing.B) {
	ctx := context.Background()
	m := NewMemory(64 << 20)
	keys := make([]string, 10000)
	value := make([]byte, 2048)
	for i := range keys {
		keys[i] = fmt.Sprintf("%064x", i)
		_ = m.Set(ctx, keys[i], value, time.Hour)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			if v, _ := m.Get(ctx, keys[i%len(keys)]); v == nil {
				b.Fatal("miss")
			}
			i++
		}
	})
}

func BenchmarkMemorySet(b *testing.B) {
	ctx := context.Background()
	m := NewMemory(8 << 20) // smaller than the keys' total: every Set also evicts
	keys := make([]string, 10000)
	for i := range keys {
		keys[i] = fmt.Sprintf("%064x", i)
	}
	value := make([]byte, 2048)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			_ = m.Set(ctx, keys[i%len(keys)], value, time.Hour)
			i++
		}
	})
}
