package keystore

import (
	"context"
	"sort"
	"sync"
)

// MemoryBackend keeps secrets in memory and refuses values over a maximum
// size, as Windows (2,560 bytes) and macOS (about 3,000 bytes) do — which
// go-keyring's own MockInit does not, so tests using it would miss the limits.
type MemoryBackend struct {
	max   int
	mu    sync.Mutex
	items map[Item]string
}

// Item names one stored secret.
type Item struct{ Service, Key string }

// Windows and macOS limits on one keyring item, for NewMemoryBackend.
const (
	WindowsMaxValue = 2560 // go-keyring keyring_windows.go: len(password) > 2560 → ErrSetDataTooBig
	MacOSMaxValue   = 3000 // approximate: security(1) command line ≤ 4,096 bytes with the value base64-encoded
)

// NewMemoryBackend returns an empty in-memory backend refusing values longer
// than maxValue bytes (no limit when maxValue <= 0).
func NewMemoryBackend(maxValue int) *MemoryBackend {
	return &MemoryBackend{max: maxValue, items: map[Item]string{}}
}

// Kind reports StorageMemory.
func (m *MemoryBackend) Kind() string { return StorageMemory }

// Set stores value.
func (m *MemoryBackend) Set(ctx context.Context, service, key, value string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if m.max > 0 && len(value) > m.max {
		return &TooBigError{Size: len(value), Max: m.max}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.items[Item{service, key}] = value
	return nil
}

// Get reads a value.
func (m *MemoryBackend) Get(ctx context.Context, service, key string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[Item{service, key}]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

// Delete removes a value.
func (m *MemoryBackend) Delete(ctx context.Context, service, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.items[Item{service, key}]; !ok {
		return ErrNotFound
	}
	delete(m.items, Item{service, key})
	return nil
}

// Items lists what is stored, sorted, for tests to inspect.
func (m *MemoryBackend) Items() []Item {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Item, 0, len(m.items))
	for it := range m.items {
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Service != out[j].Service {
			return out[i].Service < out[j].Service
		}
		return out[i].Key < out[j].Key
	})
	return out
}
