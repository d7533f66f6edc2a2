package token

import (
	"errors"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	now := time.Unix(1_800_000_000, 0)
	c := Claims{TenantID: "t", ObjectID: "o", Scope: "Dataset.ReadWrite.All Workspace.Read.All", IDType: "user", Expires: now.Add(time.Hour).Unix()}
	tok := s.Sign(c)

	got, err := s.Verify(tok, now)
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	if got.TenantID != "t" || !got.HasScope("dataset.readwrite.all") || got.HasScope("Report.Read.All") {
		t.Fatalf("claims = %+v", got)
	}
	if _, err := s.Verify(tok, now.Add(time.Hour)); !errors.Is(err, ErrExpired) {
		t.Fatalf("expired token: err = %v", err)
	}
	if _, err := NewSigner([]byte("another key")).Verify(tok, now); !errors.Is(err, ErrSignature) {
		t.Fatalf("foreign token: err = %v", err)
	}
	for _, bad := range []string{"", "a.b", "a.b.c", tok + "x"} {
		if _, err := s.Verify(bad, now); err == nil {
			t.Errorf("Verify(%q) accepted", bad)
		}
	}
}
