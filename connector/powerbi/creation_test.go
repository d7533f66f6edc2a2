package powerbi

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/exitcode"
)

func utcDay(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateTime, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// The last day is 2027-10-31 in UTC; the notice starts a year before.
func TestCreationNotice(t *testing.T) {
	for _, tt := range []struct {
		now   string
		ended bool
		want  string
	}{
		{"2026-10-30 23:59:59", false, ""},
		{"2026-10-31 00:00:00", false, "(366 days left)"},
		{"2027-10-31 23:59:59", false, "Power BI creates push datasets only until 2027-10-31 (1 day left); after that this dataset cannot be created again if it is deleted, so keep it: pbiwb's replace mode deletes rows, never the dataset"},
		{"2027-11-01 00:00:00", true, "Power BI stopped creating push datasets after 2027-10-31, so it will most likely refuse to create this one: write into an existing push dataset instead (give its name as the DATASET field; `pbiwb datasets` lists them)"},
	} {
		now := utcDay(t, tt.now)
		if got := CreationEnded(now); got != tt.ended {
			t.Errorf("CreationEnded(%s) = %v", tt.now, got)
		}
		got := CreationNotice(now, labels{})
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) {
			t.Errorf("CreationNotice(%s) = %q, want %q", tt.now, got, tt.want)
		}
	}
	// The day is UTC's: 23:00 on the 31st in UTC-5 is the 1st in UTC.
	if !CreationEnded(time.Date(2027, 10, 31, 23, 0, 0, 0, time.FixedZone("EST", -5*3600))) {
		t.Error("the day is not taken in UTC")
	}
}

// A refusal of a creation is its end when its code says so, or, after the
// last day, when it is not about the caller or the moment.
func TestCreationRefused(t *testing.T) {
	before, after := utcDay(t, "2027-06-01 12:00:00"), utcDay(t, "2027-11-02 12:00:00")
	known := &Error{Status: 400, Code: "PushDatasetCreationNotSupported", RequestID: "r1", Method: "POST", Path: "/v1.0/myorg/groups/g/datasets"}
	for _, tt := range []struct {
		name  string
		err   error
		now   time.Time
		ended bool
	}{
		{"sandbox code before", known, before, true},
		{"deprecated code before", &Error{Status: 400, Code: "FeatureDeprecatedError"}, before, true},
		{"bad request before", &Error{Status: 400, Code: "BadRequest"}, before, false},
		{"bad request after", &Error{Status: 400, Code: "BadRequest"}, after, true},
		{"forbidden after", &Error{Status: 403, Code: "Forbidden"}, after, true},
		{"unauthorized after", &Error{Status: 401, Code: CodeNotAuthorized}, after, false},
		{"throttled after", &Error{Status: 429}, after, false},
		{"server error after", &Error{Status: 503}, after, false},
		{"transport after", &TransportError{Host: "h", Err: errors.New("reset")}, after, false},
	} {
		err := CreationRefused(tt.err, "D", tt.now)
		var ce *CreationEndedError
		if errors.As(err, &ce) != tt.ended {
			t.Errorf("%s: %v, ended = %v", tt.name, err, !tt.ended)
		}
	}

	err := fmt.Errorf("create push dataset %q: %w", "D", CreationRefused(known, "D", before))
	if exitcode.Of(err) != exitcode.Refused {
		t.Errorf("exit %d, want 5", exitcode.Of(err))
	}
	const want = "Power BI no longer creates push datasets: creation ended after 2027-10-31 (Microsoft retired real-time streaming in Power BI), " +
		"so nothing was created or written. Existing push datasets keep accepting rows: write into one by giving the DATASET field the name of a " +
		"push dataset that exists (`pbiwb datasets` lists them, with their tables). For new real-time data, Microsoft's path is Real-Time " +
		"Intelligence in Microsoft Fabric.\nRequestId r1 — quote it to Microsoft support if you open a case."
	if got := Advice(err, labels{}); got != want {
		t.Errorf("Advice:\n got %q\nwant %q", got, want)
	}
	// The code alone is enough, unwrapped.
	if got := Advice(known, labels{}); got != want {
		t.Errorf("Advice of the bare answer:\n got %q\nwant %q", got, want)
	}
}
