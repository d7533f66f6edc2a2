package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
	"github.com/pbiwb/pbiwb/exitcode"
)

// The demo's FIFO dataset, as `pbiwb datasets --group Operations` prints it:
// its retention unknown, as Power BI does not say it and pbiwb did not create it.
const sensorFeedHeader = "WORKSPACE   DATASET      ID                                    RETENTION  TABLE     ROWS         COLUMNS\n"

func sensorFeedLine(rows string) string {
	return "Operations  Sensor Feed  " + demo.SensorFeedDatasetID + "  unknown    Readings  " + rows + "  Timestamp Datetime, SensorId String, Value Double\n"
}

// retentionNote says, once, where the retention of the listed datasets comes from.
const retentionNote = "Retention: Power BI does not say a dataset's retention; pbiwb remembers it for the datasets it created " +
	"(\"remembered\"), and another's is unknown (a FIFO dataset keeps only its newest ~200,000 rows).\n"

// The inventory of the demo's push datasets, counted; with executeQueries
// off, "not counted" and why, said once.
func TestDatasetsInventory(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	user := map[string]string{EnvPassword: demo.Password}
	args := append([]string{"datasets", "--group", demo.WorkspaceOperations}, demoUserFlags...)

	code, stdout, stderr := f.run(user, args...)
	// The ROWS column is as wide as its widest cell.
	want := strings.Replace(sensorFeedHeader, "ROWS         ", "ROWS     ", 1) + sensorFeedLine("200,000")
	if code != exitcode.OK || stdout != want || stderr != retentionNote {
		t.Errorf("exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s", code, stdout, want, stderr)
	}

	// Every workspace: the FIFO dataset is there, the imported one is not.
	code, stdout, _ = f.run(user, append([]string{"datasets"}, demoUserFlags...)...)
	if code != exitcode.OK || !strings.Contains(stdout, demo.SensorFeedDatasetID) || strings.Contains(stdout, demo.ImportedDatasetName) {
		t.Errorf("all workspaces: exit %d\n%s", code, stdout)
	}

	sandboxtest.Tenant(t, f.sb, `{"executeQueries":false}`)
	code, stdout, stderr = f.run(user, args...)
	wantNote := "Rows not counted: Power BI refused to count (401 PowerBINotAuthorizedException): counting uses executeQueries, " +
		"which needs the tenant setting \"Dataset Execute Queries REST API\" (Admin portal › Tenant settings › Integration settings), " +
		"turned on by a Fabric administrator, and Build permission on the dataset.\n"
	if want := sensorFeedHeader + sensorFeedLine("not counted"); code != exitcode.OK || stdout != want || stderr != retentionNote+wantNote {
		t.Errorf("counting off: exit %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s", code, stdout, want, stderr, wantNote)
	}

	code, stdout, _ = f.run(user, append(args, "--json")...)
	var got []datasetJSON
	if err := json.Unmarshal([]byte(stdout), &got); code != exitcode.OK || err != nil || len(got) != 1 {
		t.Fatalf("--json: exit %d, %v\n%s", code, err, stdout)
	}
	d := got[0]
	if d.ID != demo.SensorFeedDatasetID || d.Workspace.ID != demo.WorkspaceOperationsID || d.Retention != "unknown" || len(d.Tables) != 1 ||
		d.Tables[0].Rows != nil || !strings.Contains(d.Tables[0].NotCounted, "Dataset Execute Queries REST API") || len(d.Tables[0].Columns) != 3 {
		t.Errorf("--json: %+v", d)
	}
}

// --schema prints the body of the POST that would create the dataset again.
func TestDatasetsSchema(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	user := map[string]string{EnvPassword: demo.Password}
	code, stdout, stderr := f.run(user, append([]string{"datasets", "--schema", "--group", demo.WorkspaceOperations, "--dataset", demo.SensorFeedDatasetName}, demoUserFlags...)...)
	const want = `{
  "name": "Sensor Feed",
  "defaultMode": "Push",
  "tables": [
    {
      "name": "Readings",
      "columns": [
        {
          "name": "Timestamp",
          "dataType": "Datetime"
        },
        {
          "name": "SensorId",
          "dataType": "String"
        },
        {
          "name": "Value",
          "dataType": "Double"
        }
      ]
    }
  ]
}
`
	const wantErr = "Power BI does not say this dataset's retention: add ?defaultRetentionPolicy=basicFIFO to the POST if it keeps only the newest rows.\n"
	if code != exitcode.OK || stdout != want || !strings.HasPrefix(stderr, wantErr) {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}

	for _, tt := range []struct {
		name string
		args []string
		code exitcode.Code
		says string
	}{
		{"schema without a dataset", []string{"--schema", "--group", demo.WorkspaceOperations}, exitcode.Usage, "--schema prints one dataset's definition"},
		{"no such dataset", []string{"--schema", "--group", demo.WorkspaceOperations, "--dataset", "Nope"}, exitcode.Invalid, `its push datasets: "Sensor Feed"`},
		{"imported", []string{"--schema", "--group", demo.WorkspaceFinance, "--dataset", demo.ImportedDatasetName}, exitcode.Invalid, "is not a push dataset"},
		{"no such workspace", []string{"--group", "Nowhere"}, exitcode.Refused, "pbiwb groups lists"},
		{"an argument", []string{"x"}, exitcode.Usage, "takes no arguments"},
	} {
		code, _, stderr := f.run(user, append(append([]string{"datasets"}, tt.args...), demoUserFlags...)...)
		if code != tt.code || !strings.Contains(stderr, tt.says) {
			t.Errorf("%s: exit %d, want %d saying %q:\n%s", tt.name, code, tt.code, tt.says, stderr)
		}
	}
}

