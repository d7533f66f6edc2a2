package doctor_test

import (
	"context"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/doctor"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
	"github.com/pbiwb/pbiwb/home"
)

// Power BI does not say a dataset's retention: the dataset check reads the
// one pbiwb gave a dataset it created from the home, and says it is unknown
// for another home.
func TestDatasetRetentionFromTheHome(t *testing.T) {
	_, ep := sandboxtest.Start(t, sandbox.Options{TimeScale: 3600})
	creds := entra.Credentials{TenantID: demo.TenantID, ClientID: demo.ClientID, Username: demo.Username,
		Password: demo.Password, Method: entra.MethodPassword}
	s, err := entra.New(ep, creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	dirs, err := home.Resolve(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	svc := push.Services{PowerBI: powerbi.New(ep, s), Dirs: dirs, TempDir: dir, LockDir: t.TempDir()}
	req := push.Request{Input: sandboxtest.WriteIDs(t, dir, 10), Group: demo.WorkspaceSales, Dataset: "Kept", Table: "T", Retention: push.RetentionFIFO}
	plan, err := push.PrepareRun(ctx, svc, req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := plan.Run(ctx); err != nil {
		t.Fatal(err)
	}
	plan.Close()

	other, err := home.Resolve(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		home *home.Dirs
		want string
	}{{&dirs, "basicFIFO"}, {&other, "unknown"}} {
		d := doctor.New(doctor.Config{Endpoints: ep, Unsaved: &creds, Group: demo.WorkspaceSales, Dataset: "Kept", Home: c.home})
		for _, r := range doctor.Run(ctx, d.Checks(), nil) {
			if r.Name == doctor.CheckDataset && (r.Status != doctor.Pass || !strings.Contains(r.Found, "retention "+c.want)) {
				t.Errorf("dataset check: %+v, want retention %s", r, c.want)
			}
		}
	}
}
