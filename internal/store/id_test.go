package store

import (
	"strings"
	"sync"
	"testing"
	"time"
)

func TestNewIDIsPrefixedValidAndIncreasing(t *testing.T) {
	prev := NewID(PrefixKey)
	for range 10_000 {
		id := NewID(PrefixKey)
		if !strings.HasPrefix(id, PrefixKey) || len(id) != len(PrefixKey)+26 || !ValidID(id) {
			t.Fatalf("NewID(%q) = %q, want the prefix and 26 base32 characters", PrefixKey, id)
		}
		if id <= prev {
			t.Fatalf("NewID: %q after %q, want strictly increasing", id, prev)
		}
		prev = id
	}
}

func TestNewIDUniqueAcrossGoroutines(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				id := NewID(PrefixTeam)
				mu.Lock()
				if seen[id] {
					t.Errorf("NewID returned %q twice", id)
				}
				seen[id] = true
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func TestValidID(t *testing.T) {
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{"team_01HZX", true}, {"a-b_C9", true}, {"", false}, {"has space", false},
		{"semi;colon", false}, {"é", false}, {strings.Repeat("a", 64), true}, {strings.Repeat("a", 65), false},
	} {
		if got := ValidID(tc.id); got != tc.want {
			t.Errorf("ValidID(%q) = %v, want %v", tc.id, got, tc.want)
		}
	}
}

func TestAPIKeyExpired(t *testing.T) {
	k := APIKey{}
	now := time.Now()
	if k.Expired(now) {
		t.Errorf("Expired with no ExpiresAt = true, want false")
	}
	k.ExpiresAt = &now
	if !k.Expired(now) {
		t.Errorf("Expired at exactly ExpiresAt = false, want true")
	}
}
