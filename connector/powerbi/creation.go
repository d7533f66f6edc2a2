package powerbi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
)

// PushCreationLastDay is the last day Power BI creates push datasets
// (docs/sources.md, "Power BI: creating a push dataset", and docs/limits.md,
// "The end of push-dataset creation"): Microsoft's retirement of real-time
// streaming in Power BI keeps creation enabled until October 31, 2027;
// existing push datasets keep working after it. This is the one place the
// engine knows the date.
const PushCreationLastDay = "2027-10-31"

// creationNoticeYears is how long before the last day a plan that creates a
// push dataset starts saying that creation ends.
const creationNoticeYears = 1

// Codes a refused creation of a push dataset may carry once creation has
// ended. Microsoft documents none (UNCONFIRMED, docs/sources.md): one mirrored
// report shows FeatureDeprecatedError, and the sandbox answers
// PushDatasetCreationNotSupported. After the last day any refusal of a
// creation is read as its end (CreationRefused).
var creationEndedCodes = []string{"PushDatasetCreationNotSupported", "FeatureDeprecatedError"}

// lastCreationDay is PushCreationLastDay as a date (midnight UTC).
var lastCreationDay = func() time.Time {
	d, err := time.Parse(time.DateOnly, PushCreationLastDay)
	if err != nil {
		panic(err)
	}
	return d
}()

// CreationEnded reports whether Power BI no longer creates push datasets on
// the calendar day of now (in UTC, the service's time zone): from the day
// after PushCreationLastDay on.
func CreationEnded(now time.Time) bool {
	return day(now).After(lastCreationDay)
}

// CreationNotice is what a plan that creates a push dataset says about the
// end of creation on the day of now: "" until a year before the last day;
// then that creation ends and the dataset will be irreplaceable; after the
// last day, that Power BI will probably refuse it. n names the dataset
// setting (nil is field.Plain).
func CreationNotice(now time.Time, n field.Namer) string {
	n = field.Or(n)
	today := day(now)
	if today.Before(lastCreationDay.AddDate(-creationNoticeYears, 0, 0)) {
		return ""
	}
	if CreationEnded(now) {
		return "Power BI stopped creating push datasets after " + PushCreationLastDay + ", so it will most likely refuse to create this one: " +
			"write into an existing push dataset instead (give its name as " + n.Name(field.Dataset) + "; `pbiwb datasets` lists them)"
	}
	left := CreationDaysLeft(now)
	return fmt.Sprintf("Power BI creates push datasets only until %s (%s left); after that this dataset cannot be created again "+
		"if it is deleted, so keep it: pbiwb's replace mode deletes rows, never the dataset", PushCreationLastDay, format.Count(left, "day"))
}

// CreationDaysLeft is how many days, today and the last day included, Power
// BI still creates push datasets on the day of now (UTC); 0 once it has
// stopped.
func CreationDaysLeft(now time.Time) int {
	if CreationEnded(now) {
		return 0
	}
	return int(lastCreationDay.Sub(day(now)).Hours()/24) + 1
}

// day is the calendar day of t in UTC, at midnight.
func day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// CreationEndedError is Power BI refusing to create a push dataset because
// creation has ended. It wraps the service's answer (its RequestId kept).
type CreationEndedError struct {
	Dataset string // the name that was to be created
	Err     error  // the *Error Power BI answered
}

func (e *CreationEndedError) Error() string {
	return fmt.Sprintf("Power BI refused to create push dataset %q: creating push datasets ended after %s: %v", e.Dataset, PushCreationLastDay, e.Err)
}

func (e *CreationEndedError) Unwrap() error { return e.Err }

// ExitCode: Power BI refuses (exit 5).
func (*CreationEndedError) ExitCode() exitcode.Code { return exitcode.Refused }

// CreationRefused classifies an error of CreateDataset on the day of now:
// a refusal that says creation ended (one of the known codes), or, after the
// last day, any refusal that is not about the token, the identity's access or
// throttling, becomes a *CreationEndedError; other errors are returned as
// they are.
func CreationRefused(err error, dataset string, now time.Time) error {
	var pe *Error
	if !errors.As(err, &pe) {
		return err
	}
	known := false
	for _, c := range creationEndedCodes {
		known = known || strings.EqualFold(pe.Code, c) || strings.EqualFold(pe.ErrorInfo, c)
	}
	switch {
	case known:
	case !CreationEnded(now):
		return err
	case pe.Status == http.StatusUnauthorized, pe.Status == http.StatusTooManyRequests, pe.Status >= 500,
		pe.Code == CodeNotAuthorized, pe.tokenExpired(), pe.Code == CodeInvalidToken:
		return err // about the caller or the moment, not about creation
	}
	return &CreationEndedError{Dataset: dataset, Err: err}
}

// advice explains the end of creation and the ways on.
func (e *CreationEndedError) advice(n field.Namer) string {
	return "Power BI no longer creates push datasets: creation ended after " + PushCreationLastDay + " (Microsoft retired real-time " +
		"streaming in Power BI), so nothing was created or written. Existing push datasets keep accepting rows: write into one by " +
		"giving " + n.Name(field.Dataset) + " the name of a push dataset that exists (`pbiwb datasets` lists them, with their tables). " +
		"For new real-time data, Microsoft's path is Real-Time Intelligence in Microsoft Fabric."
}
