package cli

import (
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/doctor"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
	"github.com/pbiwb/pbiwb/exitcode"
)

// With the tenant setting for service principals off, Power BI answers the
// service principal a bare 401 on every call: the doctor names the setting
// (its two names) and does not blame the workspace; a user is not concerned.
func TestDoctorServicePrincipalSetting(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	app := map[string]string{EnvClientSecret: demo.ClientSecret}
	sp := []string{"--tenant", demo.TenantID, "--client-id", demo.ClientID, "--auth", "service-principal", "--group", demo.WorkspaceSales}

	_, got, stderr := f.doctorJSON(t, app, sp...)
	if r := got[doctor.CheckSPAPIs]; r.Status != doctor.Pass || !strings.Contains(r.Found, "Service principals can use Fabric APIs") {
		t.Errorf("setting on: %+v\n%s", r, stderr)
	}

	sandboxtest.Tenant(t, f.sb, `{"servicePrincipalApis":false}`)
	code, got, stderr := f.doctorJSON(t, app, sp...)
	r := got[doctor.CheckSPAPIs]
	if code != exitcode.Failure || r.Status != doctor.Fail || !strings.HasPrefix(r.Found, "Power BI refuses the service principal on every call (401 PowerBINotAuthorizedException)") {
		t.Fatalf("setting off: exit %d, %+v\n%s", code, r, stderr)
	}
	for _, want := range []string{`"Service principals can use Fabric APIs"`, `"Allow service principals to use Power BI APIs"`, "Developer settings", "--auth password"} {
		if !strings.Contains(r.Fix, want) {
			t.Errorf("the fix lacks %q: %s", want, r.Fix)
		}
	}
	if w := got[doctor.CheckWorkspace]; w.Status != doctor.Skip || !strings.Contains(w.Found, doctor.CheckSPAPIs) {
		t.Errorf("workspace: %+v; want it skipped for the setting", w)
	}

	_, got, _ = f.doctorJSON(t, map[string]string{EnvPassword: demo.Password},
		"--tenant", demo.TenantID, "--client-id", demo.ClientID, "--username", demo.Username, "--auth", "password", "--group", demo.WorkspaceOperations,
		"--dataset", demo.SensorFeedDatasetName)
	if r := got[doctor.CheckSPAPIs]; r.Status != doctor.Pass || !strings.Contains(r.Found, "does not apply") {
		t.Errorf("a user: %+v", r)
	}
	if r := got[doctor.CheckCreation]; r.Status != doctor.Pass || !strings.HasPrefix(r.Found, `dataset "Sensor Feed" exists: writing into it goes on`) {
		t.Errorf("creation of an existing dataset: %+v", r)
	}
}
