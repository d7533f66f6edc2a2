package cli

// Errors as the wizard shows them, with their exit codes. Each one's text is
// masked (redact.String): the wizard shows what Error and Advice return.

import (
	"context"
	"errors"
	"strings"

	"github.com/pbiwb/pbiwb/connector/domo"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/redact"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/ui"
)

// wizardFieldError is a failure the wizard shows beside one credential
// field (ui.FieldError), with the exit code it stands for.
type wizardFieldError struct {
	field, msg, advice string
	code               exitcode.Code
	err                error
	refused            bool // the tenant refused the sign-in method itself (ui.MethodRefusal)
}

func (e *wizardFieldError) Error() string           { return redact.String(e.msg) }
func (e *wizardFieldError) Field() string           { return e.field }
func (e *wizardFieldError) Advice() string          { return redact.String(e.advice) }
func (e *wizardFieldError) ExitCode() exitcode.Code { return e.code }
func (e *wizardFieldError) Unwrap() error           { return e.err }
func (e *wizardFieldError) MethodRefused() bool     { return e.refused }

// codedError is a message for people with the exit code of docs/cli.md it
// stands for (ui reads ExitCode).
type codedError struct {
	code exitcode.Code
	err  error
}

func (e *codedError) Error() string           { return redactedText(e.err) }
func (e *codedError) Unwrap() error           { return e.err }
func (e *codedError) ExitCode() exitcode.Code { return e.code }

// wizardError maps what the engine returns to what the wizard shows: a
// sign-in failure beside the credential at fault (entra's Field as is, its
// Fix as the advice), everything else as commandError words it, with its
// exit code.
func wizardError(err error) error {
	if err == nil {
		return nil
	}
	var (
		ae  *entra.Error
		fes entra.FieldErrors
		de  *domo.Error
	)
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &ae):
		// Error() keeps entra's wording (what failed, the AADSTS code, the
		// correlation ID); the wizard leaves the Fix out of it and shows it as
		// the advice.
		fix := ae.FixIn(wizardFace{})
		return &wizardFieldError{field: uiField(ae.Field), msg: strings.Replace(ae.Error(), ae.Fix, fix, 1), advice: fix, code: exitcode.Of(err), err: err,
			refused: ae.MethodRefused()}
	case errors.As(err, &fes) && len(fes) > 0:
		// One field at a time: the wizard's own checks catch most of these
		// before any call, so a second one is rare.
		return &wizardFieldError{field: uiField(fes[0].Field), msg: fes[0].Error(), code: exitcode.Of(err), err: err}
	case isFieldError(err):
		// The engine's word on a field: named as the wizard shows it.
		return &codedError{code: exitcode.Of(err), err: errors.New(field.Phrased(err, wizardName))}
	case errors.As(err, &de) && errors.Is(err, domo.ErrSignIn):
		f := ui.FieldDomoClientSecret // Domo refused the pair: the secret is the likelier culprit
		if de.Field != "" {
			f = uiField(de.Field) // missing, or the ID looks like the secret (swapped)
		}
		return &wizardFieldError{field: f, msg: de.Error(), advice: de.Advice, code: exitcode.Of(err), err: err}
	}
	var ee *exitError
	if errors.As(commandError(err), &ee) {
		return &codedError{code: ee.code, err: ee.err}
	}
	return &redactedError{err}
}

// uiFields are the wizard's names (ui.Field*) of the credential fields.
var uiFields = map[field.ID]string{
	field.AuthMethod:       ui.FieldMethod,
	field.Cloud:            ui.FieldCloud,
	field.TenantID:         ui.FieldTenantID,
	field.ClientID:         ui.FieldClientID,
	field.ClientSecret:     ui.FieldClientSecret,
	field.Username:         ui.FieldUsername,
	field.Password:         ui.FieldPassword,
	field.DomoClientID:     ui.FieldDomoClientID,
	field.DomoClientSecret: ui.FieldDomoClientSecret,
	field.AppRegistration:  ui.FieldAppRegistration,
}

// uiField is the wizard's field for f, or "" (no single field) when the
// wizard has none of that name.
func uiField(f field.ID) string { return uiFields[f] }

// redactedError shows err masked; errors.Is and errors.As reach err.
type redactedError struct{ err error }

func (e *redactedError) Error() string { return redactedText(e.err) }
func (e *redactedError) Unwrap() error { return e.err }

// redactedText is err's text as pbiwb shows it: masked and bounded.
func redactedText(err error) string {
	return redact.Cut(redact.String(err.Error()), maxErrorText)
}

// unwrapExit is an exitError's message without the code.
func unwrapExit(err error) string {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.err.Error()
	}
	return err.Error()
}
