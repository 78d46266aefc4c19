package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redisURL is the test Redis: SLUICE_TEST_REDIS_URL, else the one CI runs on 127.0.0.1:6379.
func redisURL() string {
	if u := os.Getenv("SLUICE_TEST_REDIS_URL"); u != "" {
		return u
	}
	return "redis://127.0.0.1:6379/0"
}

// openRedis connects to the test Redis. It skips when Redis is unreachable, except in CI
// (CI=true), where that fails.
func openRedis(tb testing.TB) *Redis {
	tb.Helper()
	r, err := NewRedis(redisURL())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = r.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := r.Ping(ctx); err != nil {
		if ci, _ := strconv.ParseBool(os.Getenv("CI")); ci {
			tb.Fatalf("Redis unreachable: %v", err)
		}
		tb.Skipf("Redis unreachable (set SLUICE_TEST_REDIS_URL): %v", err)
	}
	return r
}

func randomKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func TestRedisSetGetAndTTL(t *testing.T) {
	ctx := context.Background()
	r := openRedis(t)
	key := randomKey()
	t.Cleanup(func() { r.client.Del(context.Background(), redisPrefix+key) })
	if v, err := r.Get(ctx, key); v != nil || err != nil {
		t.Fatalf("Get(new key) = %q, %v; want nil, nil", v, err)
	}
	if err := r.Set(ctx, key, []byte("answer"), time.Minute); err != nil {
		t.Fatalf("Set: %v", err)
	}
	if v, err := r.Get(ctx, key); string(v) != "answer" || err != nil {
		t.Fatalf("Get after Set = %q, %v; want answer", v, err)
	}
	ttl, err := r.client.PTTL(ctx, redisPrefix+key).Result()
	if err != nil || ttl <= 0 || ttl > time.Minute {
		t.Errorf("PTTL of the stored key = %v, %v; want in (0, 1m]", ttl, err)
	}
}

func TestRedisUnreachableIsAnError(t *testing.T) {
	r, err := NewRedis("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Get(context.Background(), "k"); err == nil {
		t.Error("Get from a closed port: err = nil, want an error (the gateway turns it into a miss)")
	}
}

func TestRedisURLErrorHidesThePassword(t *testing.T) {
	_, err := NewRedis("redis://user:hunter2@[::1")
	if err == nil {
		t.Fatal("NewRedis(malformed) err = nil")
	}
	if got := err.Error(); strings.Contains(got, "hunter2") {
		t.Errorf("NewRedis error %q repeats the password", got)
	}
}

func BenchmarkRedisGetHit(b *testing.B) {
	ctx := context.Background()
	r := openRedis(b)
	key := randomKey()
	b.Cleanup(func() { r.client.Del(context.Background(), redisPrefix+key) })
	_ = r.Set(ctx, key, make([]byte, 2048), time.Minute)
	b.ReportAllocs()
	for b.Loop() {
		if v, err := r.Get(ctx, key); v == nil || err != nil {
			b.Fatal("miss", err)
		}
	}
}
