package cli

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/doctor"
	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/domoapi"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
	"github.com/pbiwb/pbiwb/outcome"
)

// doctorTarget is a push dataset the tests create in Sales Analytics through
// the sandbox's REST API: table T with columns id and name, holding two rows.
const (
	doctorDataset = "Doctor Orders"
	doctorTable   = "T"
)

func (f *fixture) createPushDataset(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	c := demoClient(t, f)
	ds, err := c.CreateDataset(ctx, demo.WorkspaceSalesID, powerbi.CreateDataset{Name: doctorDataset, Tables: []powerbi.Table{{
		Name: doctorTable, Columns: []powerbi.Column{{Name: "id", DataType: "Int64"}, {Name: "name", DataType: "String"}}}}}, powerbi.RetentionNone)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PostRows(ctx, demo.WorkspaceSalesID, ds.ID, doctorTable, []byte(`{"rows":[{"id":1,"name":"a"},{"id":2,"name":"b"}]}`)); err != nil {
		t.Fatal(err)
	}
	return ds.ID
}

func writeCSV(t *testing.T, header string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "in.csv")
	if err := os.WriteFile(p, []byte(header+"\n1,x,2.5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// doctorJSON runs doctor --json and decodes its report.
func (f *fixture) doctorJSON(t *testing.T, env map[string]string, args ...string) (exitcode.Code, map[string]doctor.Result, string) {
	t.Helper()
	code, stdout, stderr := f.run(env, append([]string{"doctor", "--json"}, args...)...)
	var list []doctor.Result
	if err := json.Unmarshal([]byte(stdout), &list); err != nil {
		t.Fatalf("doctor --json: %v\nstdout %q\nstderr %q", err, stdout, stderr)
	}
	byName := map[string]doctor.Result{}
	for _, r := range list {
		byName[r.Name] = r
	}
	return code, byName, stderr
}

// The done-when of issue 7: each broken set-up is named with its fix, exit 1;
// a healthy one passes, exit 0.
func TestDoctorBrokenSetUps(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.createPushDataset(t)
	user := func(clientID, username string) []string {
		return []string{"--tenant", demo.TenantID, "--client-id", clientID, "--username", username, "--auth", "password"}
	}
	good := user(demo.ClientID, demo.Username)
	sales := []string{"--group", demo.WorkspaceSales, "--dataset", doctorDataset, "--table", doctorTable}
	type want struct {
		check  string
		status doctor.Status
		text   []string // in found, fix or details
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []want
	}{
		{"wrong secret", map[string]string{EnvPassword: demo.Password, EnvClientSecret: "not-the-secret"}, good, []want{
			{doctor.CheckSignIn, doctor.Fail, []string{"AADSTS7000215", "client secret", "Certificates & secrets", "Value"}},
			{doctor.CheckPermissions, doctor.Skip, []string{"needs: sign-in"}},
			{doctor.CheckWorkspace, doctor.Skip, []string{"needs: sign-in"}},
		}},
		{"secret ID pasted", map[string]string{EnvPassword: demo.Password, EnvClientSecret: demo.SecretID}, good, []want{
			{doctor.CheckSignIn, doctor.Fail, []string{"AADSTS7000215", "Secret ID", "copy the Value column"}},
		}},
		{"expired secret", map[string]string{EnvPassword: demo.Password, EnvClientSecret: demo.ClientSecret}, user(demo.ClientIDExpired, demo.Username), []want{
			{doctor.CheckSignIn, doctor.Fail, []string{"AADSTS7000222", "expired", "New client secret"}},
		}},
		{"MFA user", map[string]string{EnvPassword: demo.Password}, user(demo.ClientID, demo.MFAUsername), []want{
			{doctor.CheckSignIn, doctor.Fail, []string{"AADSTS50076", "multi-factor", "--auth device-code"}},
		}},
		{"wrong password", map[string]string{EnvPassword: "nope"}, good, []want{
			{doctor.CheckSignIn, doctor.Fail, []string{"AADSTS50126", "password", "Reset password"}},
		}},
		{"consent missing", map[string]string{EnvPassword: demo.Password}, user(demo.ClientIDNoConsent, demo.Username), []want{
			{doctor.CheckSignIn, doctor.Fail, []string{"AADSTS65001", "consented", "Grant admin consent", "Dataset.ReadWrite.All"}},
		}},
		{"public client flows off without a secret", map[string]string{EnvPassword: demo.Password}, user(demo.ClientIDNoPublicFlow, demo.Username), []want{
			{doctor.CheckSignIn, doctor.Fail, []string{"AADSTS7000218", "public client flows", "Allow public client flows → Yes", "no client secret was given"}},
		}},
		{"password missing from the environment", nil, good, []want{
			{doctor.CheckAccount, doctor.Fail, []string{"password (" + EnvPassword + ")", "no secret environment variable is set"}},
			{doctor.CheckSignIn, doctor.Skip, []string{"needs: account"}},
			{doctor.CheckNetwork, doctor.Pass, []string{f.sb.URL(), "TLS"}},
		}},
		{"no access to the workspace", map[string]string{EnvPassword: demo.Password}, append(good, "--group", demo.WorkspaceHiddenID), []want{
			{doctor.CheckWorkspace, doctor.Fail, []string{demo.WorkspaceHiddenID, "not a member", "Manage access", "RequestId"}},
		}},
		{"workspace by a wrong name", map[string]string{EnvPassword: demo.Password}, append(good, "--group", "Finanse"), []want{
			{doctor.CheckWorkspace, doctor.Fail, []string{`"Finanse"`, demo.WorkspaceFinance, "pbiwb groups"}},
		}},
		{"read-only workspace", map[string]string{EnvPassword: demo.Password}, append(good, "--group", demo.WorkspaceExecutive), []want{
			{doctor.CheckWorkspace, doctor.Fail, []string{"read-only", "Contributor, Member or Admin"}},
			{doctor.CheckDataset, doctor.Skip, []string{"not asked"}},
		}},
		{"service principal outside the workspace", map[string]string{EnvClientSecret: demo.ClientSecret},
			[]string{"--tenant", demo.TenantID, "--client-id", demo.ClientID, "--auth", "service-principal", "--group", demo.WorkspaceFinance}, []want{
				{doctor.CheckPermissions, doctor.Pass, []string{"service principal", "Service principals can use Fabric APIs"}},
				{doctor.CheckWorkspace, doctor.Fail, []string{demo.WorkspaceSales, "Manage access", "Service principals can use Fabric APIs"}},
			}},
		{"not a push dataset", map[string]string{EnvPassword: demo.Password},
			append(good, "--group", demo.WorkspaceFinance, "--dataset", demo.ImportedDatasetName, "--table", "Budget"), []want{
				{doctor.CheckDataset, doctor.Fail, []string{"not a push dataset", "imported", "Choose another dataset name"}},
				{doctor.CheckTable, doctor.Skip, []string{"needs: dataset"}},
				{doctor.CheckRows, doctor.Skip, []string{"needs: table"}},
			}},
		{"not a push dataset, by ID", map[string]string{EnvPassword: demo.Password},
			append(good, "--group", demo.WorkspaceFinanceID, "--dataset", demo.ImportedDatasetID), []want{
				{doctor.CheckDataset, doctor.Fail, []string{"not a push dataset"}},
			}},
		{"table missing", map[string]string{EnvPassword: demo.Password},
			append(good, "--group", demo.WorkspaceSales, "--dataset", doctorDataset, "--table", "t"), []want{
				{doctor.CheckTable, doctor.Fail, []string{`no table "t"`, "differs only in case", "new --dataset"}},
			}},
		{"table missing a column", map[string]string{EnvPassword: demo.Password},
			append(append(good, sales...), "--input", writeCSV(t, "id,name,amount")), []want{
				{doctor.CheckInput, doctor.Pass, []string{"3 columns", "id, name, amount"}},
				{doctor.CheckTable, doctor.Fail, []string{"lacks 1 of the input's columns: amount", "id (Int64), name (String)", "Put Table"}},
				{doctor.CheckRows, doctor.Skip, []string{"needs: table"}},
			}},
		{"input file missing", map[string]string{EnvPassword: demo.Password},
			append(good, "--input", filepath.Join(t.TempDir(), "nope.csv")), []want{
				{doctor.CheckInput, doctor.Fail, []string{"cannot open", "Check the path"}},
			}},
		{"Domo client missing", map[string]string{EnvPassword: demo.Password},
			append(good, "--input", "domo:"+demo.DomoDataSetID), []want{
				{doctor.CheckInput, doctor.Fail, []string{"no Domo API client", EnvDomoClientID}},
			}},
		{"Domo secret wrong", map[string]string{EnvPassword: demo.Password, EnvDomoClientID: demo.DomoClientID, EnvDomoClientSecret: "wrong"},
			append(good, "--input", "domo:"+demo.DomoDataSetID), []want{
				{doctor.CheckInput, doctor.Fail, []string{"Domo", "Manage Clients"}},
			}},
		{"Domo DataSet not owned or co-owned", map[string]string{EnvPassword: demo.Password, EnvDomoClientID: demo.DomoClientID, EnvDomoClientSecret: demo.DomoClientSecret},
			append(good, "--input", "domo:"+domoapi.RestrictedDataSetID), []want{
				{doctor.CheckInput, doctor.Fail, []string{domoapi.RestrictedDataSetID, "Access is denied", "co-own"}},
			}},
		{"Domo client without the data scope", map[string]string{EnvPassword: demo.Password, EnvDomoClientID: domoapi.ClientIDUserScopeOnly, EnvDomoClientSecret: demo.DomoClientSecret},
			append(good, "--input", "domo:"+demo.DomoDataSetID), []want{
				{doctor.CheckInput, doctor.Fail, []string{"data scope"}},
			}},
		{"Domo DataSet unknown", map[string]string{EnvPassword: demo.Password, EnvDomoClientID: demo.DomoClientID, EnvDomoClientSecret: demo.DomoClientSecret},
			append(good, "--input", "domo:00000000-0000-4000-8000-000000000bad"), []want{
				{doctor.CheckInput, doctor.Fail, []string{"00000000-0000-4000-8000-000000000bad"}},
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, got, stderr := f.doctorJSON(t, tt.env, tt.args...)
			if code != exitcode.Failure {
				t.Errorf("exit %d, want 1\n%s", code, stderr)
			}
			for _, w := range tt.want {
				r, ok := got[w.check]
				if !ok {
					t.Errorf("no %s check in the report", w.check)
					continue
				}
				if r.Status != w.status {
					t.Errorf("%s: %s, want %s: %+v", w.check, r.Status, w.status, r)
				}
				all := r.Found + "\n" + r.Fix + "\n" + strings.Join(r.Details, "\n")
				for _, s := range w.text {
					if !strings.Contains(all, s) {
						t.Errorf("%s lacks %q:\n%s", w.check, s, all)
					}
				}
				if w.status == doctor.Fail && r.Fix == "" {
					t.Errorf("%s failed without a fix: %+v", w.check, r)
				}
			}
		})
	}
}

func TestDoctorHealthySavedAccount(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.createPushDataset(t)
	env := map[string]string{EnvPassword: demo.Password, EnvClientSecret: demo.ClientSecret, EnvDomoClientSecret: demo.DomoClientSecret}
	if code, _, stderr := f.run(env, append([]string{"accounts", "add", "demo", "--domo-client-id", demo.DomoClientID}, demoUserFlags...)...); code != exitcode.OK {
		t.Fatalf("accounts add: exit %d\n%s", code, stderr)
	}
	args := []string{"doctor", "--account", "demo", "--group", demo.WorkspaceSales, "--dataset", doctorDataset, "--table", doctorTable,
		"--input", writeCSV(t, "id,name")}
	code, stdout, stderr := f.run(nil, args...)
	if code != exitcode.OK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	for _, w := range []string{
		"pbiwb doctor: account demo, the sandbox at " + f.sb.URL(),
		"✓ Network", "✓ Account", "password stored", "client-secret stored",
		"✓ Sign-in", "signed in as " + demo.Username, "client secret valid", "Entra ID does not report the secret's expiry to the app; check Certificates & secrets",
		"✓ Token permissions", "Dataset.ReadWrite.All",
		"✓ Workspace", "visible and writable",
		"✓ Dataset", "push dataset",
		"✓ Table", "has every input column",
		"✓ Rows", "holds 2 of the 5,000,000 rows",
		"✓ Recent runs", "no runs recorded yet",
		"All checks passed.",
	} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout)
		}
	}
	if strings.Contains(stdout, "✗") || strings.Contains(stdout, "\x1b[") {
		t.Errorf("a failure or colour codes in a healthy report without a terminal:\n%s", stdout)
	}

	// The Domo input, through the account's Domo client; --json as well.
	code, got, stderr := f.doctorJSON(t, nil, "--account", "demo", "--input", "domo:"+demo.DomoDataSetID)
	if code != exitcode.OK {
		t.Fatalf("Domo input: exit %d %+v\n%s", code, got, stderr)
	}
	if r := got[doctor.CheckInput]; r.Status != doctor.Pass || !strings.Contains(r.Found, demo.DomoDataSetName) {
		t.Errorf("input: %+v", r)
	}
	for _, name := range []string{doctor.CheckDataset, doctor.CheckTable, doctor.CheckRows} {
		if got[name].Status != doctor.Skip || !strings.Contains(got[name].Found, "not asked") {
			t.Errorf("%s: %+v, want skipped as not asked", name, got[name])
		}
	}

	// A dataset that does not exist yet is not a problem: push creates it.
	code, got, _ = f.doctorJSON(t, nil, "--account", "demo", "--group", demo.WorkspaceSales, "--dataset", "Brand New", "--table", "X")
	if code != exitcode.OK || !strings.Contains(got[doctor.CheckDataset].Found, "creates it") || got[doctor.CheckTable].Status != doctor.Pass {
		t.Errorf("new dataset: exit %d %+v", code, got)
	}
}

