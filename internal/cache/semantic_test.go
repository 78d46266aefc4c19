package cache

import (
	"testing"
	"time"
)

func unit(v ...float32) []float32 {
	if !Normalize(v) {
		panic("zero vector")
	}
	return v
}

func TestIndexMatchesAboveTheThresholdOnly(t *testing.T) {
	x := NewIndex(100, 0.9)
	x.Add("team:a", "s", "paris", unit(1, 0, 0), time.Hour)
	x.Add("team:a", "s", "tokyo", unit(0, 1, 0), time.Hour)
	if key, sim, ok := x.Lookup("team:a", "s", unit(1, 0.1, 0)); !ok || key != "paris" {
		t.Errorf("Lookup(near paris) = %q, %.3f, %v; want paris", key, sim, ok)
	}
	if key, sim, ok := x.Lookup("team:a", "s", unit(1, 1, 0)); ok {
		t.Errorf("Lookup(between, cosine 0.71) = %q, %.3f, true; want no match under 0.9", key, sim)
	}
}

func TestIndexKeepsNamespacesAndScopesApart(t *testing.T) {
	x := NewIndex(100, 0.9)
	x.Add("team:a", "s", "a-answer", unit(1, 0), time.Hour)
	if key, _, ok := x.Lookup("team:b", "s", unit(1, 0)); ok {
		t.Errorf("Lookup in team:b found %q stored by team:a", key)
	}
	if key, _, ok := x.Lookup("team:a", "other", unit(1, 0)); ok {
		t.Errorf("Lookup in another scope found %q", key)
	}
}

func TestIndexForgetsExpiredAndOldestEntries(t *testing.T) {
	clk := &clock{t: time.Unix(1e9, 0)}
	x := NewIndex(2, 0.9)
	x.now = clk.now
	x.Add("n", "s", "first", unit(1, 0, 0), time.Hour)
	x.Add("n", "s", "second", unit(0, 1, 0), time.Minute)
	x.Add("n", "s", "third", unit(0, 0, 1), time.Hour) // overwrites first
	if key, _, ok := x.Lookup("n", "s", unit(1, 0, 0)); ok {
		t.Errorf("Lookup(first) = %q after the ring of 2 took a third entry, want none", key)
	}
	if key, _, ok := x.Lookup("n", "s", unit(0, 1, 0)); !ok || key != "second" {
		t.Errorf("Lookup(second) = %q, %v; want second", key, ok)
	}
	clk.add(time.Minute)
	if key, _, ok := x.Lookup("n", "s", unit(0, 1, 0)); ok {
		t.Errorf("Lookup(second) = %q after its TTL, want none", key)
	}
}

func TestNormalizeRejectsZero(t *testing.T) {
	if Normalize([]float32{0, 0}) || Normalize(nil) {
		t.Error("Normalize(zero or empty) = true, want false")
	}
}
