// Package field names what a person gives pbiwb — the credentials and the
// settings of a push — so that the engine's errors can say which one is at
// fault, and which rule its value breaks, without knowing how it was given.
// Each face names a field its own way: cli by its flag or environment
// variable (--tenant, PBIWB_PASSWORD), the wizard by its field's label.
//
// The IDs read as plain words ("tenant ID"), so an error that reaches a
// person unphrased still makes sense; faces must not rely on the wording.
package field

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pbiwb/pbiwb/exitcode"
)

// ID is one field.
type ID string

// The credential fields: an account's identifiers and secrets.
const (
	AuthMethod       ID = "auth method"
	Cloud            ID = "cloud"
	TenantID         ID = "tenant ID"
	ClientID         ID = "client ID"
	ClientSecret     ID = "client secret"
	Username         ID = "username"
	Password         ID = "password"
	DomoClientID     ID = "Domo client ID"
	DomoClientSecret ID = "Domo client secret"
	// Certificate is a service principal's certificate and private key (a
	// PEM or PFX file); CertificatePassword is the PFX's password.
	Certificate         ID = "certificate"
	CertificatePassword ID = "certificate password"
	// AppRegistration is not typed: it is the app's settings in Entra ID
	// (public client flows, consent), which a sign-in error may blame.
	AppRegistration ID = "app registration"
)

// The push's fields, and the few global settings the engine checks.
const (
	Input           ID = "input"
	Format          ID = "input format"    // how a file is read: csv, tsv, xlsx, parquet, jsonl
	Sheet           ID = "sheet"           // a workbook's sheet
	DataSetID       ID = "Domo DataSet id" // the GUID of a domo: input
	Group           ID = "workspace"
	Dataset         ID = "dataset"
	Table           ID = "table"
	Mode            ID = "mode"
	Retention       ID = "retention"
	Column          ID = "column type"
	MaxThrottleWait ID = "throttling budget"
	Resume          ID = "resume"
	Restart         ID = "restart"
	// AssumeSent and AssumeLost say, on a resume, what became of the
	// batches whose answer was lost when the table's rows cannot be counted.
	AssumeSent ID = "assume sent"
	AssumeLost ID = "assume lost"
	Sandbox    ID = "sandbox URL"
	Home       ID = "home"
	DryRun     ID = "dry run" // not a value: the check of every value that writes nothing
	// RequestTimeout is how long a request may go without progress.
	RequestTimeout ID = "request timeout"
	// Troubleshoot is not a value either: the checks of an identity and a
	// target that advice may suggest running (pbiwb doctor, the wizard's
	// Troubleshoot screen).
	Troubleshoot ID = "troubleshooting checks"
)

// Secret reports whether f holds a secret, whose value is never repeated.
func (f ID) Secret() bool {
	return f == ClientSecret || f == Password || f == DomoClientSecret || f == CertificatePassword
}

// Rule is what is wrong with a field's value.
type Rule string

// The rules an Error names.
const (
	Missing   Rule = "missing"   // no value, and one is needed
	Invalid   Rule = "invalid"   // not a value the field takes
	Duplicate Rule = "duplicate" // given twice (a column type)
	Conflict  Rule = "conflict"  // contradicts the field With
)

// Error is a value the engine cannot use: which field, its value, the rule it
// breaks and what to do, in words that name no flag or screen.
type Error struct {
	Field ID
	Rule  Rule
	// Value is the value as given; "" when Missing, and never a secret's.
	Value string
	// With is the other field of a Conflict, whose Msg continues "A and B"
	// (e.g. "contradict each other: give one"), or of a Missing where
	// either field will do.
	With ID
	// Msg says what is wrong and what to give instead, e.g. "use replace or
	// append"; the face puts the field's own name before it.
	Msg string
	// Err is the underlying error, if any.
	Err error
}

// Error phrases e with the field IDs, for callers that have no face.
func (e *Error) Error() string { return e.Phrase(func(f ID) string { return string(f) }) }

