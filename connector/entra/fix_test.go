package entra

import (
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/field"
)

type flagNamer struct{}

func (flagNamer) Name(f field.ID) string {
	return map[field.ID]string{field.AuthMethod: "--auth", field.Cloud: "--cloud"}[f]
}
func (n flagNamer) Setting(f field.ID, v string) string { return n.Name(f) + " " + v }

// A fix names the settings it refers to only through the face: plainly in
// Fix and Error, as the face does in FixIn.
func TestFixNamesSettingsThroughTheFace(t *testing.T) {
	e := fromAAD(aadBody{Codes: []int{50076}}, nil, Credentials{Method: MethodPassword})
	if strings.Contains(e.Fix, "--") || strings.Contains(e.Error(), "--") || !strings.Contains(e.Fix, "auth method device-code") {
		t.Errorf("Fix = %q", e.Fix)
	}
	if got := e.FixIn(flagNamer{}); !strings.Contains(got, "(--auth device-code)") || !strings.Contains(got, "(--auth service-principal)") {
		t.Errorf("FixIn = %q", got)
	}
	e = fromAAD(aadBody{Codes: []int{90002}}, nil, Credentials{})
	if got := e.FixIn(flagNamer{}); !strings.Contains(got, "check --cloud (") {
		t.Errorf("FixIn = %q", got)
	}
	if e := (&Error{Fix: "as is"}); e.FixIn(flagNamer{}) != "as is" {
		t.Errorf("a fix without references: %q", e.FixIn(flagNamer{}))
	}
}
