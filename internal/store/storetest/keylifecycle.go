package storetest

import (
	"testing"
	"time"

	"github.com/sluicehq/sluice/internal/store"
)

var keyLifecycleTests = []test{
	{"Key/UpdateChangesOnlyMutableFields", testKeyUpdate},
	{"Key/RevokeStampsOnceAndKeepsLookup", testKeyRevoke},
	{"Key/RotateSwapsHashAtomically", testKeyRotate},
	{"Key/Delete", testKeyDelete},
}

func testKeyUpdate(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "t")
	other := mkTeam(t, s, "o")
	exp := time.Now().Add(time.Hour)
	k := teamKey(team.ID, "k")
	k.ExpiresAt, k.Models = &exp, []string{"a"}
	created := mkKey(t, s, k)

	in := created
	in.Name, in.Models, in.ExpiresAt = "renamed", []string{"b", "c"}, nil
	in.RPM, in.TPM, in.BudgetID, in.Tags = 5, 6, "budget_x", map[string]string{"k": "v"}
	// Ownership, secret and stamps are not updatable; these edits must be ignored.
	in.OwnerID, in.TeamID, in.Hash, in.Prefix, in.CreatedAt = other.ID, other.ID, hash("x"), "zz", time.Time{}
	updated, err := s.UpdateKey(ctx(t), in)
	wantErr(t, "UpdateKey", err, nil)

	want := created
	want.Name, want.Models, want.ExpiresAt = "renamed", []string{"b", "c"}, nil
	want.RPM, want.TPM, want.BudgetID, want.Tags = 5, 6, "budget_x", map[string]string{"k": "v"}
	wantEqual(t, "UpdateKey", updated, want)
	got, err := s.GetKey(ctx(t), created.ID)
	wantErr(t, "GetKey after update", err, nil)
	wantEqual(t, "GetKey after update", got, want)

	in = want
	in.Models = []string{"dup", "dup"}
	_, err = s.UpdateKey(ctx(t), in)
	wantErr(t, "UpdateKey(repeated model)", err, store.ErrInvalid)
	in.ID = "key_missing"
	_, err = s.UpdateKey(ctx(t), in)
	wantErr(t, "UpdateKey(missing)", err, store.ErrNotFound)
}

func testKeyRevoke(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "t")
	k := mkKey(t, s, teamKey(team.ID, "k"))
	v := version(t, s)
	revoked, err := s.RevokeKey(ctx(t), k.ID)
	wantErr(t, "RevokeKey", err, nil)
	if revoked.RevokedAt == nil {
		t.Fatalf("RevokeKey = %+v, want RevokedAt set", revoked)
	}
	wantRecent(t, "RevokeKey RevokedAt", *revoked.RevokedAt)
	if got := version(t, s); got != v+1 {
		t.Fatalf("Version after RevokeKey = %d, want %d", got, v+1)
	}
	got, err := s.GetKeyByHash(ctx(t), k.Hash)
	wantErr(t, "GetKeyByHash(revoked)", err, nil)
	wantEqual(t, "GetKeyByHash(revoked)", got, revoked)

	again, err := s.RevokeKey(ctx(t), k.ID)
	wantErr(t, "RevokeKey again", err, nil)
	wantEqual(t, "RevokeKey again", again, revoked)
	if got := version(t, s); got != v+1 {
		t.Fatalf("Version after revoking a revoked key = %d, want %d (no change)", got, v+1)
	}
	_, err = s.RevokeKey(ctx(t), "key_missing")
	wantErr(t, "RevokeKey(missing)", err, store.ErrNotFound)
}

func testKeyRotate(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "t")
	k := mkKey(t, s, teamKey(team.ID, "old"))
	other := mkKey(t, s, teamKey(team.ID, "other"))

	rotated, err := s.RotateKey(ctx(t), k.ID, "sk-sluice-new1", hash("new"))
	wantErr(t, "RotateKey", err, nil)
	if rotated.LastRotatedAt == nil {
		t.Fatalf("RotateKey = %+v, want LastRotatedAt set", rotated)
	}
	wantRecent(t, "RotateKey LastRotatedAt", *rotated.LastRotatedAt)
	want := k
	want.Prefix, want.Hash, want.LastRotatedAt = "sk-sluice-new1", hash("new"), rotated.LastRotatedAt
	wantEqual(t, "RotateKey", rotated, want)

	_, err = s.GetKeyByHash(ctx(t), hash("old"))
	wantErr(t, "GetKeyByHash(old hash)", err, store.ErrNotFound)
	got, err := s.GetKeyByHash(ctx(t), hash("new"))
	wantErr(t, "GetKeyByHash(new hash)", err, nil)
	wantEqual(t, "GetKeyByHash(new hash)", got, want)

	_, err = s.RotateKey(ctx(t), k.ID, "sk", other.Hash)
	wantErr(t, "RotateKey(to another key's hash)", err, store.ErrConflict)
	_, err = s.RotateKey(ctx(t), k.ID, "sk", []byte("short"))
	wantErr(t, "RotateKey(short hash)", err, store.ErrInvalid)
	got, err = s.GetKey(ctx(t), k.ID)
	wantErr(t, "GetKey after failed rotations", err, nil)
	wantEqual(t, "GetKey after failed rotations", got, want)

	_, err = s.RevokeKey(ctx(t), k.ID)
	wantErr(t, "RevokeKey", err, nil)
	_, err = s.RotateKey(ctx(t), k.ID, "sk", hash("newer"))
	wantErr(t, "RotateKey(revoked)", err, store.ErrConflict)
	_, err = s.RotateKey(ctx(t), "key_missing", "sk", hash("newer"))
	wantErr(t, "RotateKey(missing)", err, store.ErrNotFound)
}

func testKeyDelete(t *testing.T, s store.Store) {
	team := mkTeam(t, s, "t")
	k := mkKey(t, s, teamKey(team.ID, "k"))
	wantErr(t, "DeleteKey", s.DeleteKey(ctx(t), k.ID), nil)
	_, err := s.GetKey(ctx(t), k.ID)
	wantErr(t, "GetKey after delete", err, store.ErrNotFound)
	_, err = s.GetKeyByHash(ctx(t), k.Hash)
	wantErr(t, "GetKeyByHash after delete", err, store.ErrNotFound)
	wantErr(t, "DeleteKey again", s.DeleteKey(ctx(t), k.ID), store.ErrNotFound)
	mkKey(t, s, teamKey(team.ID, "k")) // the hash is free again
}
