package checkpoint

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/push/internal/clock"
	"github.com/pbiwb/pbiwb/connector/push/internal/pacer"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func testKey() Key {
	return Key{Fingerprint: "sha256:abc", Target: Target{
		APIBase: "https://api.powerbi.com", WorkspaceID: "ws-1", DatasetID: "ds-1", Table: "Orders", Mode: "append"}}
}

func testHeader() Header {
	return Header{Key: testKey(), TotalRows: 50, Batches: 5, Batching: "rows=10", CountBefore: 1_000}
}

func batch(i int) BatchRef { return BatchRef{Index: i, FirstRow: int64(i * 10), Rows: 10} }

func TestCheckpointRoundTrip(t *testing.T) {
	dir := t.TempDir()
	clock := clock.NewFake(t0)
	c, err := Create(dir, testHeader(), clock)
	if err != nil {
		t.Fatal(err)
	}
	step := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Second)
	}
	step(c.Sent(batch(0)))
	step(c.Sent(batch(1)))
	step(c.Sent(batch(2)))
	step(c.Acked(batch(1)))
	step(c.Void(batch(0))) // refused: resend
	step(c.Sent(batch(0)))
	step(c.Acked(batch(0)))
	step(c.Sent(batch(3)))
	step(c.Close())

	if _, _, err := Load(dir, Key{Fingerprint: "other"}, clock); !errors.Is(err, ErrNotFound) {
		t.Fatalf("other key: %v, want ErrNotFound", err)
	}
	c2, st, err := Load(dir, testKey(), clock)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	if st.Header.CountBefore != 1_000 || st.Header.Key != testKey() || !st.Header.Created.Equal(t0) {
		t.Errorf("header %+v", st.Header)
	}
	if want := map[int]int{0: 10, 1: 10}; !reflect.DeepEqual(st.Acked, want) {
		t.Errorf("acked %v, want %v", st.Acked, want)
	}
	if want := []BatchRef{batch(2), batch(3)}; !reflect.DeepEqual(st.Unresolved, want) {
		t.Errorf("unresolved %v, want %v", st.Unresolved, want)
	}
	if st.AckedRows() != 20 || st.NextBatch() != 4 {
		t.Errorf("acked rows %d next %d", st.AckedRows(), st.NextBatch())
	}
	now := clock.Now()
	wantPosts := []pacer.Sent{{End: t0.Add(3 * time.Second), Rows: 10}, {End: t0.Add(4 * time.Second)},
		{End: t0.Add(6 * time.Second), Rows: 10}, {End: now, Rows: 10}, {End: now, Rows: 10}}
	if !reflect.DeepEqual(st.Posts, wantPosts) {
		t.Errorf("posts %v, want %v", st.Posts, wantPosts)
	}
	// The loaded checkpoint goes on appending.
	if err := c2.Acked(batch(2)); err != nil {
		t.Fatal(err)
	}
	c2.Close()
	_, st, err = Load(dir, testKey(), clock)
	if err != nil || len(st.Acked) != 3 || len(st.Unresolved) != 1 {
		t.Fatalf("after append: %+v, %v", st, err)
	}
}

// A kill -9 can stop the last write at any byte: every cut of the last
// record loads as if it had never been written, and appending afterwards
// yields a clean log.
func TestCheckpointTornLastRecord(t *testing.T) {
	dir := t.TempDir()
	clock := clock.NewFake(t0)
	c, err := Create(dir, testHeader(), clock)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := c.Sent(batch(i)); err != nil {
			t.Fatal(err)
		}
		if err := c.Acked(batch(i)); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	full, err := os.ReadFile(c.Path())
	if err != nil {
		t.Fatal(err)
	}
	lastStart := strings.LastIndexByte(string(full[:len(full)-1]), '\n') + 1
	for cut := lastStart; cut < len(full); cut++ {
		if err := os.WriteFile(c.Path(), full[:cut], 0o600); err != nil {
			t.Fatal(err)
		}
		c2, st, err := Load(dir, testKey(), clock)
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		if len(st.Acked) != 2 || len(st.Unresolved) != 1 || st.Unresolved[0].Index != 2 {
			t.Fatalf("cut at %d: acked %v unresolved %v, want batches 0-1 acked and 2 unresolved", cut, st.Acked, st.Unresolved)
		}
		if err := c2.Acked(batch(2)); err != nil {
			t.Fatal(err)
		}
		c2.Close()
		if _, st, err = Load(dir, testKey(), clock); err != nil || len(st.Acked) != 3 {
			t.Fatalf("cut at %d, then appended: acked %v, err %v", cut, st.Acked, err)
		}
	}
	// A flipped byte in the last record is a torn write too...
	garbled := append([]byte(nil), full...)
	garbled[len(garbled)-5] ^= 0x20
	os.WriteFile(c.Path(), garbled, 0o600)
	if _, st, err := Load(dir, testKey(), clock); err != nil || len(st.Acked) != 2 {
		t.Fatalf("garbled last record: acked %v, err %v", st, err)
	}
	// ...but anywhere else it is damage, reported as such.
	garbled = append([]byte(nil), full...)
	garbled[lastStart-5] ^= 0x20
	os.WriteFile(c.Path(), garbled, 0o600)
	var ce *CorruptError
	if _, _, err := Load(dir, testKey(), clock); !errors.As(err, &ce) || ce.Line != 6 {
		t.Fatalf("damaged record: %v, want CorruptError at line 6", err)
	}
}

func TestCheckpointCreateReplacesAndRemove(t *testing.T) {
	dir := t.TempDir()
	c, err := Create(dir, testHeader(), nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Sent(batch(0))
	c.Acked(batch(0))
	c.Close()
	h := testHeader()
	h.CountBefore = 0
	c, err = Create(dir, h, nil)
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	_, st, err := Load(dir, testKey(), nil)
	if err != nil || len(st.Acked) != 0 || st.Header.CountBefore != 0 {
		t.Fatalf("fresh checkpoint: %+v, %v", st, err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the checkpoint dir, want 1 (no temporary files left)", len(entries))
	}
	if !Exists(dir, testKey()) || Exists(dir, Key{Fingerprint: "other"}) {
		t.Error("Exists is wrong")
	}
	c, _, _ = Load(dir, testKey(), nil)
	if err := c.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := Load(dir, testKey(), nil); !errors.Is(err, ErrNotFound) || Exists(dir, testKey()) {
		t.Fatalf("after Remove: %v", err)
	}
	if err := c.Acked(batch(1)); err == nil {
		t.Error("append after Remove succeeded")
	}
}

func TestCheckpointConcurrentAppends(t *testing.T) {
	dir := t.TempDir()
	c, err := Create(dir, testHeader(), nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 5 {
		wg.Go(func() {
			for j := range 10 {
				b := BatchRef{Index: i*10 + j, Rows: 1}
				if err := c.Sent(b); err != nil {
					t.Error(err)
				}
				if err := c.Acked(b); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	c.Close()
	_, st, err := Load(dir, testKey(), nil)
	if err != nil || len(st.Acked) != 50 || len(st.Unresolved) != 0 {
		t.Fatalf("acked %d unresolved %d err %v", len(st.Acked), len(st.Unresolved), err)
	}
}
