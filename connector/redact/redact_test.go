package redact

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pbiwb/pbiwb/connector/field"
)

func TestStringMasksHeldSecretsInEveryForm(t *testing.T) {
	t.Cleanup(Reset)
	const secret = `p@ss w"rd&more`
	Secret(secret, "short") // "short" is under MinSecretLen: ignored
	for _, in := range []string{
		"the password is " + secret + ".",
		"grant_type=password&pw=p%40ss+w%22rd%26more",
		`{"pw":"p@ss w\"rd&more"}`,
	} {
		if got := String(in); strings.Contains(got, "p@ss") || strings.Contains(got, "p%40ss") || !strings.Contains(got, Mask) {
			t.Errorf("String(%q) = %q: the secret is not masked", in, got)
		}
	}
	if got := String("a short word"); got != "a short word" {
		t.Errorf("a value under MinSecretLen was registered: %q", got)
	}
}

func TestStringMasksEchoedCredentials(t *testing.T) {
	const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhYmMxMjMifQ.c2lnbmF0dXJlLXZhbHVl"
	for _, tc := range []struct{ in, keep, gone string }{
		{"Authorization: Bearer abcdefghijklmnop0123456789", "Bearer ***", "abcdefghijklmnop"},
		{"token " + jwt + " refused", "token *** refused", "eyJhbGci"},
		{"Authorization: Basic dXNlcjpzM2NyZXQtdmFsdWU=", "Basic ***", "dXNlcjpz"},
		{"grant_type=password&username=a&password=hunter2hunter2&client_secret=abc~def", "password=***", "hunter2"},
		{"grant_type=password&client_secret=abc~def123", "client_secret=***", "abc~def"},
		{`{"client_secret": "xyz\"123", "password":"pw-value"}`, `"client_secret": "***"`, "xyz"},
		{`{"password":"pw-value-long"}`, `"password":"***"`, "pw-value"},
		{"authorization: SharedKey acct:sig", "authorization: ***", "SharedKey"},
		// Prose stays.
		{"Authorization has been denied for this request; use basic auth or the Bearer token.", "Authorization has been denied for this request; use basic auth or the Bearer token.", "***"},
	} {
		got := String(tc.in)
		if !strings.Contains(got, tc.keep) || strings.Contains(got, tc.gone) {
			t.Errorf("String(%q) = %q; want it to contain %q and not %q", tc.in, got, tc.keep, tc.gone)
		}
	}
}

func TestCutOnACharacterBoundaryWithAMarker(t *testing.T) {
	s := strings.Repeat("é", 2000) // 4000 bytes
	got := Cut(s, 2049)
	head, _, ok := strings.Cut(got, "…")
	if !ok || !utf8.ValidString(got) || len(head) != 2048 || !strings.HasSuffix(got, "[cut: 1,952 more bytes]") {
		t.Errorf("Cut = …%q (head %d bytes)", got[len(got)-40:], len(head))
	}
	if Cut("short", 10) != "short" {
		t.Error("a short text was cut")
	}
	if got := CutPart("abc", 10, 5); got != "abc… [cut: 5 more bytes]" {
		t.Errorf("CutPart = %q", got)
	}
	if got := CutPart("abcdef", 3, -1); got != "abc… [cut: more than 3 bytes]" {
		t.Errorf("CutPart = %q", got)
	}
}

func TestLooksLikeSecret(t *testing.T) {
	t.Cleanup(Reset)
	Secret("a-held-secret-value")
	for _, tc := range []struct {
		f    field.ID
		v    string
		want bool
	}{
		{field.TenantID, "72f988bf-86f1-41af-91ab-2d7cd011db47", false},
		{field.TenantID, "contoso.onmicrosoft.com", false},
		{field.TenantID, "72f988bf-86f1-41af-91ab-2d7cd011db4", false}, // a mistyped GUID is shown
		{field.TenantID, "abc8Q~Zr4xVq1.tYpQnK3mWv_o9sLf2eHd7uJbCa", true},
		{field.ClientID, "00000000-0000-4000-8000-0000000a99e1", false},
		{field.ClientID, "sandbox-secret-value", true}, // the sandbox's demo secret
		{field.ClientID, "not a guid", true},
		{field.Username, "admin@contoso.example", false},
		{field.Username, "Summer2026!", true},
		{field.DomoClientID, "441e307a-b2a1-4a99-8561-174e5b153fsa", false},
		{field.DomoClientID, "sandbox-domo-client", false},
		{field.DomoClientID, "sandbox-domo-secret", true}, // the sandbox's demo secret
		{field.DomoClientID, strings.Repeat("f1", 32), true},
		{field.DomoClientID, "a-held-secret-value", true},
		{field.DataSetID, "845305d8-da3d-4107-a9d6-13ef3f86d4a4", false},
		{field.DataSetID, strings.Repeat("f1", 32), true},
	} {
		if got := LooksLikeSecret(tc.f, tc.v); got != tc.want {
			t.Errorf("LooksLikeSecret(%s, %q) = %v, want %v", tc.f, tc.v, got, tc.want)
		}
	}
	if ID(field.DomoClientID, "sandbox-domo-secret") != Mask || Quoted(field.ClientID, "00000000-0000-4000-8000-0000000a99e1") != `"00000000-0000-4000-8000-0000000a99e1"` {
		t.Error("ID or Quoted shows the wrong thing")
	}
}

func TestMessageOfAHugeTextIsMaskedAndCut(t *testing.T) {
	t.Cleanup(Reset)
	Secret("held-secret-value")
	huge := "held-secret-value " + strings.Repeat("x", 20<<20)
	got := Message(huge)
	if strings.Contains(got, "held") || !strings.HasPrefix(got, "*** xxx") || !strings.HasSuffix(got, "[cut: 20,969,476 more bytes]") {
		t.Errorf("Message = %.40q … %q", got, got[len(got)-40:])
	}
	// A text of mostly secrets is masked whole before it is cut.
	many := strings.Repeat("held-secret-value ", 5000)
	if got := Message(many); strings.Contains(got, "held") {
		t.Errorf("a secret shows: %.80q", got)
	}
}
