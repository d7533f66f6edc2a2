package cli

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
)

// Every field the engine can name has a flag or variable, so no engine
// error reaches the command line in the engine's words.
func TestEveryFieldHasAFlag(t *testing.T) {
	for _, f := range []field.ID{field.AuthMethod, field.Cloud, field.TenantID, field.ClientID, field.ClientSecret,
		field.Username, field.Password, field.DomoClientID, field.DomoClientSecret, field.Input, field.DataSetID,
		field.Group, field.Dataset, field.Table, field.Mode, field.Retention, field.Column, field.MaxThrottleWait,
		field.Resume, field.Restart, field.Sandbox, field.Home, field.RequestTimeout} {
		if fl := flagName(f); !strings.HasPrefix(fl, "--") && !strings.HasPrefix(fl, "PBIWB_") {
			t.Errorf("%q has no flag or variable: %q", f, fl)
		}
	}
}

func TestPhrasedFieldErrors(t *testing.T) {
	bad := fmt.Errorf("prepare: %w", &field.Error{Field: field.Mode, Rule: field.Invalid, Value: "upsert", Msg: "use replace or append"})
	for _, tt := range []struct {
		err         error
		name        func(field.ID) string
		want, never string
	}{
		{bad, flagName, `prepare: --mode "upsert": use replace or append`, ""},
		{bad, wizardName, `prepare: the Mode (Details) "upsert": use replace or append`, "--"},
		{push.ErrCheckpointExists, flagName, "missing --resume or --restart: an interrupted push", ""},
		{push.ErrCheckpointExists, wizardName, "missing Resume or Start over", "--"},
		{push.ErrNoDomo, flagName, "missing --domo-client-id: a Domo input needs", ""},
		{field.Errors{{Field: field.Input, Rule: field.Missing}, {Field: field.Table, Rule: field.Missing}}, flagName, "missing --input, --table", ""},
	} {
		got := field.Phrased(tt.err, tt.name)
		if !strings.HasPrefix(got, tt.want) || (tt.never != "" && strings.Contains(got, tt.never)) {
			t.Errorf("field.Phrased(%v) = %q, want it to start with %q (and lack %q)", tt.err, got, tt.want, tt.never)
		}
	}
}

// The push's advice takes the bare flag (its sentences give the argument),
// the doctor's the flag with its argument; the wizard's reads as words.
func TestFacesNameTheHome(t *testing.T) {
	for _, tt := range []struct {
		n    field.Namer
		want string
	}{
		{flagFace{}, "kept under another --home; push again with --mode replace; choose another --dataset name"},
		{cliFace{}, "kept under another --home DIR (or PBIWB_HOME); push again with --mode replace; choose another --dataset name"},
		{wizardFace{}, "kept under another home; push again with the Mode (Details) set to replace; choose another dataset name"},
	} {
		got := "kept under another " + tt.n.Name(field.Home) + "; push again with " + tt.n.Setting(field.Mode, push.ModeReplace) +
			"; choose another " + field.Noun(tt.n, field.Dataset) + " name"
		if got != tt.want {
			t.Errorf("%T: %q, want %q", tt.n, got, tt.want)
		}
	}
}

