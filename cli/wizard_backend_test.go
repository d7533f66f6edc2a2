package cli

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/cmdline"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
	"github.com/pbiwb/pbiwb/ui"
)

// The adapter against a real sandbox (newFixture: a temporary home and an
// in-memory keyring wired into the cli's seams).

func (f *fixture) wizard() *wizardBackend {
	f.t.Helper()
	dirs, err := home.Resolve(f.home)
	if err != nil {
		f.t.Fatal(err)
	}
	return newWizardBackend(Globals{Sandbox: true, SandboxURL: f.sb.URL(), Home: f.home}, dirs, f.deps)
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestWizardSignInSaveAndReopen(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testCtx(t)
	b := f.wizard()

	acc, err := b.SignIn(ctx, demoPrefill(), nil)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if acc.Name != "sandbox" || acc.Username != demo.Username || !acc.HasDomo || acc.Method != ui.MethodPassword {
		t.Errorf("SignIn summary = %+v", acc)
	}
	ws, err := b.Workspaces(ctx, "sandbox")
	if err != nil {
		t.Fatalf("Workspaces: %v", err)
	}
	want := map[string]bool{demo.WorkspaceSales: false, demo.WorkspaceFinance: false, demo.WorkspaceOperations: false, demo.WorkspaceExecutive: true}
	for _, w := range ws {
		if ro, ok := want[w.Name]; ok {
			if w.ReadOnly != ro {
				t.Errorf("%s read-only = %v, want %v", w.Name, w.ReadOnly, ro)
			}
			delete(want, w.Name)
		}
		if w.Name == demo.WorkspaceHidden {
			t.Errorf("the demo user should not see %s", w.Name)
		}
	}
	if len(want) > 0 {
		t.Errorf("workspaces %v missing from %+v", want, ws)
	}
	sets, err := b.Datasets(ctx, "sandbox", demo.WorkspaceFinanceID)
	if err != nil || slices.Contains(sets, demo.ImportedDatasetName) {
		t.Errorf("Datasets(Finance) = %q, %v; the imported dataset is not a push dataset", sets, err)
	}

	if err := b.SaveAccount(ctx, demoPrefill()); err != nil {
		t.Fatalf("SaveAccount: %v", err)
	}
	f.assertNoSecrets(nil)
	items := f.items()
	if len(items) == 0 {
		t.Fatal("nothing in the keyring after SaveAccount")
	}

	// A later run: the saved account opens from its token cache, without a
	// new sign-in.
	b2 := f.wizard()
	list, err := b2.Accounts(ctx)
	if err != nil || len(list) != 1 || list[0].Name != "sandbox" || list[0].Cloud != cloudSandbox || !list[0].HasDomo {
		t.Fatalf("Accounts = %+v, %v", list, err)
	}
	before := f.tokens.Load()
	got, err := b2.OpenAccount(ctx, "sandbox", nil)
	if err != nil {
		t.Fatalf("OpenAccount: %v", err)
	}
	if n := f.tokens.Load() - before; n != 0 {
		t.Errorf("OpenAccount made %d token requests; want the cached token", n)
	}
	if got.LastUsed.IsZero() || got.Username != demo.Username {
		t.Errorf("OpenAccount = %+v", got)
	}
	// Its Domo secret comes from the keyring when a Domo input needs it.
	rep, err := b2.InspectInput(ctx, "sandbox", "domo:"+demo.DomoDataSetID, "", nil)
	if err != nil || rep.Name != demo.DomoDataSetName || rep.Rows == 0 {
		t.Errorf("InspectInput(domo) with the saved account = %+v, %v", rep, err)
	}
	if _, err := b2.OpenAccount(ctx, "nobody", nil); err == nil || !strings.Contains(err.Error(), `"nobody"`) {
		t.Errorf("OpenAccount(nobody) = %v", err)
	}
}

// Every classic mistake reaches the wizard as a FieldError naming the field
// at fault, with the fix as advice and exit code 4.
func TestWizardSignInAdvice(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testCtx(t)
	b := f.wizard()
	cases := []struct {
		name  string
		edit  func(*ui.Credentials)
		field string
	}{
		{"secret ID instead of value", func(c *ui.Credentials) { c.ClientSecret = demo.SecretID }, ui.FieldClientSecret},
		{"wrong password", func(c *ui.Credentials) { c.Password = "not-the-password" }, ui.FieldPassword},
		{"MFA user", func(c *ui.Credentials) { c.Username = demo.MFAUsername }, ui.FieldUsername},
		{"public client flows off", func(c *ui.Credentials) { c.ClientID, c.ClientSecret = demo.ClientIDNoPublicFlow, "" }, ui.FieldAppRegistration},
		{"expired secret", func(c *ui.Credentials) { c.ClientID = demo.ClientIDExpired }, ui.FieldClientSecret},
		{"no admin consent", func(c *ui.Credentials) { c.ClientID, c.ClientSecret = demo.ClientIDNoConsent, "" }, ui.FieldAppRegistration},
		{"unknown app", func(c *ui.Credentials) { c.ClientID = "00000000-0000-4000-8000-0000000fffff" }, ui.FieldClientID},
		{"unknown tenant", func(c *ui.Credentials) { c.TenantID = "00000000-0000-4000-8000-00000000ffff" }, ui.FieldTenantID},
		{"wrong Domo secret", func(c *ui.Credentials) { c.DomoClientSecret = "wrong" }, ui.FieldDomoClientSecret},
		{"Domo secret missing", func(c *ui.Credentials) { c.DomoClientSecret = "" }, ui.FieldDomoClientSecret},
		{"bad account name", func(c *ui.Credentials) { c.Name = "-x" }, ui.FieldAccountName},
		{"client ID not a GUID", func(c *ui.Credentials) { c.ClientID = "my-app" }, ui.FieldClientID},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := demoPrefill()
			tc.edit(&c)
			_, err := b.SignIn(ctx, c, nil)
			var fe ui.FieldError
			if !errors.As(err, &fe) {
				t.Fatalf("SignIn error %v (%T) is not a ui.FieldError", err, err)
			}
			if fe.Field() != tc.field {
				t.Errorf("Field() = %q, want %q (%v)", fe.Field(), tc.field, err)
			}
			var ec exitcode.Coder
			if !errors.As(err, &ec) || (ec.ExitCode() != exitcode.SignIn && ec.ExitCode() != exitcode.Usage) {
				t.Errorf("no sign-in or usage exit code on %v", err)
			}
			for _, s := range secretValues {
				if strings.Contains(err.Error()+fe.Advice(), s) {
					t.Errorf("secret %q in %q", s, err.Error()+fe.Advice())
				}
			}
		})
	}
	// Entra's failures carry its fix as the advice, its summary in the text.
	c := demoPrefill()
	c.ClientSecret = demo.SecretID
	_, err := b.SignIn(ctx, c, nil)
	var fe ui.FieldError
	if errors.As(err, &fe) && (!strings.Contains(err.Error(), "AADSTS7000215") || !strings.Contains(fe.Advice(), "Certificates & secrets")) {
		t.Errorf("Error() = %q, Advice() = %q", err.Error(), fe.Advice())
	}
	// A failed sign-in keeps nothing.
	if list, _ := b.Accounts(ctx); len(list) != 0 {
		t.Errorf("Accounts after failed sign-ins = %+v", list)
	}
}

