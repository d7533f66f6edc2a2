package cli

// The engine names the field at fault in its errors (connector/field); the
// command line names it by its flag or environment variable, the wizard by
// its screen and label. These two tables are the only places that spelling
// lives.

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pbiwb/pbiwb/cmdline"
	"github.com/pbiwb/pbiwb/connector/domo"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
)

// fieldFlags is how the command line takes each field (push's flags by
// cmdline's names).
var fieldFlags = map[field.ID]string{
	field.AuthMethod:          "--auth",
	field.Cloud:               "--cloud",
	field.TenantID:            "--tenant",
	field.ClientID:            "--client-id",
	field.ClientSecret:        EnvClientSecret,
	field.Username:            "--username",
	field.Password:            EnvPassword,
	field.DomoClientID:        "--domo-client-id",
	field.DomoClientSecret:    EnvDomoClientSecret,
	field.Certificate:         "--certificate",
	field.CertificatePassword: EnvCertificatePassword,
	field.Input:               "--" + cmdline.Input,
	field.Format:              "--" + cmdline.Format,
	field.Sheet:               "--" + cmdline.Sheet,
	field.DataSetID:           "--" + cmdline.Input + " domo:",
	field.Group:               "--" + cmdline.Group,
	field.Dataset:             "--" + cmdline.Dataset,
	field.Table:               "--" + cmdline.Table,
	field.Mode:                "--" + cmdline.Mode,
	field.Retention:           "--" + cmdline.Retention,
	field.Column:              "--" + cmdline.Column,
	field.MaxThrottleWait:     "--" + cmdline.MaxThrottleWait,
	field.Resume:              "--" + cmdline.Resume,
	field.Restart:             "--" + cmdline.Restart,
	field.AssumeSent:          "--" + cmdline.AssumeSent,
	field.AssumeLost:          "--" + cmdline.AssumeLost,
	field.Sandbox:             "--sandbox",
	field.Home:                "--home",
	field.DryRun:              "--" + cmdline.DryRun,
	field.RequestTimeout:      "--" + cmdline.RequestTimeout,
}

// domoWhere says where the command line takes a Domo API client.
const domoWhere = "pbiwb reads them from " + EnvDomoClientID + " and " + EnvDomoClientSecret +
	", or from the account: `pbiwb accounts add NAME ... --domo-client-id ID` saves them"

// cliText is err as the command line says it: the engine's field errors
// (and the other errors that name a setting) worded with the flags, a home
// that cannot serve with how to choose another, and a Domo credential at
// fault with where it is given.
func cliText(err error) string {
	text := field.Phrased(err, flagName)
	var (
		ue *home.UnwritableError
		nd *home.NoDirError
	)
	switch {
	case errors.As(err, &ue):
		text = strings.Replace(text, ue.Error(), ue.Phrase(cliFace{}.Name(field.Home)), 1)
	case errors.As(err, &nd):
		text = strings.Replace(text, nd.Error(), nd.Phrase(cliFace{}.Setting(field.Home, "DIR")), 1)
	}
	var de *domo.Error
	if errors.As(err, &de) && de.Field != "" {
		text += " (" + domoWhere + ")"
	}
	return text
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
	field.AuthMethod:          "the sign-in method (Credentials)",
	field.Cloud:               "the cloud (Credentials)",
	field.Input:               "the Input",
	field.Format:              "the Input's format",
	field.Sheet:               "[ and ] on the Input screen",
	field.DataSetID:           "the Input's DataSet id",
	field.Group:               "the Workspace (Details)",
	field.Dataset:             "the Dataset Name (Details)",
	field.Table:               "the Table Name (Details)",
	field.Mode:                "the Mode (Details)",
	field.Retention:           "the Retention (Details)",
	field.Column:              "the column type (Input)",
	field.MaxThrottleWait:     "the throttling budget",
	field.Resume:              "Resume",
	field.Restart:             "Start over",
	field.AssumeSent:          "your answer “they landed”",
	field.AssumeLost:          "your answer “they did not land”",
	field.Sandbox:             "the sandbox URL",
	field.DomoClientID:        "the Domo Client ID (Credentials)",
	field.DomoClientSecret:    "the Domo Client Secret (Credentials)",
	field.Certificate:         "the Certificate file (Credentials)",
	field.CertificatePassword: "the Certificate password (Credentials)",
	field.Troubleshoot:        "the Troubleshoot screen",
}

// wizardName is f as the wizard shows it.
func wizardName(f field.ID) string {
	if n, ok := wizardFields[f]; ok {
		return n
	}
	return string(f)
}

// isFieldError reports whether err is the engine's word on a field's value.
func isFieldError(err error) bool {
	var (
		fes field.Errors
		fe  *field.Error
	)
	return errors.As(err, &fes) || errors.As(err, &fe)
}

