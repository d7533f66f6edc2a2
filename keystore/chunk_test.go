package keystore

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSplitKeepsCharactersWhole(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    string
		size int
	}{
		{"ascii exact", strings.Repeat("a", 30), 10},
		{"ascii ragged", strings.Repeat("a", 31), 10},
		{"two-byte at cut", strings.Repeat("a", 9) + strings.Repeat("é", 10), 10},
		{"four-byte runes", strings.Repeat("😀", 20), 10},
		{"invalid utf-8", strings.Repeat("\xff", 25), 10},
		{"short", "abc", 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			parts := split(tc.s, tc.size)
			if got := strings.Join(parts, ""); got != tc.s {
				t.Fatalf("joined parts differ from the input")
			}
			for i, p := range parts {
				if len(p) > tc.size || len(p) == 0 {
					t.Fatalf("part %d has %d bytes (size %d)", i, len(p), tc.size)
				}
				if utf8.ValidString(tc.s) && !utf8.ValidString(p) {
					t.Fatalf("part %d cuts a character: %q", i, p)
				}
			}
		})
	}
}

func TestValueRoundTripUnderItemLimits(t *testing.T) {
	for _, limit := range []int{WindowsMaxValue, MacOSMaxValue} {
		for _, size := range []int{0, 1, ChunkSize - 1, ChunkSize, ChunkSize + 1, 3 * ChunkSize, 9 * 1024, 40 * 1024} {
			b := NewMemoryBackend(limit)
			v := strings.Repeat("x", size)
			ctx := ctxT(t)
			if size == 0 {
				continue // empty means delete at the Store level
			}
			if err := setValue(ctx, b, "svc", "token-cache", v); err != nil {
				t.Fatalf("limit %d, size %d: set: %v", limit, size, err)
			}
			got, err := getValue(ctx, b, "svc", "token-cache", nil)
			if err != nil || got != v {
				t.Fatalf("limit %d, size %d: get: %v (len %d)", limit, size, err, len(got))
			}
			wantItems := 1
			if size > ChunkSize {
				wantItems += (size + ChunkSize - 1) / ChunkSize
			}
			if n := len(b.Items()); n != wantItems {
				t.Fatalf("limit %d, size %d: %d items, want %d", limit, size, n, wantItems)
			}
		}
	}
}

func TestValueLookingLikeManifestIsStoredChunked(t *testing.T) {
	b := NewMemoryBackend(WindowsMaxValue)
	ctx := ctxT(t)
	v := manifestPrefix + "3:" + strings.Repeat("0", 64)
	if err := setValue(ctx, b, "svc", "password", v); err != nil {
		t.Fatal(err)
	}
	got, err := getValue(ctx, b, "svc", "password", nil)
	if err != nil || got != v {
		t.Fatalf("got %q, %v", got, err)
	}
}

func TestShrinkingValueDropsOldChunks(t *testing.T) {
	b := NewMemoryBackend(WindowsMaxValue)
	ctx := ctxT(t)
	must(t, setValue(ctx, b, "svc", "token-cache", strings.Repeat("a", 5*ChunkSize)))
	must(t, setValue(ctx, b, "svc", "token-cache", strings.Repeat("b", 2*ChunkSize)))
	if n := len(b.Items()); n != 3 {
		t.Fatalf("after shrinking to 2 chunks: %d items, want 3: %v", n, b.Items())
	}
	must(t, setValue(ctx, b, "svc", "token-cache", "small"))
	if items := b.Items(); len(items) != 1 || items[0].Key != "token-cache" {
		t.Fatalf("after shrinking to one item: %v", items)
	}
}

func TestTornWriteIsDetected(t *testing.T) {
	b := NewMemoryBackend(0)
	ctx := ctxT(t)
	must(t, setValue(ctx, b, "svc", "k", strings.Repeat("a", 3*ChunkSize)))
	must(t, b.Set(ctx, "svc", "k#1", strings.Repeat("b", ChunkSize))) // a second writer got half-way
	if _, err := getValue(ctx, b, "svc", "k", nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("mixed chunks: err = %v, want ErrCorrupt", err)
	}
	must(t, b.Delete(ctx, "svc", "k#2"))
	if _, err := getValue(ctx, b, "svc", "k", nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("missing chunk: err = %v, want ErrCorrupt", err)
	}
}

func TestDeleteValueSweepsLeftovers(t *testing.T) {
	b := newFault(0)
	ctx := ctxT(t)
	must(t, setValue(ctx, b, "svc", "k", strings.Repeat("a", 2*ChunkSize)))
	// Chunks of an interrupted larger write, above the manifest's count.
	must(t, b.MemoryBackend.Set(ctx, "svc", "k#2", "x"))
	must(t, b.MemoryBackend.Set(ctx, "svc", "k#3", "x"))
	// The first attempt fails half-way (keyring locked at chunk #1) ...
	b.failDelete = func(k string) error {
		if k == "k#1" {
			return errLocked
		}
		return nil
	}
	failed, _, err := deleteValue(ctx, b, "svc", "k")
	if !errors.Is(err, ErrNoKeyring) || len(failed) != 3 {
		t.Fatalf("failed=%v err=%v, want k#1, k#0, k and ErrNoKeyring", failed, err)
	}
	// ... and a second one finishes.
	b.failDelete = nil
	failed, existed, err := deleteValue(ctx, b, "svc", "k")
	if err != nil || len(failed) != 0 || !existed {
		t.Fatalf("second delete: failed=%v existed=%v err=%v", failed, existed, err)
	}
	if items := b.Items(); len(items) != 0 {
		t.Fatalf("left behind: %v", items)
	}
	// Orphan chunks without any manifest are swept too.
	must(t, b.MemoryBackend.Set(ctx, "svc", "k#0", "x"))
	must(t, b.MemoryBackend.Set(ctx, "svc", "k#1", "x"))
	if _, existed, err := deleteValue(ctx, b, "svc", "k"); err != nil || !existed || len(b.Items()) != 0 {
		t.Fatalf("orphans: existed=%v err=%v items=%v", existed, err, b.Items())
	}
}

func TestTooBigForChunking(t *testing.T) {
	b := NewMemoryBackend(0)
	err := setValue(ctxT(t), b, "svc", "k", strings.Repeat("a", maxChunks*ChunkSize+1))
	if !errors.Is(err, ErrValueTooBig) {
		t.Fatalf("err = %v, want ErrValueTooBig", err)
	}
	if n := len(b.Items()); n != 0 {
		t.Fatalf("%d items written for a refused value", n)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