// No keyring: SaveAccount says so as ui.ErrKeyringUnavailable (without
// keystore's --insecure-storage advice, the wizard asks itself); the account
// still works for this run, and insecure storage saves it to the 0600 file.
func TestWizardNoKeyring(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	f.backend = noKeyring{}
	ctx := testCtx(t)
	b := f.wizard()
	if _, err := b.SignIn(ctx, demoPrefill(), nil); err != nil {
		t.Fatal(err)
	}
	err := b.SaveAccount(ctx, demoPrefill())
	if !errors.Is(err, ui.ErrKeyringUnavailable) || !errors.Is(err, keystore.ErrNoKeyring) {
		t.Fatalf("SaveAccount = %v; want ErrKeyringUnavailable", err)
	}
	if strings.Contains(err.Error(), "--insecure-storage") || !strings.Contains(err.Error(), "Secret Service") {
		t.Errorf("message %q: want the fix without the command-line flag", err)
	}
	// Declined: used for this run only.
	if _, err := b.Workspaces(ctx, "sandbox"); err != nil {
		t.Errorf("Workspaces of the unsaved account: %v", err)
	}
	list, _ := b.Accounts(ctx)
	if len(list) != 1 || list[0].Name != "sandbox" {
		t.Errorf("Accounts lists the unsaved one: %+v", list)
	}
	if _, err := b.OpenAccount(ctx, "sandbox", nil); err != nil {
		t.Errorf("OpenAccount of the unsaved one: %v", err)
	}
	// Chosen explicitly: the file.
	c := demoPrefill()
	c.InsecureStorage = true
	if err := b.SaveAccount(ctx, c); err != nil {
		t.Fatalf("SaveAccount(insecure): %v", err)
	}
	dirs, _ := home.Resolve(f.home)
	data, err := os.ReadFile(keystore.NewFileBackend(dirs).Path())
	if err != nil || !strings.Contains(string(data), demo.Password) {
		t.Errorf("insecure file: %v", err)
	}
	f.assertNoSecrets(nil)
	// A later run reads it from the file, with no keyring.
	if _, err := f.wizard().OpenAccount(ctx, "sandbox", nil); err != nil {
		t.Errorf("OpenAccount(insecure) in a later run: %v", err)
	}
}

