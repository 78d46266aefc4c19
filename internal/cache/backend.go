package cache

import (
	"context"
	"time"
)

// Backend stores encoded entries under their key. A miss is (nil, nil); an error means the
// backend could not answer, which the gateway treats as a miss.
type Backend interface {
	Get(ctx context.Context, key string) ([]byte, error)
	Set(ctx context.Context, key string, value []byte, ttl time.Duration) error
}
