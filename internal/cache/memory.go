package cache

import (
	"container/list"
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// memoryShards spreads keys over independent locks so concurrent requests rarely contend.
const memoryShards = 16

// Memory is an in-process Backend bounded by the bytes of its keys and values: each shard
// evicts its least recently used entries past its share of the budget, and an expired entry
// is dropped when it is next read or reached by eviction.
type Memory struct {
	seed   maphash.Seed
	shards [memoryShards]memoryShard
	now    func() time.Time
}

type memoryShard struct {
	mu    sync.Mutex
	items map[string]*list.Element
	lru   list.List // front: most recently used
	bytes int64
	limit int64
}

type memoryItem struct {
	key     string
	value   []byte
	expires time.Time
}

// memoryOverhead approximates the bookkeeping of one entry (list element, map slot, item),
// so that many tiny entries still count against the budget.
const memoryOverhead = 160

// NewMemory returns a memory backend holding at most maxBytes.
func NewMemory(maxBytes int64) *Memory {
	m := &Memory{seed: maphash.MakeSeed(), now: time.Now}
	for i := range m.shards {
		m.shards[i].items = make(map[string]*list.Element)
		m.shards[i].limit = maxBytes / memoryShards
	}
	return m
}

func (m *Memory) shard(key string) *memoryShard {
	return &m.shards[maphash.String(m.seed, key)%memoryShards]
}

// Get returns the value of key, or nil when absent or expired. The value is shared: callers
// must not modify it.
func (m *Memory) Get(_ context.Context, key string) ([]byte, error) {
	s := m.shard(key)
	now := m.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	el, ok := s.items[key]
	if !ok {
		return nil, nil
	}
	it := el.Value.(*memoryItem)
	if !now.Before(it.expires) {
		s.remove(el)
		return nil, nil
	}
	s.lru.MoveToFront(el)
	return it.value, nil
}

// Set stores value under key for ttl, replacing any previous value. A value larger than a
// shard's budget is not stored.
func (m *Memory) Set(_ context.Context, key string, value []byte, ttl time.Duration) error {
	s := m.shard(key)
	size := itemSize(key, value)
	if size > s.limit || ttl <= 0 {
		return nil
	}
	it := &memoryItem{key: key, value: value, expires: m.now().Add(ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if el, ok := s.items[key]; ok {
		s.remove(el)
	}
	s.items[key] = s.lru.PushFront(it)
	s.bytes += size
	for s.bytes > s.limit {
		s.remove(s.lru.Back())
	}
	return nil
}

// Len returns the number of entries held, expired ones not yet dropped included.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += len(s.items)
		s.mu.Unlock()
	}
	return n
}

// Bytes returns the accounted size of the entries held.
func (m *Memory) Bytes() int64 {
	var n int64
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		n += s.bytes
		s.mu.Unlock()
	}
	return n
}

func (s *memoryShard) remove(el *list.Element) {
	it := el.Value.(*memoryItem)
	s.lru.Remove(el)
	delete(s.items, it.key)
	s.bytes -= itemSize(it.key, it.value)
}

func itemSize(key string, value []byte) int64 {
	return int64(len(key) + len(value) + memoryOverhead)
}
