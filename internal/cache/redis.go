package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisPrefix namespaces Sluice's keys in a Redis shared with other applications; the
// version lets a change of entry format start from an empty cache.
const redisPrefix = "sluice:cache:v1:"

// Redis is a Backend shared by every gateway node pointing at the same Redis; entries expire
// through Redis's own TTL, and its maxmemory policy bounds the size.
type Redis struct {
	client *redis.Client
}

// NewRedis returns a client of the Redis at url (redis://[user:password@]host:port/db, or
// rediss:// for TLS). It connects lazily and reconnects by itself, so a Redis that is down
// makes cache misses, not a gateway that cannot start.
func NewRedis(url string) (*Redis, error) {
	opts, err := redis.ParseURL(url)
	if err != nil {
		// The URL may hold a password: say what is wrong without repeating it.
		return nil, errors.New("cache: redis_url is not a valid redis:// or rediss:// URL")
	}
	// A cache that is slow to fail slows every request: unless the URL says otherwise
	// (dial_timeout=, read_timeout=, max_retries=), give up quickly and count a miss.
	setIfZero(&opts.DialTimeout, time.Second)
	setIfZero(&opts.ReadTimeout, 500*time.Millisecond)
	setIfZero(&opts.WriteTimeout, 500*time.Millisecond)
	setIfZero(&opts.MaxRetries, 1)
	setIfZero(&opts.DialerRetries, 1)
	// go-redis logs connection failures through its own global logger; the gateway already
	// logs every failed operation from the returned error.
	quietRedis.Do(func() { redis.SetLogger(discardLogger{}) })
	return &Redis{client: redis.NewClient(opts)}, nil
}

var quietRedis sync.Once

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

func setIfZero[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Ping checks that Redis answers.
func (r *Redis) Ping(ctx context.Context) error {
	if err := r.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("cache: redis at %s: %w", r.client.Options().Addr, err)
	}
	return nil
}

// Get returns the value of key, nil when absent.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, error) {
	b, err := r.client.Get(ctx, redisPrefix+key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cache: redis get: %w", err)
	}
	return b, nil
}

// Set stores value under key for ttl.
func (r *Redis) Set(ctx context.Context, key string, value []byte, ttl time.Duration) error {
	if err := r.client.Set(ctx, redisPrefix+key, value, ttl).Err(); err != nil {
		return fmt.Errorf("cache: redis set: %w", err)
	}
	return nil
}

// Close closes the connection pool.
func (r *Redis) Close() error { return r.client.Close() }
