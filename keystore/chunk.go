package keystore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ChunkSize is the most one keyring item holds; longer values are chunked.
// Windows refuses more than 2,560 bytes; macOS refuses a security(1) command
// line over 4,096 bytes, which with base64 (4/3), go-keyring's prefix and the
// longest service ("pbiwb:home-" + 12 hex digits + ":" + 64) and key names
// leaves about 2,930 bytes.
const ChunkSize = 2400

// maxChunks caps a value at about 240 KB, far above an MSAL cache with
// several users, and bounds the probing for leftover chunks.
const maxChunks = 100

// manifestPrefix starts the item that stands for a chunked value. A secret
// that itself begins with it is stored chunked, so it is never misread.
const manifestPrefix = "pbiwb-chunked:v1:"

// ErrCorrupt: a chunked value whose parts do not add up (a torn write).
var ErrCorrupt = errors.New("stored value is incomplete")

// knownValue is a value a caller read before, with its checksum.
type knownValue struct{ sum, value string }

func chunkKey(key string, i int) string { return key + "#" + strconv.Itoa(i) }

// setValue stores value under key, chunked when needed: chunks first, the
// manifest last, then the previous value's surplus chunks from the top down
// (so whatever a failure leaves behind stays contiguous and Remove finds it).
func setValue(ctx context.Context, b Backend, service, key, value string) error {
	oldN, err := chunkCount(ctx, b, service, key)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	n := 0
	if len(value) <= ChunkSize && !strings.HasPrefix(value, manifestPrefix) {
		if err := b.Set(ctx, service, key, value); err != nil {
			return err
		}
	} else {
		parts := split(value, ChunkSize)
		if len(parts) > maxChunks {
			return &TooBigError{Size: len(value), Max: maxChunks * ChunkSize}
		}
		for i, p := range parts {
			if err := b.Set(ctx, service, chunkKey(key, i), p); err != nil {
				return err
			}
		}
		n = len(parts)
		if err := b.Set(ctx, service, key, manifest(n, value)); err != nil {
			return err
		}
	}
	for i := oldN - 1; i >= n; i-- {
		// The new value is saved; a chunk left here is unreachable and is
		// swept by deleteValue, so a failure is not the caller's problem.
		if err := b.Delete(ctx, service, chunkKey(key, i)); err != nil && !errors.Is(err, ErrNotFound) {
			break
		}
	}
	return nil
}

// getValue reads what setValue stored: ErrNotFound, ErrCorrupt, or the value.
// A caller that already holds a chunked value (known, with its checksum)
// gets it back after one keyring call when the manifest still names it.
func getValue(ctx context.Context, b Backend, service, key string, known *knownValue) (string, error) {
	v, err := b.Get(ctx, service, key)
	if err != nil || !strings.HasPrefix(v, manifestPrefix) {
		return v, err
	}
	n, sum, ok := parseManifest(v)
	if !ok {
		return "", ErrCorrupt
	}
	if known != nil && known.sum == sum {
		return known.value, nil
	}
	var sb strings.Builder
	for i := range n {
		p, err := b.Get(ctx, service, chunkKey(key, i))
		if errors.Is(err, ErrNotFound) {
			return "", ErrCorrupt
		}
		if err != nil {
			return "", err
		}
		sb.WriteString(p)
	}
	out := sb.String()
	if checksum(out) != sum {
		return "", ErrCorrupt
	}
	return out, nil
}

// deleteValue removes key and every chunk of it, including chunks left over
// by an interrupted write. It returns the items it could not delete and
// whether anything existed. Chunks go from the top down and the manifest
// last, so after a failure what remains is contiguous from #0 and a second
// call finishes the job.
func deleteValue(ctx context.Context, b Backend, service, key string) (failed []string, existed bool, err error) {
	n, err := chunkCount(ctx, b, service, key)
	switch {
	case errors.Is(err, ErrNotFound):
		n = 0
	case err != nil:
		return []string{key}, false, err
	default:
		existed = true
	}
	top := n // one past the highest chunk present
	for top < maxChunks {
		_, err := b.Get(ctx, service, chunkKey(key, top))
		if errors.Is(err, ErrNotFound) {
			break
		}
		if err != nil {
			return []string{key}, existed, err
		}
		top++
	}
	for i := top - 1; i >= 0; i-- {
		err := b.Delete(ctx, service, chunkKey(key, i))
		if err == nil {
			existed = true
			continue
		}
		if !errors.Is(err, ErrNotFound) {
			for j := i; j >= 0; j-- {
				failed = append(failed, chunkKey(key, j))
			}
			return append(failed, key), existed, err
		}
	}
	if err := b.Delete(ctx, service, key); err != nil && !errors.Is(err, ErrNotFound) {
		return []string{key}, existed, err
	}
	return nil, existed, nil
}

// chunkCount is the number of chunks key's manifest names: 0 for a plain
// value, ErrNotFound when key is absent. A damaged manifest counts as 0.
func chunkCount(ctx context.Context, b Backend, service, key string) (int, error) {
	v, err := b.Get(ctx, service, key)
	if err != nil {
		return 0, err
	}
	n, _, _ := parseManifest(v)
	return n, nil
}

func manifest(n int, value string) string {
	return manifestPrefix + strconv.Itoa(n) + ":" + checksum(value)
}

func parseManifest(v string) (n int, sum string, ok bool) {
	rest, found := strings.CutPrefix(v, manifestPrefix)
	if !found {
		return 0, "", false
	}
	count, sum, found := strings.Cut(rest, ":")
	n, err := strconv.Atoi(count)
	if !found || err != nil || n < 1 || n > maxChunks || len(sum) != 64 {
		return 0, "", false
	}
	return n, sum, true
}

func checksum(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// split cuts s into parts of at most size bytes, on UTF-8 character
// boundaries where it can, so each part is valid text if s was (some
// keyrings store text, not bytes).
func split(s string, size int) []string {
	var parts []string
	for len(s) > size {
		cut := size
		for c := cut; c > size-utf8.UTFMax && c > 0; c-- {
			if utf8.RuneStart(s[c]) {
				cut = c
				break
			}
		}
		parts = append(parts, s[:cut])
		s = s[cut:]
	}
	return append(parts, s)
}