// cliAdvice names a field in advice where a bare flag would not say enough:
// the flag's argument, and the environment variable that also sets it; and
// the command that runs a step advice suggests (field.Troubleshoot).
var cliAdvice = map[field.ID]string{
	field.Home:         "--home DIR (or PBIWB_HOME)",
	field.DomoClientID: "--domo-client-id (or " + EnvDomoClientID + ")",
	field.Sandbox:      "--sandbox URL",
	field.Troubleshoot: "`pbiwb doctor --" + cmdline.Group + " G --" + cmdline.Dataset + " D`",
}

// flagFace is field.Namer for pbiwb push's messages: each field by its bare
// flag or variable, as the engine's sentences expect ("push again with --mode
// replace", "kept under another --home"), except the two that are not a
// plain flag: the sandbox's URL and the troubleshooting command.
type flagFace struct{}

func (flagFace) Name(f field.ID) string {
	if f == field.Sandbox || f == field.Troubleshoot {
		return cliAdvice[f]
	}
	return flagName(f)
}
func (flagFace) Setting(f field.ID, v string) string { return flagName(f) + " " + v }

// Typed: as cliFace's.
func (flagFace) Typed() bool { return true }

// cliFace is doctor.Face for `pbiwb doctor` and names the settings of
// entra's fixes: flags and variables, with a flag's argument where a bare
// flag would not say enough (cliAdvice).
type cliFace struct{}

func (cliFace) Name(f field.ID) string {
	if a, ok := cliAdvice[f]; ok {
		return a
	}
	return flagName(f)
}
func (cliFace) Setting(f field.ID, v string) string { return flagName(f) + " " + v }

// Typed: the command line's names are typed as shown, so the command lines
// the engine's advice quotes are kept (field.Render).
func (cliFace) Typed() bool { return true }

func (cliFace) NotAsked(f field.ID) string {
	if f == field.Input {
		return "not asked (pass --input domo:GUID or --input FILE to check the input)"
	}
	return "not asked (pass " + flagName(f) + " NAME to check it)"
}

func (cliFace) SaveAccount(a keystore.Account, withDomo bool) string {
	cmd := "pbiwb accounts add " + a.Name + " " + accountFlags(a)
	if withDomo {
		cmd += " --domo-client-id ID (its secret from " + EnvDomoClientSecret + " or a prompt)"
	}
	return cmd
}

// accountFlags are the accounts add flags that re-create a.
func accountFlags(a keystore.Account) string {
	f := "--tenant " + a.TenantID + " --client-id " + a.ClientID
	if a.Username != "" {
		f += " --username " + a.Username
	}
	f += " --auth " + a.Auth
	if p := a.Extra[extraCertificateFile]; p != "" {
		f += " --certificate " + format.ShellQuote(p)
	}
	if a.Cloud != "" && a.Cloud != "public" && a.Cloud != cloudSandbox {
		f += " --cloud " + a.Cloud
	}
	return f
}

// extraCertificateFile is the account's Extra key for the path of the
// certificate file it was saved from: not a secret (the file's content is
// in the keyring), kept so the command that saves the account again can
// repeat --certificate. The file may have been removed or replaced since.
const extraCertificateFile = "certificateFile"

// certificateExtra is the Extra of an account saved from the certificate
// file at path (absolute, so the command works from any directory); nil
// without one.
func certificateExtra(path string) map[string]string {
	path = strings.TrimSpace(path)
	if path == "" {
		return nil
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	return map[string]string{extraCertificateFile: path}
}

// wizardFace is doctor.Face for the Troubleshoot screen, and field.Namer for
// the push's messages in the wizard: screens and fields.
type wizardFace struct{}

func (wizardFace) Name(f field.ID) string { return wizardName(f) }
func (wizardFace) Setting(f field.ID, v string) string {
	if f == field.Column { // v is NAME=TYPE; the Input screen sets a column's type with ←/→
		name, typ, _ := strings.Cut(v, "=")
		if name == "NAME" { // any column: the finding names it
			return "its type set to " + typ + " on the Input screen (←/→)"
		}
		return fmt.Sprintf("column %q set to %s on the Input screen (←/→)", name, typ)
	}
	return wizardName(f) + " set to " + v
}

// Noun is f as a plain word, for phrases such as "choose another dataset
// name" (field.Noun), where a label with its article and screen would not
// read.
func (wizardFace) Noun(f field.ID) string { return string(f) }

func (wizardFace) NotAsked(f field.ID) string {
	switch f {
	case field.Input:
		return "not chosen yet: the Input screen picks the input"
	case field.Dataset:
		return "not chosen yet: the Details screen picks the dataset"
	case field.Table:
		return "not chosen yet: the Details screen picks the table"
	}
	return "not chosen yet: " + wizardName(f)
}

func (wizardFace) SaveAccount(a keystore.Account, withDomo bool) string {
	s := "add account " + a.Name + " again on the first screen (+ Add a new account, the same name)"
	if withDomo {
		s += " with its Domo Client ID and Secret"
	}
	return s
}