func TestWizardInspectCSV(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testCtx(t)
	b := f.wizard()
	if _, err := b.SignIn(ctx, demoPrefill(), nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "orders.csv")
	csv := "id,qty,note\n1,3,a\n2,4,b\n3,lots,\"two\nlines\"\n4,5,c\n"
	if err := os.WriteFile(path, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}

	rep, err := b.InspectInput(ctx, "sandbox", path, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Rows != 4 || rep.Name != "orders.csv" || rep.Kind != "CSV file" || len(rep.Findings) != 0 {
		t.Errorf("clean inspect = %+v", rep)
	}
	types := map[string]string{}
	for _, c := range rep.Columns {
		types[c.Name] = c.Type + " " + c.Origin
	}
	if types["id"] != "Int64 inferred" || types["qty"] != "String inferred" {
		t.Errorf("columns = %v", types)
	}

	// Forcing qty to Int64 makes line 4 (where the record starts) a finding.
	rep, err = b.InspectInput(ctx, "sandbox", path, "", map[string]string{"qty": "Int64"})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Line != 4 || rep.Findings[0].Column != "qty" || rep.Findings[0].Message == "" {
		t.Fatalf("findings = %+v", rep.Findings)
	}
	// The finding's advice names the Input screen's setting, not a flag.
	if msg := rep.Findings[0].Message; !strings.Contains(msg, "or force the column to String with its type set to String on the Input screen (←/→)") || strings.Contains(msg, "--") {
		t.Errorf("finding = %q, want the wizard's wording", msg)
	}
	for _, c := range rep.Columns {
		if c.Name == "qty" && (c.Type != "Int64" || c.Origin != "set by you") {
			t.Errorf("qty = %+v", c)
		}
	}

	if _, err := b.InspectInput(ctx, "sandbox", path, "", map[string]string{"qty": "Money"}); err == nil {
		t.Error("an unknown type was accepted")
	}
	if _, err := b.InspectInput(ctx, "sandbox", filepath.Join(t.TempDir(), "none.csv"), "", nil); err == nil || !strings.Contains(err.Error(), "none.csv") {
		t.Errorf("missing file: %v", err)
	}
}

func TestWizardInspectDomo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testCtx(t)
	b := f.wizard()
	c := demoPrefill()
	c.DomoClientID, c.DomoClientSecret = "", ""
	if _, err := b.SignIn(ctx, c, nil); err != nil {
		t.Fatal(err)
	}
	// Without a Domo client the input cannot be read, and the error says how to add one.
	var fe ui.FieldError
	if _, err := b.InspectInput(ctx, "sandbox", "domo:"+demo.DomoDataSetID, "", nil); !errors.As(err, &fe) || fe.Field() != ui.FieldDomoClientID {
		t.Errorf("Domo input without a Domo client: %v", err)
	}

	if _, err := b.SignIn(ctx, demoPrefill(), nil); err != nil {
		t.Fatal(err)
	}
	rep, err := b.InspectInput(ctx, "sandbox", "domo:"+demo.DomoDataSetID, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Name != demo.DomoDataSetName || rep.Kind != "Domo DataSet" || rep.Rows < 1000 || len(rep.Findings) != 0 {
		t.Errorf("Domo inspect = %+v", rep)
	}
	for _, col := range rep.Columns {
		if !strings.HasPrefix(col.Origin, "Domo ") {
			t.Errorf("column %q origin %q; want its Domo type", col.Name, col.Origin)
		}
	}
	if _, err := b.InspectInput(ctx, "sandbox", "domo:00000000-0000-4000-8000-000000000bad", "", nil); err == nil || !strings.Contains(err.Error(), "00000000-0000-4000-8000-000000000bad") {
		t.Errorf("unknown DataSet: %v", err)
	}
}

// Device code: Entra's message reaches the wizard's prompts channel verbatim.
// (Entra's poll interval makes this test take about five seconds.)
func TestWizardDeviceCodeRelayed(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testCtx(t)
	b := f.wizard()
	c := ui.Credentials{Name: "dev", Method: ui.MethodDeviceCode, Cloud: "public", TenantID: demo.TenantID, ClientID: demo.ClientID}
	prompts := make(chan string, 1)
	type result struct {
		acc ui.AccountSummary
		err error
	}
	done := make(chan result, 1)
	go func() {
		acc, err := b.SignIn(ctx, c, prompts)
		done <- result{acc, err}
	}()
	var msg string
	select {
	case msg = <-prompts:
	case <-time.After(10 * time.Second):
		t.Fatal("no device-code message on the prompts channel")
	}
	buf := &syncBuffer{}
	buf.Write([]byte(msg + "\n"))
	approveDeviceCode(t, f, buf) // checks the wording and approves as the demo user
	select {
	case r := <-done:
		if r.err != nil || r.acc.Username != demo.Username {
			t.Fatalf("device code sign-in = %+v, %v", r.acc, r.err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("SignIn did not finish after approval")
	}
}

func TestWizardNeedsTerminal(t *testing.T) {
	t.Parallel()
	env, _, errb := testEnv(nil)
	start := time.Now()
	code := Main(context.Background(), []string{"--sandbox"}, env)
	if code != exitcode.Usage || !strings.Contains(errb.String(), "pbiwb push") {
		t.Errorf("no terminal: exit %d, %q", code, errb.String())
	}
	if time.Since(start) > 2*time.Second {
		t.Errorf("took %s: nothing should start without a terminal", time.Since(start))
	}
}

// `pbiwb --sandbox` starts a sandbox the backend reaches, prefills the demo
// identities and shows command lines carrying the global flags. Not parallel:
// the wizard swaps the standard logger's output while it runs.
func TestWizardInProcessSandbox(t *testing.T) {
	env, _, _ := testEnv(map[string]string{"NO_COLOR": "1"})
	env.IsTerminal = func() bool { return true }
	homeDir := t.TempDir()
	env.deps = realDeps()
	var got ui.Options
	env.deps.runUI = func(ctx context.Context, b ui.Backend, o ui.Options) (exitcode.Code, error) {
		got = o
		if _, err := b.SignIn(ctx, o.Prefill, nil); err != nil {
			return 1, err
		}
		ws, err := b.Workspaces(ctx, o.Prefill.Name)
		if err != nil || len(ws) == 0 {
			return 1, err
		}
		return 130, nil
	}
	code := Main(context.Background(), []string{"--sandbox", "--home", homeDir}, env)
	if code != exitcode.Interrupted {
		t.Errorf("exit %d; want the wizard's own 130", code)
	}
	if got.Prefill != demoPrefill() || !got.NoColor || got.InputSuggestion != demo.DomoDataSetID {
		t.Errorf("options = %+v", got)
	}
	if f := got.Flags; len(f) != 4 || f[0] != "--sandbox" || !strings.HasPrefix(f[1], "https://127.0.0.1:") || f[2] != "--home" || f[3] != homeDir {
		t.Errorf("Flags = %q", f)
	}
}

// sandboxTable is a table's row count in the sandbox's /_sandbox/state.
func sandboxTable(t *testing.T, f *fixture, workspace, dataset, table string) (int64, bool) {
	t.Helper()
	resp, err := f.sb.Client().Get(f.sb.URL() + "/_sandbox/state")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st struct {
		Workspaces []struct {
			Name     string
			Datasets []struct {
				Name   string
				Tables []struct {
					Name     string
					RowCount int64
				}
			}
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	for _, w := range st.Workspaces {
		for _, d := range w.Datasets {
			for _, tb := range d.Tables {
				if w.Name == workspace && d.Name == dataset && tb.Name == table {
					return tb.RowCount, true
				}
			}
		}
	}
	return 0, false
}

// The Domo demo DataSet, planned and pushed through the engine: the plan
// says what will happen, progress arrives as snapshots, the row count is
// verified, the run is in the history, and the sandbox holds the rows.
func TestWizardPlanAndPushDomo(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testCtx(t)
	b := f.wizard()
	if _, err := b.SignIn(ctx, demoPrefill(), nil); err != nil {
		t.Fatal(err)
	}
	req := ui.Request{Account: "sandbox", Input: "domo:" + demo.DomoDataSetID, WorkspaceID: demo.WorkspaceSalesID,
		WorkspaceName: demo.WorkspaceSales, Dataset: "Wizard Orders", Table: "Orders", Mode: "replace", Retention: "none"}
	plan, err := b.Plan(ctx, req)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	if plan.Rows != 5000 || plan.Batches < 1 || len(plan.Actions) == 0 || plan.ETA < 0 {
		t.Errorf("plan = %+v", plan)
	}
	if !strings.Contains(strings.Join(plan.Actions, "\n"), "Wizard Orders") {
		t.Errorf("actions do not name the new dataset: %q", plan.Actions)
	}
	if _, exists := sandboxTable(t, f, demo.WorkspaceSales, "Wizard Orders", "Orders"); exists {
		t.Fatal("the dry run created the table")
	}

	res, seen, err := collectPush(ctx, b, req)
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	if res.RowsWritten != 5000 || res.RowsVerified != 5000 || res.RunID == "" || res.DatasetID == "" || res.Batches < 1 {
		t.Errorf("result = %+v", res)
	}
	if len(seen) == 0 || seen[len(seen)-1].RowsWritten != 5000 || seen[len(seen)-1].RowsTotal != 5000 {
		t.Errorf("events: %d, last %+v", len(seen), seen[len(seen)-1:])
	}
	if n, ok := sandboxTable(t, f, demo.WorkspaceSales, "Wizard Orders", "Orders"); !ok || n != 5000 {
		t.Errorf("sandbox holds %d rows (table found: %v)", n, ok)
	}
	sets, err := b.Datasets(ctx, "sandbox", demo.WorkspaceSalesID)
	if err != nil || !slices.Contains(sets, "Wizard Orders") {
		t.Errorf("Datasets after the push = %q, %v", sets, err)
	}
}

// A type the values do not fit stops the dry run with exit 3 and the
// finding's line; a read-only workspace is Power BI's refusal, exit 5.
func TestWizardPlanRefusals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := testCtx(t)
	b := f.wizard()
	if _, err := b.SignIn(ctx, demoPrefill(), nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "orders.csv")
	if err := os.WriteFile(path, []byte("id,qty\n1,3\n2,lots\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := ui.Request{Account: "sandbox", Input: path, WorkspaceID: demo.WorkspaceSalesID, WorkspaceName: demo.WorkspaceSales,
		Dataset: "Refusals", Table: "T", Mode: "replace"}
	cases := []struct {
		name string
		edit func(*ui.Request)
		code exitcode.Code
		want string
	}{
		{"bad value", func(r *ui.Request) { r.Columns = map[string]string{"qty": "Int64"} }, exitcode.Invalid, `orders.csv:3: column 2 ("qty")`},
		// The engine's advice names the wizard's fields, never a flag.
		{"read-only workspace", func(r *ui.Request) {
			r.WorkspaceID, r.WorkspaceName = demo.WorkspaceExecutiveID, demo.WorkspaceExecutive
		}, exitcode.Refused, "or choose another workspace"},
		{"not a push dataset", func(r *ui.Request) {
			r.WorkspaceID, r.WorkspaceName, r.Dataset = demo.WorkspaceFinanceID, demo.WorkspaceFinance, demo.ImportedDatasetName
		}, exitcode.Refused, "choose another dataset name and pbiwb creates a push dataset of that name"},
		{"input is a directory", func(r *ui.Request) { r.Input = filepath.Dir(path) }, exitcode.Usage,
			"the Input set to " + filepath.Dir(path) + " is a directory"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			tc.edit(&r)
			_, err := b.Plan(ctx, r)
			var ec exitcode.Coder
			if !errors.As(err, &ec) || ec.ExitCode() != tc.code {
				t.Fatalf("Plan = %v; want exit %d", err, tc.code)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("%q does not say %q", err, tc.want)
			}
			// The push's own advice (schema's findings are worded elsewhere).
			if tc.code != exitcode.Invalid && strings.Contains(err.Error(), "--") {
				t.Errorf("%q names a flag in the wizard", err)
			}
		})
	}
}

// pushCSV signs in, writes a small CSV and pushes it into Sales Analytics,
// collecting the events; before runs once the plan is made.
func pushCSV(t *testing.T, f *fixture, ctx context.Context, dataset string, before func()) (ui.Result, []ui.ProgressEvent, error) {
	t.Helper()
	b := f.wizard()
	if _, err := b.SignIn(testCtx(t), demoPrefill(), nil); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "small.csv")
	if err := os.WriteFile(path, []byte("id,name\n1,a\n2,b\n3,c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	req := ui.Request{Account: "sandbox", Input: path, WorkspaceID: demo.WorkspaceSalesID, WorkspaceName: demo.WorkspaceSales,
		Dataset: dataset, Table: "T", Mode: "replace", Retention: "none"}
	if _, err := b.Plan(testCtx(t), req); err != nil {
		t.Fatal(err)
	}
	before()
	res, seen, err := collectPush(ctx, b, req)
	return res, seen, err
}

func (f *fixture) faults(t *testing.T, body string) {
	t.Helper()
	resp, err := f.sb.Client().Post(f.sb.URL()+"/_sandbox/faults", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 && resp.StatusCode != 204 {
		t.Fatalf("faults %s: HTTP %d", body, resp.StatusCode)
	}
}

// A 429 from Power BI shows as a wait with its reason and a retry with the
// cause, then the push completes.
func TestWizardPushThrottledShowsWaitAndRetry(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	res, seen, err := pushCSV(t, f, testCtx(t), "Throttled", func() { f.faults(t, `{"throttleFor":"1s"}`) })
	if err != nil || res.RowsVerified != 3 {
		t.Fatalf("Push = %+v, %v", res, err)
	}
	var waited, retried, throttled bool
	for _, ev := range seen {
		if ev.Wait != nil && strings.Contains(ev.Wait.Reason, "Retry-After") && ev.Wait.Left <= 2*time.Second {
			waited = true
		}
		if ev.Error != nil && strings.Contains(ev.Error.Message, "batch 1") {
			retried = true
		}
		throttled = throttled || ev.Throttled > 0
	}
	if !waited || !retried || !throttled {
		t.Errorf("waited %v, retried %v, throttled %v in %+v", waited, retried, throttled, seen)
	}
}

// Stopping a push (the wizard cancels its context) ends it with exit 130.
func TestWizardPushInterrupted(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx, cancel := context.WithCancel(testCtx(t))
	defer cancel()
	// Stopped while a POST waits at the server: the push gives it up to
	// stopGrace to answer (it answers in 1s), then ends.
	cancelled := make(chan time.Time, 1)
	go func() {
		for ctx.Err() == nil {
			if f.state().PostRowsInFlight > 0 {
				cancelled <- time.Now()
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	_, _, err := pushCSV(t, f, ctx, "Interrupted", func() { f.faults(t, `{"latency":"1s"}`) })
	var ec exitcode.Coder
	if !errors.As(err, &ec) || ec.ExitCode() != exitcode.Interrupted {
		t.Errorf("Push after cancel = %v; want exit 130", err)
	}
	select {
	case at := <-cancelled:
		if d := time.Since(at); d > stopGrace {
			t.Errorf("stopping took %s, longer than the grace of %s", d, stopGrace)
		}
	default:
		t.Error("the push ended before a POST reached the server")
	}
}

func TestSnapshotWaits(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		name   string
		wait   *push.WaitInfo
		reason string
		left   time.Duration
	}{
		{"quota", &push.WaitInfo{Reason: "rowsPerHour", Limit: "1,000,000 rows per hour per dataset", Seconds: 90, Until: now.Add(80 * time.Second)},
			"1,000,000 rows per hour per dataset", 80 * time.Second},
		{"server", &push.WaitInfo{Reason: "retryAfter", Limit: "Retry-After from Power BI (429)", Seconds: 5, Until: now.Add(5 * time.Second)},
			"Retry-After from Power BI", 5 * time.Second},
		{"in flight", &push.WaitInfo{Reason: "postsPerMinute", Limit: "120 POST rows requests per minute per dataset"},
			"120 POST rows requests per minute per dataset (until a request in flight is answered)", 0},
		{"past", &push.WaitInfo{Reason: "rowsPerHour", Limit: "x", Until: now.Add(-time.Second)}, "x", 0},
		{"key only", &push.WaitInfo{Reason: "rowsPerHour", Seconds: 5, Until: now.Add(5 * time.Second)}, "rows per hour per dataset", 5 * time.Second},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev := snapshot(push.Event{Kind: push.KindWait, Progress: push.Progress{RowsTotal: 10, ETASeconds: -1, Wait: tc.wait}}, now)
			if ev.Wait == nil || !strings.HasPrefix(ev.Wait.Reason, tc.reason) || ev.Wait.Left != tc.left || ev.ETA >= 0 {
				t.Errorf("snapshot = %+v, wait %+v; want %q, %s", ev, ev.Wait, tc.reason, tc.left)
			}
		})
	}
	ev := snapshot(push.Event{Kind: push.KindError, Error: &push.ErrorInfo{Message: "refused", RequestID: "r-1", Batch: 4}}, now)
	if ev.Error == nil || ev.Error.Message != "batch 4: refused" || ev.Error.RequestID != "r-1" {
		t.Errorf("error snapshot = %+v", ev.Error)
	}
}

func TestWizardCommand(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		g    Globals
		want string
	}{
		{Globals{}, "pbiwb"},
		{Globals{Sandbox: true, SandboxURL: "https://127.0.0.1:8443"}, "pbiwb --sandbox https://127.0.0.1:8443"},
		{Globals{Home: "/tmp/my home"}, "pbiwb --home '/tmp/my home'"},
		{Globals{Sandbox: true, SandboxURL: "https://127.0.0.1:9", Home: "/h"}, "pbiwb --sandbox https://127.0.0.1:9 --home /h"},
	} {
		if got := cmdline.Quote(append([]string{"pbiwb"}, globalFlags(tc.g)...)); got != tc.want {
			t.Errorf("globalFlags(%+v) = %q, want %q", tc.g, got, tc.want)
		}
	}
	b := newWizardBackend(Globals{Sandbox: true, SandboxURL: "https://127.0.0.1:9"}, home.Dirs{}, realDeps())
	saved := &wizardSession{summary: ui.AccountSummary{Name: "it's"}}
	if got := cmdline.Quote(b.invocation(saved)); got != `--sandbox https://127.0.0.1:9 --account 'it'\''s'` {
		t.Errorf("invocation = %q", got)
	}
	// Signed in here and not saved: `pbiwb push --account demo` would find
	// no such account, so the identity's flags name it, and the plan says
	// where the secrets come from (never the secrets themselves).
	unsaved := &wizardSession{summary: ui.AccountSummary{Name: "demo", Cloud: cloudSandbox},
		creds: &entra.Credentials{TenantID: demo.TenantID, ClientID: demo.ClientID, Username: demo.Username,
			Method: entra.MethodPassword, Password: demo.Password}}
	want := "--sandbox https://127.0.0.1:9 --tenant " + demo.TenantID + " --client-id " + demo.ClientID +
		" --username " + demo.Username + " --auth password"
	if got := cmdline.Quote(b.invocation(unsaved)); got != want {
		t.Errorf("invocation of an unsaved account\n got %q\nwant %q", got, want)
	}
	if w := strings.Join(b.unsavedSecrets(unsaved), " "); !strings.Contains(w, EnvPassword) || strings.Contains(w, demo.Password) {
		t.Errorf("unsaved account's note %q: want it to name %s, never the password", w, EnvPassword)
	}
	unsaved.saved = true
	if got := cmdline.Quote(b.invocation(unsaved)); got != "--sandbox https://127.0.0.1:9 --account demo" {
		t.Errorf("invocation once saved = %q", got)
	}
	if w := b.unsavedSecrets(unsaved); w != nil {
		t.Errorf("a saved account's plan says %q", w)
	}
}

// `pbiwb --sandbox URL` uses that sandbox (none is started) and prefills the
// same identities. Not parallel, as TestWizardInProcessSandbox.
func TestWizardRunningSandbox(t *testing.T) {
	f := newFixture(t)
	env, _, _ := f.env(nil)
	env.IsTerminal = func() bool { return true }
	var got ui.Options
	var inProcess string
	f.deps.runUI = func(ctx context.Context, b ui.Backend, o ui.Options) (exitcode.Code, error) {
		got, inProcess = o, b.(*wizardBackend).inProcessSandbox
		_, err := b.SignIn(ctx, o.Prefill, nil)
		return 0, err
	}
	if code := Main(context.Background(), []string{"--sandbox", f.sb.URL(), "--home", f.home}, env); code != exitcode.OK {
		t.Fatalf("exit %d", code)
	}
	if got.Prefill != demoPrefill() || got.InputSuggestion != demo.DomoDataSetID || got.NoColor || inProcess != "" || !slices.Equal(got.Flags, []string{"--sandbox", f.sb.URL(), "--home", f.home}) {
		t.Errorf("options = %+v, in-process %q", got, inProcess)
	}
}