// A service principal sees the workspaces it is a member of and has no My
// workspace; with its tenant setting off, Power BI's refusal names it.
func TestDatasetsServicePrincipal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	app := map[string]string{EnvClientSecret: demo.ClientSecret}
	sp := []string{"--tenant", demo.TenantID, "--client-id", demo.ClientID, "--auth", "service-principal"}
	code, stdout, stderr := f.run(app, append([]string{"datasets"}, sp...)...)
	if code != exitcode.OK || stdout != "" || stderr != "No push datasets in the workspaces this service principal is a member of (a service principal has no My workspace).\n" {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, _, stderr = f.run(app, append([]string{"datasets", "--group", "My workspace"}, sp...)...)
	if code != exitcode.Refused || !strings.Contains(stderr, "a service principal has no My workspace; name a workspace it is a member of") {
		t.Errorf("My workspace: exit %d\n%s", code, stderr)
	}
	sandboxtest.Tenant(t, f.sb, `{"servicePrincipalApis":false}`)
	code, _, stderr = f.run(app, append([]string{"datasets"}, sp...)...)
	if code != exitcode.Refused || !strings.Contains(stderr, `"Service principals can use Fabric APIs"`) {
		t.Errorf("service principal APIs off: exit %d\n%s", code, stderr)
	}
}

// The end of push-dataset creation is explained in each face's terms.
func TestCreationEndedAdviceInEachFace(t *testing.T) {
	t.Parallel()
	err := &powerbi.CreationEndedError{Dataset: "D", Err: &powerbi.Error{Status: 400, Code: "PushDatasetCreationNotSupported"}}
	for _, tt := range []struct {
		n    field.Namer
		want string
	}{
		{flagFace{}, "write into one by giving --dataset the name of a push dataset that exists"},
		{wizardFace{}, "write into one by giving the Dataset Name (Details) the name of a push dataset that exists"},
	} {
		if got := powerbi.Advice(err, tt.n); !strings.Contains(got, tt.want) || !strings.Contains(got, "Real-Time Intelligence in Microsoft Fabric") {
			t.Errorf("%T: %q, want %q in it", tt.n, got, tt.want)
		}
	}
}

// A dataset pbiwb created shows the retention it was given, remembered in
// the home, and says so; under another home, which does not remember it, it
// is unknown like any dataset Power BI does not describe.
func TestDatasetsRememberedRetention(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if code, _, stderr := f.run(demoPasswordEnv, pushArgs("--group", demo.WorkspaceSales, "--dataset", "Feed", "--table", "T",
		"--retention", "fifo", "--input", writeIDs(t, t.TempDir(), 10))...); code != exitcode.OK {
		t.Fatalf("push: exit %d\n%s", code, stderr)
	}
	args := append([]string{"datasets", "--group", demo.WorkspaceSales, "--dataset", "Feed"}, demoUserFlags...)
	code, stdout, stderr := f.run(demoPasswordEnv, args...)
	if code != exitcode.OK || !strings.Contains(stdout, "  fifo (remembered)  T ") || strings.Contains(stderr, "Retention:") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	code, stdout, _ = f.run(demoPasswordEnv, append(args, "--json")...)
	var got []datasetJSON
	if err := json.Unmarshal([]byte(stdout), &got); code != exitcode.OK || err != nil || len(got) != 1 ||
		got[0].Retention != "fifo" || got[0].RetentionFrom != "remembered" {
		t.Errorf("--json: exit %d, %v: %+v", code, err, got)
	}
	code, _, stderr = f.run(demoPasswordEnv, append([]string{"datasets", "--schema", "--group", demo.WorkspaceSales, "--dataset", "Feed"}, demoUserFlags...)...)
	if code != exitcode.OK || !strings.Contains(stderr, "defaultRetentionPolicy=basicFIFO to keep it") {
		t.Errorf("--schema: exit %d\n%s", code, stderr)
	}

	// Another home does not remember it.
	other := &fixture{t: t, sb: f.sb, home: t.TempDir(), backend: f.backend, deps: f.deps}
	code, stdout, stderr = other.run(demoPasswordEnv, append(args, "--json")...)
	got = nil
	if err := json.Unmarshal([]byte(stdout), &got); code != exitcode.OK || err != nil || len(got) != 1 ||
		got[0].Retention != "unknown" || got[0].RetentionFrom != "unknown" {
		t.Errorf("another home: exit %d, %v: %+v\n%s", code, err, got, stderr)
	}
}
