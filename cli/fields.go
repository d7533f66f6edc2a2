package cli

// The engine names the field at fault in its errors (connector/field); the
// command line names it by its flag or environment variable, the wizard by
// its screen and label. These two tables are the only places that spelling
// lives.

import (
	"errors"
	"strings"

	"github.com/pbiwb/pbiwb/connector/field"
)

// fieldFlags is how the command line takes each field.
var fieldFlags = map[field.ID]string{
	field.AuthMethod:       "--auth",
	field.Cloud:            "--cloud",
	field.TenantID:         "--tenant",
	field.ClientID:         "--client-id",
	field.ClientSecret:     EnvClientSecret,
	field.Username:         "--username",
	field.Password:         EnvPassword,
	field.DomoClientID:     "--domo-client-id",
	field.DomoClientSecret: EnvDomoClientSecret,
	field.Input:            "--input",
	field.DataSetID:        "--input domo:",
	field.Group:            "--group",
	field.Dataset:          "--dataset",
	field.Table:            "--table",
	field.Mode:             "--mode",
	field.Retention:        "--retention",
	field.Column:           "--column",
	field.MaxThrottleWait:  "--max-throttle-wait",
	field.Resume:           "--resume",
	field.Restart:          "--restart",
	field.Sandbox:          "--sandbox",
	field.Home:             "--home",
}

// flagName is f as the command line takes it.
func flagName(f field.ID) string {
	if fl, ok := fieldFlags[f]; ok {
		return fl
	}
	return string(f)
}

// wizardFields is how the wizard shows each field: its screen and label.
var wizardFields = map[field.ID]string{
	field.Input:            "the Input",
	field.DataSetID:        "the Input's DataSet id",
	field.Group:            "the Workspace (Details)",
	field.Dataset:          "the Dataset Name (Details)",
	field.Table:            "the Table Name (Details)",
	field.Mode:             "the Mode (Details)",
	field.Retention:        "the Retention (Details)",
	field.Column:           "the column type (Input)",
	field.MaxThrottleWait:  "the throttling budget",
	field.Resume:           "Resume",
	field.Restart:          "Start over",
	field.Sandbox:          "the sandbox URL",
	field.DomoClientID:     "the Domo Client ID (Credentials)",
	field.DomoClientSecret: "the Domo Client Secret (Credentials)",
}

// wizardName is f as the wizard shows it.
func wizardName(f field.ID) string {
	if n, ok := wizardFields[f]; ok {
		return n
	}
	return string(f)
}

// phrased is err's text with the engine's field error in it (if any) worded
// by name: the layers' context around it is kept.
func phrased(err error, name func(field.ID) string) string {
	text := err.Error()
	var (
		fes field.Errors
		fe  *field.Error
	)
	switch {
	case errors.As(err, &fes):
		return strings.Replace(text, fes.Error(), fes.Phrase(name), 1)
	case errors.As(err, &fe):
		return strings.Replace(text, fe.Error(), fe.Phrase(name), 1)
	}
	return text
}

// isFieldError reports whether err is the engine's word on a field's value.
func isFieldError(err error) bool {
	var (
		fes field.Errors
		fe  *field.Error
	)
	return errors.As(err, &fes) || errors.As(err, &fe)
}