func TestDoctorSavedAccountMissingSecret(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	if code, _, stderr := f.run(demoPasswordEnv, append([]string{"accounts", "add", "demo"}, demoUserFlags...)...); code != exitcode.OK {
		t.Fatalf("accounts add: exit %d\n%s", code, stderr)
	}
	dirs, _ := home.Resolve(f.home)
	if err := keystore.Open(dirs, f.backend).SetSecret(context.Background(), "demo", keystore.Password, ""); err != nil {
		t.Fatal(err)
	}
	code, got, _ := f.doctorJSON(t, nil, "--account", "demo")
	r := got[doctor.CheckAccount]
	if code != exitcode.Failure || r.Status != doctor.Fail || !strings.Contains(r.Found, "missing from its storage") ||
		!strings.Contains(r.Found, "password") || !strings.Contains(r.Fix, "pbiwb accounts add demo --tenant "+demo.TenantID) {
		t.Errorf("exit %d, account %+v", code, r)
	}
	if got[doctor.CheckSignIn].Status != doctor.Skip {
		t.Errorf("sign-in ran without a password: %+v", got[doctor.CheckSignIn])
	}

	// A keyring that does not answer is named as such.
	f.backend = lockedKeyring{f.backend.(*keystore.MemoryBackend)}
	code, got, _ = f.doctorJSON(t, nil, "--account", "demo")
	if r := got[doctor.CheckAccount]; code != exitcode.Failure || !strings.Contains(r.Found, "keyring") {
		t.Errorf("no keyring: exit %d, %+v", code, r)
	}
}

