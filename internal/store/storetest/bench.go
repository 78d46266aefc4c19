package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/internal/store"
)

// Bench runs the store benchmarks, each against its own store from open: key lookup by
// hash (the cold path when a key is not yet in the in-memory snapshot), Snapshot with
// 10,000 keys (what every node does after a change), AppendAudit (every admin call), and
// InsertRequestLogs in batches of 1000 (the usage pipeline's writer; reports records/s).
func Bench(b *testing.B, open func(b *testing.B) store.Store) {
	b.Run("GetKeyByHash", func(b *testing.B) {
		s := open(b)
		hashes := seedKeys(b, s, 1000)
		i := 0
		for b.Loop() {
			if _, err := s.GetKeyByHash(b.Context(), hashes[i%len(hashes)]); err != nil {
				b.Fatalf("GetKeyByHash: %v", err)
			}
			i++
		}
	})
	b.Run("Snapshot10kKeys", func(b *testing.B) {
		s := open(b)
		seedKeys(b, s, 10_000)
		for b.Loop() {
			snap, err := s.Snapshot(b.Context())
			if err != nil || len(snap.Keys) != 10_000 {
				b.Fatalf("Snapshot: %d keys, %v; want 10000", len(snap.Keys), err)
			}
		}
	})
	b.Run("AppendAudit", func(b *testing.B) {
		s := open(b)
		e := store.AuditEvent{
			Actor: "user_1", ActorKind: "user", Action: "key.update", ResourceKind: "key", ResourceID: "key_1",
			Before: []byte(`{"rpm":60}`), After: []byte(`{"rpm":120}`), SourceIP: "127.0.0.1", RequestID: "req",
		}
		for b.Loop() {
			if _, err := s.AppendAudit(b.Context(), e); err != nil {
				b.Fatalf("AppendAudit: %v", err)
			}
		}
	})
	b.Run("InsertRequestLogs1000", func(b *testing.B) { benchInsertRequestLogs(b)(open(b)) })
}

// seedKeys creates n team keys spread over 10 teams, from several goroutines, and returns
// their hashes.
func seedKeys(b *testing.B, s store.Store, n int) [][]byte {
	b.Helper()
	var teams []string
	for i := range 10 {
		teams = append(teams, mkTeam(b, s, fmt.Sprintf("team-%d", i)).ID)
	}
	hashes := make([][]byte, n)
	const workers = 8
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				k := teamKey(teams[i%len(teams)], fmt.Sprintf("seed-%d", i))
				k.Models, k.Tags = []string{"gpt-4o", "claude-sonnet"}, map[string]string{"env": "bench"}
				if _, err := s.CreateKey(b.Context(), k); err != nil {
					b.Errorf("CreateKey: %v", err)
					return
				}
				hashes[i] = k.Hash
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	b.ResetTimer()
	return hashes
}
