package cli

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/push"
)

// Every field the engine can name has a flag or variable, so no engine
// error reaches the command line in the engine's words.
func TestEveryFieldHasAFlag(t *testing.T) {
	for _, f := range []field.ID{field.AuthMethod, field.Cloud, field.TenantID, field.ClientID, field.ClientSecret,
		field.Username, field.Password, field.DomoClientID, field.DomoClientSecret, field.Input, field.DataSetID,
		field.Group, field.Dataset, field.Table, field.Mode, field.Retention, field.Column, field.MaxThrottleWait,
		field.Resume, field.Restart, field.Sandbox, field.Home} {
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