func TestDoctorSandboxDown(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "https://" + l.Addr().String()
	l.Close() // a closed port: nothing listens there
	env, out, errb := testEnv(map[string]string{EnvPassword: demo.Password})
	code := Main(context.Background(), append([]string{"--sandbox", url, "--home", t.TempDir(), "doctor"}, demoUserFlags...), env)
	if code != exitcode.Failure {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, out.String(), errb.String())
	}
	for _, w := range []string{"✗ Network", "cannot connect", "The sandbox is not running at " + url, "pbiwb sandbox", "skipped (needs: network)"} {
		if !strings.Contains(out.String(), w) {
			t.Errorf("stdout lacks %q:\n%s", w, out.String())
		}
	}
}

func TestDoctorThrottledRecently(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dirs, _ := home.Resolve(f.home)
	store := history.New(dirs.History())
	run, err := store.Start(history.Record{Input: "orders.csv", Mode: "append",
		Target: history.Target{WorkspaceName: demo.WorkspaceSales, DatasetName: doctorDataset, Table: doctorTable}})
	if err != nil {
		t.Fatal(err)
	}
	err = run.Finish(outcome.Stopped, exitcode.Stopped, func(r *history.Record) {
		r.Throttled = 4
		r.Waits = map[string]history.WaitTotal{"retryAfter": {Count: 4, Seconds: 120}}
		r.Errors = []history.Error{{Message: "Power BI is throttling requests to this dataset", Status: 429, Code: "TooManyRequests", RequestID: "req-throttle-1"}}
		r.ResumeHint = "pbiwb push --group 'Sales Analytics' --dataset 'Doctor Orders' --table T --input orders.csv --resume"
	})
	if err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := f.run(map[string]string{EnvPassword: demo.Password}, append([]string{"doctor"}, demoUserFlags...)...)
	if code != exitcode.Failure {
		t.Errorf("exit %d, want 1", code)
	}
	for _, w := range []string{"✗ Recent runs", "4 throttling answers (429)", "stopped (exit 6)", "req-throttle-1", "another program", "--resume", "Retry-After from Power BI (429) 4× 2m"} {
		if !strings.Contains(stdout, w) {
			t.Errorf("stdout lacks %q:\n%s", w, stdout)
		}
	}
}

