package doctor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/doctor"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
)

// The counting check passes while the tenant lets the identity count rows,
// and fails naming the tenant setting once executeQueries is off (the rows
// check is then skipped); for a dataset that does not exist yet it tries
// another push table of the workspace, as a new user's first push would meet.
func TestCountingCheck(t *testing.T) {
	sb, ep := sandboxtest.Start(t, sandbox.Options{})
	check := func(dataset string) map[string]doctor.Result {
		cfg := doctor.Config{Endpoints: ep, Unsaved: &entra.Credentials{TenantID: demo.TenantID, ClientID: demo.ClientID,
			Username: demo.Username, Password: demo.Password, Method: entra.MethodPassword},
			Group: demo.WorkspaceOperations, Dataset: dataset, Table: "Readings"}
		got := map[string]doctor.Result{}
		d := doctor.New(cfg)
		for _, r := range doctor.Run(context.Background(), d.Checks(), nil) {
			got[r.Name] = r
		}
		return got
	}
	got := check("Sensor Feed")
	if r := got[doctor.CheckCounting]; r.Status != doctor.Pass || !strings.Contains(r.Found, powerbi.ExecuteQueriesSetting) {
		t.Fatalf("counting allowed: %+v", r)
	}
	sandboxtest.Tenant(t, sb, `{"executeQueries":false}`)
	got = check("Sensor Feed")
	r := got[doctor.CheckCounting]
	if r.Status != doctor.Fail || !strings.Contains(r.Found, powerbi.ExecuteQueriesSetting) ||
		!strings.Contains(r.Fix, "Admin portal") || !strings.Contains(r.Fix, "written, not verified") {
		t.Errorf("counting refused: %+v", r)
	}
	if r := got[doctor.CheckRows]; r.Status != doctor.Skip {
		t.Errorf("rows with counting refused: %+v, want skipped", r)
	}
	got = check("Brand New")
	if r := got[doctor.CheckCounting]; r.Status != doctor.Fail || !strings.Contains(r.Found, `tried on table "Readings"`) {
		t.Errorf("new dataset, counting refused: %+v", r)
	}
}
