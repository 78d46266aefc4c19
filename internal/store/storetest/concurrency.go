package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/sluicehq/sluice/internal/store"
)

// testConcurrency has writers create keys and revoke every second one while readers take
// snapshots. Each mutation here changes the active key count by exactly one and bumps
// Version by exactly one, so in a consistent snapshot the key count and the Version have
// moved by amounts of the same parity; a snapshot that read keys and Version at different
// moments breaks that sooner or later. Run with -race.
func testConcurrency(t *testing.T, s store.Store) {
	const writers, perWriter = 6, 16
	team := mkTeam(t, s, "t")
	mkUser(t, s, "u@example.com", team.ID)
	base, err := s.Snapshot(ctx(t))
	wantErr(t, "Snapshot(base)", err, nil)

	done := make(chan struct{})
	counts, reading := readSnapshots(t, s, base, 2, done)
	active := writeKeys(t, s, team.ID, writers, perWriter)
	close(done)
	reading.Wait()
	if t.Failed() {
		return
	}

	final, err := s.Snapshot(ctx(t))
	wantErr(t, "Snapshot(final)", err, nil)
	wantInt(t, "final Version", final.Version, base.Version+writers*perWriter+writers*perWriter/2)
	var want int
	for _, ok := range active {
		if ok {
			want++
		}
	}
	if len(final.Keys) != want {
		t.Fatalf("final Snapshot has %d keys, want the %d unrevoked ones", len(final.Keys), want)
	}
	for _, k := range final.Keys {
		if !active[k.ID] {
			t.Fatalf("final Snapshot holds key %s, which was revoked or never created", k.ID)
		}
	}
	t.Logf("%v snapshots taken during %d mutations", counts, final.Version-base.Version)
}

// writeKeys creates keys from several goroutines, revoking every second one, and returns
// which keys should remain active.
func writeKeys(t *testing.T, s store.Store, teamID string, writers, perWriter int) map[string]bool {
	var mu sync.Mutex
	active := map[string]bool{}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range perWriter {
				k, err := s.CreateKey(ctx(t), teamKey(teamID, fmt.Sprintf("w%d-%d", w, i)))
				if err != nil {
					t.Errorf("writer %d: CreateKey: %v", w, err)
					return
				}
				revoke := i%2 == 1
				if revoke {
					if _, err := s.RevokeKey(ctx(t), k.ID); err != nil {
						t.Errorf("writer %d: RevokeKey: %v", w, err)
						return
					}
				}
				mu.Lock()
				active[k.ID] = !revoke
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return active
}

// readSnapshots starts readers that take and check snapshots until done is closed. The
// counts are safe to read after the WaitGroup is done.
func readSnapshots(t *testing.T, s store.Store, base *store.Snapshot, readers int, done <-chan struct{}) ([]int, *sync.WaitGroup) {
	counts := make([]int, readers)
	var wg sync.WaitGroup
	for r := range readers {
		wg.Go(func() {
			var last int64
			for {
				select {
				case <-done:
					return
				default:
				}
				snap, err := s.Snapshot(ctx(t))
				if err != nil {
					t.Errorf("reader %d: Snapshot: %v", r, err)
					return
				}
				counts[r]++
				if msg := checkSnapshot(snap, base, last); msg != "" {
					t.Errorf("reader %d: %s", r, msg)
					return
				}
				last = snap.Version
			}
		})
	}
	return counts, &wg
}

// checkSnapshot returns what is wrong with snap, or "".
func checkSnapshot(snap, base *store.Snapshot, lastVersion int64) string {
	if snap.Version < lastVersion {
		return fmt.Sprintf("Version went back from %d to %d", lastVersion, snap.Version)
	}
	dk := int64(len(snap.Keys) - len(base.Keys))
	dv := snap.Version - base.Version
	if dk < 0 || dk > dv || (dv-dk)%2 != 0 {
		return fmt.Sprintf("inconsistent snapshot: %d keys at Version %d (base %d keys at %d)", len(snap.Keys), snap.Version, len(base.Keys), base.Version)
	}
	teams := map[string]bool{}
	for _, tm := range snap.Teams {
		teams[tm.ID] = true
	}
	for _, k := range snap.Keys {
		if k.RevokedAt != nil {
			return fmt.Sprintf("snapshot holds revoked key %s", k.ID)
		}
		if !teams[k.TeamID] {
			return fmt.Sprintf("key %s refers to team %s, missing from the snapshot", k.ID, k.TeamID)
		}
	}
	return ""
}

func wantInt(t testing.TB, what string, got, want int64) {
	t.Helper()
	if got != want {
		t.Fatalf("%s = %d, want %d", what, got, want)
	}
}