// Real 429s: the sandbox throttles every POST rows for a while, and a push
// meets them; the doctor then names them from the history.
func TestDoctorAfterARealThrottledPush(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	resp, err := f.sb.Client().Post(f.sb.URL()+"/_sandbox/faults", "application/json", strings.NewReader(`{"throttleFor":"2s"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	in := filepath.Join(t.TempDir(), "small.csv")
	if err := os.WriteFile(in, []byte("id,name\n1,a\n2,b\n3,c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{EnvPassword: demo.Password}
	code, _, stderr := f.run(env, append([]string{"push", "--group", demo.WorkspaceSales, "--dataset", "Throttled", "--table", "T", "--input", in}, demoUserFlags...)...)
	if code != exitcode.OK {
		t.Skipf("push did not complete (exit %d), so this cannot show a throttled run:\n%s", code, stderr)
	}
	code, got, _ := f.doctorJSON(t, env, demoUserFlags...)
	r := got[doctor.CheckHistory]
	if code != exitcode.Failure || r.Status != doctor.Fail || !strings.Contains(r.Found, "(429)") {
		t.Errorf("exit %d, history %+v", code, r)
	}
}

func TestDoctorUsage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"doctor", "--dataset", "D"}, "--dataset needs --group"},
		{[]string{"doctor", "--group", "G", "--table", "T"}, "--table needs --dataset"},
		{[]string{"doctor", "extra"}, "no arguments"},
		{[]string{"doctor", "--account", "ghost"}, `no account named "ghost"`},
		{[]string{"doctor", "--password", "x"}, EnvPassword},
	}
	for _, tt := range tests {
		code, _, stderr := f.run(nil, tt.args...)
		if code != exitcode.Usage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 with %q", tt.args, code, stderr, tt.want)
		}
	}
	// No account at all: a finding, not a usage error.
	code, stdout, _ := f.run(nil, "doctor")
	if code != exitcode.Failure || !strings.Contains(stdout, "no account to check") || !strings.Contains(stdout, "pbiwb accounts add") {
		t.Errorf("no account: exit %d\n%s", code, stdout)
	}
}

func TestDoctorColourOnlyOnATerminal(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for _, tc := range []struct {
		term    bool
		noColor string
		want    bool
	}{{true, "", true}, {true, "1", false}, {false, "", false}} {
		env := Env{Getenv: func(k string) string {
			if k == "NO_COLOR" {
				return tc.noColor
			}
			return ""
		}, IsTerminal: func() bool { return tc.term }}
		b.Reset()
		doctorPrinter{w: &b, color: doctorColor(env)}.print(doctor.Result{Title: "X", Status: doctor.Fail, Found: "f", Fix: "line one\nRequestId r"})
		if got := strings.Contains(b.String(), "\x1b["); got != tc.want {
			t.Errorf("terminal %v NO_COLOR %q: colour %v, want %v", tc.term, tc.noColor, got, tc.want)
		}
		if !strings.Contains(b.String(), "✗") || !strings.Contains(b.String(), "\n           RequestId r") {
			t.Errorf("output %q", b.String())
		}
	}
}

// lockedKeyring is the fixture's keyring, locked: every call fails.
type lockedKeyring struct{ *keystore.MemoryBackend }

func (lockedKeyring) err() error {
	return &keystore.KeyringError{Op: "reading a secret from", Cause: errors.New("the collection is locked")}
}
func (k lockedKeyring) Set(context.Context, string, string, string) error   { return k.err() }
func (k lockedKeyring) Get(context.Context, string, string) (string, error) { return "", k.err() }
func (k lockedKeyring) Delete(context.Context, string, string) error        { return k.err() }

// A saved device-code account whose sign-in is gone, without a terminal: the
// doctor cannot show a code, and says where to sign in again.
func TestDoctorDeviceCodeWithoutTerminal(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dirs, _ := home.Resolve(f.home)
	store := keystore.Open(dirs, f.backend)
	if _, err := store.Save(context.Background(), keystore.Account{Name: "dev", Cloud: cloudSandbox, TenantID: demo.TenantID,
		ClientID: demo.ClientID, Auth: keystore.AuthDeviceCode}, keystore.Secrets{}); err != nil {
		t.Fatal(err)
	}
	code, got, _ := f.doctorJSON(t, nil, "--account", "dev")
	acct, signIn := got[doctor.CheckAccount], got[doctor.CheckSignIn]
	if code != exitcode.Failure || acct.Status != doctor.Pass || !strings.Contains(strings.Join(acct.Details, "\n"), "no saved sign-in") {
		t.Errorf("exit %d, account %+v", code, acct)
	}
	if signIn.Status != doctor.Fail || !strings.Contains(signIn.Found, "no terminal") || !strings.Contains(signIn.Fix, "in a terminal") {
		t.Errorf("sign-in %+v", signIn)
	}
}