// The advice of the input's findings, of Power BI's refusals and of a home
// that cannot serve is the command line's word for word, and the wizard's
// own wording names no flag.
func TestAdviceInEachFace(t *testing.T) {
	rows, _ := schema.CheckRowCount(schema.DocumentedLimits(), schema.RetentionNone, 0, 5_000_001, cliFace{})
	wrows, _ := schema.CheckRowCount(schema.DocumentedLimits(), schema.RetentionNone, 0, 5_000_001, wizardFace{})
	existing, input := []schema.Column{{Name: "id", Type: schema.Int64}}, []schema.Column{{Name: "id", Type: schema.String}}
	mismatch := schema.Compare(existing, input, schema.DocumentedLimits(), cliFace{}).Findings
	wmismatch := schema.Compare(existing, input, schema.DocumentedLimits(), wizardFace{}).Findings
	_, err := schema.AppendJSON(nil, schema.Decimal, []byte("1.23456"))
	var ve *schema.ValueError
	if !errors.As(err, &ve) || len(rows) != 1 || len(wrows) != 1 || len(mismatch) != 1 || len(wmismatch) != 1 {
		t.Fatalf("findings %v %v %v %v, value error %v", rows, wrows, mismatch, wmismatch, err)
	}
	const group = "/v1.0/myorg/groups/00000000-0000-4000-8000-00000000a001/datasets/d1"
	pbiErr := func(status int, code string) error {
		return fmt.Errorf("get dataset: %w", &powerbi.Error{Status: status, Code: code, Path: group, RequestID: "r-1"})
	}
	unwritable := &home.UnwritableError{Dir: "/nowhere", Err: errors.New("read-only file system")}
	for _, tt := range []struct {
		name     string
		cli, wiz string
		want     string // in cli
		wizWant  string // in wiz
	}{
		{"row count", rows[0].Message, wrows[0].Message,
			"split the input, use --mode replace, or a basicFIFO dataset (--retention fifo) if only the newest rows matter",
			"use the Mode (Details) set to replace, or a basicFIFO dataset (the Retention (Details) set to fifo)"},
		{"schema mismatch", mismatch[0].Message, wmismatch[0].Message,
			"force the input's type with --column id=Int64, or write to a new dataset",
			`force the input's type with column "id" set to Int64 on the Input screen (←/→), or write`},
		{"value", ve.In(cliFace{}), ve.In(wizardFace{}),
			"round it in the source, or use --column NAME=Double; or force the column to String with --column NAME=String",
			"or use its type set to Double on the Input screen (←/→); or force the column to String with its type set to String on the Input screen (←/→)"},
		{"invalid token", adviceOr(pbiErr(403, powerbi.CodeInvalidToken)), pushError(pbiErr(403, powerbi.CodeInvalidToken), exitcode.Refused).Error(),
			"check --cloud (public, usgov, usgovhigh, usgovdod, china) matches the tenant", "check the cloud (Credentials) (public"},
		{"item not found", adviceOr(pbiErr(404, powerbi.CodeItemNotFound)), pushError(pbiErr(404, powerbi.CodeItemNotFound), exitcode.Invalid).Error(),
			"list them with `pbiwb doctor --group G --dataset D`.", "list them with the Troubleshoot screen."},
		{"internal", adviceOr(pbiErr(http.StatusInternalServerError, "")), pushError(pbiErr(http.StatusInternalServerError, ""), exitcode.Refused).Error(),
			"try again in a few minutes; `pbiwb push --resume` continues a stopped run.", "try again in a few minutes; Resume continues a stopped run."},
		{"unwritable home", cliText(fmt.Errorf("prepare: %w", unwritable)), pushError(unwritable, exitcode.Usage).Error(),
			"make it a directory you can write to, or choose another home with --home DIR (or PBIWB_HOME)", "or choose another home"},
		{"no home", cliText(&home.NoDirError{What: "config directory"}), "cannot find your config directory (set $HOME, or choose pbiwb's home explicitly)",
			"cannot find your config directory (set $HOME, or use --home DIR)", "choose pbiwb's home explicitly"},
	} {
		if !strings.Contains(tt.cli, tt.want) {
			t.Errorf("%s: the command line says\n%s\nwant\n%s", tt.name, tt.cli, tt.want)
		}
		if !strings.Contains(tt.wiz, tt.wizWant) || strings.Contains(tt.wiz, "--") || strings.Contains(tt.wiz, "`pbiwb") {
			t.Errorf("%s: the wizard says\n%s\nwant\n%s, and no flag", tt.name, tt.wiz, tt.wizWant)
		}
	}
}