func (e *Error) Unwrap() error { return e.Err }

// ExitCode: a value that cannot be used is a usage error (exit 2), refused
// before anything was written.
func (e *Error) ExitCode() exitcode.Code { return exitcode.Usage }

// Phrase words e with name giving each field's name in the face's terms
// (a flag, a variable, a label).
func (e *Error) Phrase(name func(ID) string) string {
	var b strings.Builder
	switch e.Rule {
	case Missing:
		b.WriteString("missing " + name(e.Field))
		if e.With != "" {
			b.WriteString(" or " + name(e.With)) // either will do
		}
	case Conflict:
		b.WriteString(name(e.Field) + " and " + name(e.With))
	default:
		b.WriteString(name(e.Field))
		if e.Value != "" && !e.Field.Secret() {
			fmt.Fprintf(&b, " %q", e.Value)
		}
	}
	switch {
	case e.Msg == "":
	case e.Rule == Conflict:
		b.WriteString(" " + e.Msg) // "A and B contradict each other"
	default:
		b.WriteString(": " + e.Msg)
	}
	return b.String()
}

// Errors are several fields at fault at once (e.g. every missing one).
type Errors []*Error

// ExitCode is exit 2, as for one Error.
func (es Errors) ExitCode() exitcode.Code { return exitcode.Usage }

func (es Errors) Error() string { return es.Phrase(func(f ID) string { return string(f) }) }

// Phrase words es as Error.Phrase does; missing fields are listed together.
func (es Errors) Phrase(name func(ID) string) string {
	var missing, other []string
	for _, e := range es {
		if e.Rule == Missing && e.Msg == "" {
			missing = append(missing, name(e.Field))
		} else {
			other = append(other, e.Phrase(name))
		}
	}
	if len(missing) > 0 {
		other = append([]string{"missing " + strings.Join(missing, ", ")}, other...)
	}
	return strings.Join(other, "; ")
}

// Phrased is err's text with the first error in its chain that names fields
// (an *Error, Errors, or any Phraser) worded by name; the layers' context
// around it is kept.
func Phrased(err error, name func(ID) string) string {
	text := err.Error()
	var p Phraser
	if errors.As(err, &p) {
		return strings.Replace(text, p.Error(), p.Phrase(name), 1)
	}
	return text
}

// Phraser is an error whose text names fields (a setting it blames or
// advises): Error names them by their IDs, Phrase as name gives them.
type Phraser interface {
	error
	Phrase(name func(ID) string) string
}

// Namer is a face's way of naming fields, for engine messages that advise
// giving a field (or a value of it) rather than failing on one.
type Namer interface {
	// Name is f as the user gives it: "--table" or "PBIWB_PASSWORD" on the
	// command line, "the Table Name (Details)" in the wizard.
	Name(f ID) string
	// Setting is f given the value v: "--mode replace", "the Mode (Details)
	// set to replace".
	Setting(f ID, v string) string
}

// Plain names fields by their IDs; it is the Namer of callers with no face.
type Plain struct{}

func (Plain) Name(f ID) string              { return string(f) }
func (Plain) Setting(f ID, v string) string { return string(f) + " " + v }

// Nouner is a Namer whose Name is a phrase with an article or a place ("the
// Dataset Name (Details)") and which also has a bare noun for f, for phrases
// such as "choose another dataset name" or "choose another workspace".
type Nouner interface {
	Noun(f ID) string
}

// Noun is f as a bare noun in n's terms: n's Noun when it has one, else its
// Name (a flag reads well bare: "choose another --dataset name").
func Noun(n Namer, f ID) string {
	if nn, ok := n.(Nouner); ok {
		return nn.Noun(f)
	}
	return n.Name(f)
}

// Or is n, or Plain when n is nil.
func Or(n Namer) Namer {
	if n == nil {
		return Plain{}
	}
	return n
}
