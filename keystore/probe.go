package keystore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// ProbeTimeout bounds Probe when its context has no earlier deadline: doctor
// and the wizard ask before prompting for secrets, and must not hang.
const ProbeTimeout = 3 * time.Second

// probeService holds Probe's short-lived test item.
const probeService = "pbiwb-probe"

// Probe tells whether b works, by saving, reading back and deleting a test
// item. A keyring that is unreachable, locked or silent yields an error
// matching ErrNoKeyring whose message names the fix.
func Probe(ctx context.Context, b Backend) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, ProbeTimeout)
		defer cancel()
	}
	var r [8]byte
	_, _ = rand.Read(r[:])
	key, want := "probe-"+hex.EncodeToString(r[:]), "pbiwb keyring probe"
	if err := b.Set(ctx, probeService, key, want); err != nil {
		return err
	}
	got, err := b.Get(ctx, probeService, key)
	if delErr := b.Delete(ctx, probeService, key); err == nil && delErr != nil && !errors.Is(delErr, ErrNotFound) {
		err = delErr
	}
	switch {
	case err != nil:
		return err
	case got != want:
		return &KeyringError{Op: "checking", Cause: fmt.Errorf("the keyring returned something other than what was saved")}
	}
	return nil
}
