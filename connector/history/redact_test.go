package history

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/redact"
	"github.com/pbiwb/pbiwb/outcome"
)

// What a run stores of an error is bounded and masked, whatever the error
// says: a 20 MB server message, a token it echoed, a secret of the process.
func TestRecordTextIsBoundedAndMasked(t *testing.T) {
	t.Cleanup(redact.Reset)
	const secret = "held-client-secret-value"
	redact.Secret(secret)
	s, _ := newStore(t)
	run, err := s.Start(Record{Input: "domo:" + strings.Repeat("ab", 32), Mode: "replace"})
	if err != nil {
		t.Fatal(err)
	}
	huge := strings.Repeat("x", 20<<20)
	err = run.Finish(outcome.Failed, 5, func(r *Record) {
		r.Errors = append(r.Errors,
			Error{Message: "Power BI answered 400: " + huge, Status: 400},
			Error{Message: "echoed: Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123 and " + secret})
		r.ResumeHint = "pbiwb push --client-id " + secret
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(s.Dir, run.ID()+".json"))
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	if len(b) > 8<<10 {
		t.Errorf("the record is %d bytes", len(b))
	}
	for _, leak := range []string{secret, "abcdefghijklmnop", "abababab"} {
		if strings.Contains(text, leak) {
			t.Errorf("%q is in the record:\n%.2000s", leak, text)
		}
	}
	for _, want := range []string{"[cut: 20,969,", "Bearer ***", `"input": "domo:***"`} {
		if !strings.Contains(text, want) {
			t.Errorf("the record lacks %q:\n%.2000s", want, text)
		}
	}
	if got := run.Record(); len(got.Errors[0].Message) < 20<<20 {
		t.Error("the running record was changed: only what is stored is redacted")
	}
}

// A record written before records were bounded reads back bounded.
func TestOldUnboundedRecordReadsBounded(t *testing.T) {
	s, _ := newStore(t)
	if err := os.MkdirAll(s.Dir, 0o700); err != nil {
		t.Fatal(err)
	}
	raw := `{"id":"20261127-093000.000-abcdef","outcome":"failed","exitCode":5,"errors":[{"message":"` +
		strings.Repeat("y", 1<<20) + ` Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123"}]}`
	if err := os.WriteFile(filepath.Join(s.Dir, "20261127-093000.000-abcdef.json"), []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := s.Get("20261127-093000.000-abcdef")
	if err != nil {
		t.Fatal(err)
	}
	if m := r.Errors[0].Message; len(m) > redact.MaxMessage+100 || !strings.Contains(m, "[cut: ") {
		t.Errorf("message of %d bytes: %.100s", len(m), m)
	}
}
