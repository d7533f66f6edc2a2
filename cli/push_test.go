package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/domo"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/domoapi"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
	"github.com/pbiwb/pbiwb/outcome"
)

// newFixtureWith is a fixture with sandbox options (latency, time scale,
// token lifetime). It has the real services (realDeps): push tests use
// unsaved credentials and reach the sandbox as the product does.
func newFixtureWith(t *testing.T, opts sandbox.Options) *fixture {
	t.Helper()
	sb, err := sandbox.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := sb.Start(); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, sb: sb, home: t.TempDir(), backend: keystore.NewMemoryBackend(keystore.WindowsMaxValue), deps: realDeps()}
	t.Cleanup(func() {
		sb.Client().CloseIdleConnections()
		sb.Close()
	})
	return f
}

// pushArgs is `push` as the demo user with the given flags.
func pushArgs(flags ...string) []string {
	return append(append([]string{"push"}, demoUserFlags...), flags...)
}

func (f *fixture) state() sandboxtest.State { f.t.Helper(); return sandboxtest.GetState(f.t, f.sb) }

// datasetIDs are the ids of the datasets of that name in a workspace.
func (f *fixture) datasetIDs(workspace, name string) []string {
	f.t.Helper()
	return f.state().DatasetIDs(workspace, name)
}

func (f *fixture) datasetID(workspace, name string) string {
	f.t.Helper()
	ids := f.datasetIDs(workspace, name)
	if len(ids) != 1 {
		f.t.Fatalf("%d datasets named %q in %q, want 1", len(ids), name, workspace)
	}
	return ids[0]
}

// counters are the dataset's request counters.
func (f *fixture) counters(workspace, name string) map[string]int64 {
	return f.state().Counters(workspace, name)
}

// storedRows is what the sandbox holds in a table, numbers as json.Number.
func (f *fixture) storedRows(datasetID, table string) []map[string]any {
	f.t.Helper()
	return sandboxtest.Rows(f.t, f.sb, datasetID, table)
}

func (f *fixture) fault(body string) { f.t.Helper(); sandboxtest.Fault(f.t, f.sb, body) }

// mustPush runs a push that must succeed.
func (f *fixture) mustPush(flags ...string) (stdout, stderr string) {
	f.t.Helper()
	code, stdout, stderr := f.run(demoPasswordEnv, pushArgs(flags...)...)
	if code != exitcode.OK {
		f.t.Fatalf("push %v: exit %d\n%s", flags, code, stderr)
	}
	return stdout, stderr
}

// testRow is row i of the test CSV: every type, NULLs, empty strings,
// quoting, non-ASCII text, a 64-bit integer.
func testRow(i int) []string {
	note := fmt.Sprintf(`"line %d, with ""quotes"" and
a break"`, i)
	switch i % 5 {
	case 1:
		note = "" // NULL
	case 2:
		note = `""` // an empty string
	case 3:
		note = "Zoë ✓ " + strconv.Itoa(i)
	}
	big := strconv.FormatInt(9007199254740993+int64(i), 10) // beyond float64's exact integers
	return []string{strconv.Itoa(i), big, fmt.Sprintf("%d.%02d", i/7, i%100), fmt.Sprintf("2024-%02d-%02dT%02d:%02d:05", 1+i%12, 1+i%28, i%24, i%60),
		strconv.FormatBool(i%3 == 0), note}
}

var testHeader = "id,big,amount,when,flag,note"

// writeTestCSV writes rows [0, n) of testRow.
func writeTestCSV(t testing.TB, dir string, n int) string {
	t.Helper()
	path := filepath.Join(dir, fmt.Sprintf("orders-%d.csv", n))
	var b strings.Builder
	b.WriteString(testHeader + "\n")
	for i := range n {
		b.WriteString(strings.Join(testRow(i), ",") + "\n")
	}
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// expectTestRow is row i as Power BI stores it.
func expectTestRow(i int) map[string]any {
	r := testRow(i)
	when, _ := time.Parse("2006-01-02T15:04:05", r[3])
	var note any = strings.ReplaceAll(strings.Trim(r[5], `"`), `""`, `"`)
	switch i % 5 {
	case 1:
		note = nil
	case 2:
		note = ""
	}
	return map[string]any{"id": json.Number(r[0]), "big": json.Number(r[1]), "amount": r[2],
		"when": when.UTC().Format("2006-01-02T15:04:05.000Z"), "flag": r[4] == "true", "note": note}
}

// checkTestRows compares the stored rows with rows [0, n) of the test CSV.
// Batches go side by side, so the table's order is not the input's: rows
// are matched by id.
func checkTestRows(t *testing.T, rows []map[string]any, n int) {
	t.Helper()
	checkExactlyOnce(t, rows, n)
	for _, got := range rows {
		i, _ := strconv.Atoi(fmt.Sprint(got["id"]))
		want := expectTestRow(i)
		for k, w := range want {
			g := got[k]
			if k == "amount" {
				if !sameNumber(g, w.(string)) {
					t.Fatalf("row %d, %s: stored %v, want %v", i, k, g, w)
				}
				continue
			}
			if g != w {
				t.Fatalf("row %d, %s: stored %#v, want %#v", i, k, g, w)
			}
		}
	}
}

// sameNumber compares a stored JSON number with a decimal text exactly.
func sameNumber(stored any, text string) bool {
	n, ok := stored.(json.Number)
	if !ok {
		return false
	}
	a, ok1 := new(big.Rat).SetString(string(n))
	b, ok2 := new(big.Rat).SetString(text)
	return ok1 && ok2 && a.Cmp(b) == 0
}

// checkExactlyOnce checks that the table holds ids 0..n-1, each once.
func checkExactlyOnce(t *testing.T, rows []map[string]any, n int) {
	t.Helper()
	seen := make([]int, n)
	for _, r := range rows {
		id, err := strconv.Atoi(fmt.Sprint(r["id"]))
		if err != nil || id < 0 || id >= n {
			t.Fatalf("stored a row with id %v", r["id"])
		}
		seen[id]++
	}
	var missing, dup int
	for _, c := range seen {
		switch {
		case c == 0:
			missing++
		case c > 1:
			dup++
		}
	}
	if missing > 0 || dup > 0 || len(rows) != n {
		t.Fatalf("%d rows stored for %d: %d missing, %d duplicated", len(rows), n, missing, dup)
	}
}

func (f *fixture) history() []history.Record {
	f.t.Helper()
	dirs, err := home.Resolve(f.home)
	if err != nil {
		f.t.Fatal(err)
	}
	recs, err := history.New(dirs.History()).List(0)
	if err != nil {
		f.t.Fatal(err)
	}
	return recs
}

func TestPushCSVLandsValueForValue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := writeTestCSV(t, t.TempDir(), 12345)
	_, stderr := f.mustPush("--group", demo.WorkspaceSales, "--dataset", "Orders", "--table", "Orders", "--input", path)
	if !strings.Contains(stderr, "Done: 12,345 rows") {
		t.Errorf("no summary:\n%s", stderr)
	}
	checkTestRows(t, f.storedRows(f.datasetID(demo.WorkspaceSales, "Orders"), "Orders"), 12345)
	recs := f.history()
	if len(recs) != 1 || recs[0].Outcome != outcome.Succeeded || recs[0].RowsWritten != 12345 || !recs[0].Verified {
		t.Errorf("history: %+v", recs)
	}
}

func TestPushDomoLandsValueForValue(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	env := map[string]string{EnvPassword: demo.Password, EnvDomoClientID: demo.DomoClientID, EnvDomoClientSecret: demo.DomoClientSecret}
	args := pushArgs("--group", demo.WorkspaceSales, "--dataset", "Sales", "--table", "Orders", "--input", "domo:"+demo.DomoDataSetID)
	code, _, stderr := f.run(env, args...)
	if code != exitcode.OK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	want := domoapi.SalesOrders()
	rows := f.storedRows(f.datasetID(demo.WorkspaceSales, "Sales"), "Orders")
	if len(rows) != want.RowCount {
		t.Fatalf("%d rows, want %d", len(rows), want.RowCount)
	}
	for i, got := range rows {
		for j, v := range want.Row(i) {
			col := want.Columns[j]
			if err := sameDomoValue(col.Type, v, got[col.Name]); err != nil {
				t.Fatalf("row %d, column %s (%s): %v", i, col.Name, col.Type, err)
			}
		}
	}

	// Without a Domo client: exit 2 saying how to add one.
	code, _, stderr = f.run(demoPasswordEnv, args...)
	if code != exitcode.Usage || !strings.Contains(stderr, EnvDomoClientID) {
		t.Errorf("no Domo client: exit %d\n%s", code, stderr)
	}
}

// sameDomoValue compares a Domo export cell with what Power BI stored.
func sameDomoValue(typ string, v domoapi.Value, stored any) error {
	if v.Null {
		if stored != nil {
			return fmt.Errorf("stored %#v for NULL", stored)
		}
		return nil
	}
	switch typ {
	case domo.TypeString:
		if stored != v.Text {
			return fmt.Errorf("stored %#v, want %q", stored, v.Text)
		}
	case domo.TypeLong:
		if n, ok := stored.(json.Number); !ok || string(n) != v.Text {
			return fmt.Errorf("stored %#v, want %s", stored, v.Text)
		}
	case domo.TypeDouble, domo.TypeDecimal:
		if !sameNumber(stored, v.Text) {
			return fmt.Errorf("stored %#v, want %s", stored, v.Text)
		}
	case domo.TypeDate, domo.TypeDateTime:
		layout := "2006-01-02T15:04:05"
		if typ == domo.TypeDate {
			layout = "2006-01-02"
		}
		w, err := time.Parse(layout, v.Text)
		if err != nil {
			return err
		}
		s, _ := stored.(string)
		g, err := time.Parse(time.RFC3339Nano, s)
		if err != nil || !g.Equal(w) {
			return fmt.Errorf("stored %#v, want %s", stored, v.Text)
		}
	default:
		return fmt.Errorf("unknown Domo type %q", typ)
	}
	return nil
}

func TestPushReplaceThenAppend(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	small, large := writeTestCSV(t, dir, 3000), writeTestCSV(t, dir, 7000)
	target := []string{"--group", demo.WorkspaceFinance, "--dataset", "Orders", "--table", "T"}
	count := func() int64 {
		return int64(len(f.storedRows(f.datasetID(demo.WorkspaceFinance, "Orders"), "T")))
	}
	steps := []struct {
		input string
		mode  string
		want  int64
	}{
		{large, "replace", 7000},
		{small, "append", 10000},
		{small, "append", 13000},
		{small, "replace", 3000},
		{large, "append", 10000},
	}
	for i, s := range steps {
		f.mustPush(append(target, "--input", s.input, "--mode", s.mode)...)
		if got := count(); got != s.want {
			t.Fatalf("step %d (%s): %d rows, want %d", i, s.mode, got, s.want)
		}
	}
	if recs := f.history(); len(recs) != len(steps) {
		t.Errorf("%d history records, want %d", len(recs), len(steps))
	}
}

func TestPushFIFO(t *testing.T) {
	t.Parallel()
	f := newFixtureWith(t, sandbox.Options{TimeScale: 3600})
	dir := t.TempDir()
	path := writeIDs(t, dir, 110_000)
	target := []string{"--group", demo.WorkspaceSales, "--dataset", "Stream", "--table", "T", "--retention", "fifo"}
	f.mustPush(append(target, "--input", path)...)
	id := f.datasetID(demo.WorkspaceSales, "Stream")
	for _, w := range f.state().Workspaces {
		for _, d := range w.Datasets {
			if d.ID == id && d.Retention != "basicFIFO" {
				t.Errorf("retention %q, want basicFIFO", d.Retention)
			}
		}
	}
	// The plan of an append that overflows the cap says rows will be dropped.
	stdout, _ := f.mustPush(append(target, "--input", path, "--mode", "append", "--dry-run")...)
	if !strings.Contains(stdout, "Warning") || !strings.Contains(stdout, "200,000") {
		t.Errorf("dry run of an overflowing FIFO append shows no warning:\n%s", stdout)
	}
	f.mustPush(append(target, "--input", path, "--mode", "append")...)
	rows := f.storedRows(id, "T")
	// basicFIFO keeps the newest rows: 200,000 (up to a batch more, as
	// Power BI's "200,000–210,000"), so all of the second run's and the
	// rest from the first.
	if n := len(rows); n < 200_000 || n > 210_000 {
		t.Fatalf("FIFO table holds %d rows", n)
	}
	seen := make([]bool, 110_000)
	for _, r := range rows {
		i, _ := strconv.Atoi(fmt.Sprint(r["id"]))
		seen[i] = true
	}
	for i, ok := range seen {
		if !ok {
			t.Fatalf("row %d of the second run was evicted", i)
		}
	}
}

// writeIDs writes a small CSV of n rows: id, and a text.
var writeIDs = sandboxtest.WriteIDs

func TestPushDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := writeTestCSV(t, t.TempDir(), 25000)
	before := f.state()
	target := []string{"--group", demo.WorkspaceSales, "--dataset", "Orders", "--table", "Orders", "--input", path, "--dry-run"}
	stdout, _ := f.mustPush(target...)
	for _, want := range []string{"create push dataset \"Orders\"", "25,000 rows in 3 batches", "ETA", "Int64", "Datetime", "pbiwb push"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("plan lacks %q:\n%s", want, stdout)
		}
	}
	stdout, _ = f.mustPush(append(target, "--json")...)
	var r push.PlanReport
	if err := json.Unmarshal([]byte(stdout), &r); err != nil {
		t.Fatalf("--dry-run --json is not one JSON document: %v\n%s", err, stdout)
	}
	if r.Rows != 25000 || r.Batches != 3 || r.Dataset.Exists || len(r.Columns) != 6 || r.ETASeconds < 0 {
		t.Errorf("plan: %+v", r)
	}
	if after := f.state(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("a dry run changed the sandbox")
	}
	if len(f.history()) != 0 {
		t.Errorf("a dry run was recorded as a run")
	}
}

func TestPushBadValueOnLine4000(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "bad.csv")
	var b strings.Builder
	b.WriteString("id,amount\n")
	for line := 2; line <= 6000; line++ {
		v := strconv.Itoa(line)
		if line == 4000 {
			v = "12,5" // quoted below: a comma decimal is no Int64
			fmt.Fprintf(&b, "%d,\"%s\"\n", line, v)
			continue
		}
		fmt.Fprintf(&b, "%d,%s\n", line, v)
	}
	os.WriteFile(path, []byte(b.String()), 0o600)
	for _, extra := range [][]string{nil, {"--dry-run"}} {
		args := append([]string{"--group", demo.WorkspaceSales, "--dataset", "Orders", "--table", "T", "--input", path, "--column", "amount=Int64"}, extra...)
		code, stdout, stderr := f.run(demoPasswordEnv, pushArgs(args...)...)
		if code != exitcode.Invalid {
			t.Fatalf("%v: exit %d, want 3\n%s", extra, code, stderr)
		}
		if out := stdout + stderr; !strings.Contains(out, "bad.csv:4000: column 2 (\"amount\")") || !strings.Contains(out, "[type]") {
			t.Errorf("%v: the finding does not name line 4000, its column and rule:\n%s%s", extra, stdout, stderr)
		}
		if out := stdout + stderr; !strings.Contains(out, `"12,5" is not a valid Int64: write a whole number such as 42 or -7, without decimals or thousands separators; or force the column to String with --column NAME=String [type]`) {
			t.Errorf("%v: the finding's advice is not the command line's:\n%s%s", extra, stdout, stderr)
		}
	}
	if ids := f.datasetIDs(demo.WorkspaceSales, "Orders"); len(ids) != 0 {
		t.Errorf("the sandbox was written to: %v", ids)
	}
	recs := f.history()
	if len(recs) != 1 || recs[0].ExitCode != exitcode.Invalid || recs[0].Outcome != outcome.Failed {
		t.Errorf("history of the refused run: %+v", recs)
	}
}

func TestPushUsage(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--group", "x"}, "--dataset, --table, --input"},
		{[]string{"--group", "x", "--dataset", "d", "--table", "t", "--input", "a.csv", "--mode", "upsert"}, "--mode"},
		{[]string{"--group", "x", "--dataset", "d", "--table", "t", "--input", "no-such.csv"}, "--input no-such.csv: no such file"},
		{[]string{"--group", "x", "--dataset", "d", "--table", "t", "--input", "."}, "--input . is a directory: give a CSV file"},
		{[]string{"--group", "x", "--dataset", "d", "--table", "t", "--input", "a.csv", "--column", "a=Money"}, "--column"},
		{[]string{"--group", "x", "--dataset", "d", "--table", "t", "--input", "a.csv", "--dry-run", "--resume"}, "--dry-run"},
		{[]string{"--group", "x", "--dataset", "d", "--table", "t", "--input", "a.csv", "--resume", "--restart"}, "--resume and --restart"},
	}
	for _, tt := range tests {
		code, _, stderr := f.run(demoPasswordEnv, pushArgs(tt.args...)...)
		if code != exitcode.Usage || !strings.Contains(stderr, tt.want) {
			t.Errorf("%v: exit %d, want 2 naming %q\n%s", tt.args, code, tt.want, stderr)
		}
	}
	domoEnv := map[string]string{EnvPassword: demo.Password, EnvDomoClientID: demo.DomoClientID, EnvDomoClientSecret: demo.DomoClientSecret}
	code, _, stderr := f.run(domoEnv, pushArgs("--group", demo.WorkspaceOperations, "--dataset", "d", "--table", "t", "--input", "domo:")...)
	if want := "--input domo: needs the DataSet's id"; code != exitcode.Usage || !strings.Contains(stderr, want) {
		t.Errorf("--input domo: exit %d, want 2 naming %q\n%s", code, want, stderr)
	}
}

func TestPushTargetProblems(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	ids := writeIDs(t, dir, 100)
	// A dataset "Orders" with table T (id Int64, label String).
	f.mustPush("--group", demo.WorkspaceOperations, "--dataset", "Orders", "--table", "T", "--input", ids)
	// The same names twice.
	f.mustPush("--group", demo.WorkspaceOperations, "--dataset", "Twice", "--table", "T", "--input", ids)
	twice := f.datasetID(demo.WorkspaceOperations, "Twice")
	dupFile := filepath.Join(dir, "dup.csv")
	os.WriteFile(dupFile, []byte("id,label\n1,a\n"), 0o600)
	createTwice(t, f, "Twice")

	typeMismatch := filepath.Join(dir, "mismatch.csv")
	os.WriteFile(typeMismatch, []byte("id,label\nA-1,a\n"), 0o600)

	tests := []struct {
		name  string
		args  []string
		code  exitcode.Code
		wants []string
	}{
		{"missing table", []string{"--group", demo.WorkspaceOperations, "--dataset", "Orders", "--table", "Other", "--input", ids},
			exitcode.Invalid, []string{"cannot add a table", "choose a new --dataset name (pbiwb creates it with the table)"}},
		{"type mismatch", []string{"--group", demo.WorkspaceOperations, "--dataset", "Orders", "--table", "T", "--input", typeMismatch},
			exitcode.Invalid, []string{"id"}},
		{"forced type mismatch", []string{"--group", demo.WorkspaceOperations, "--dataset", "Orders", "--table", "T", "--input", ids, "--column", "label=Int64"},
			exitcode.Invalid, []string{"label"}},
		{"several datasets", []string{"--group", demo.WorkspaceOperations, "--dataset", "Twice", "--table", "T", "--input", ids},
			exitcode.Invalid, []string{"several datasets", twice, "or choose another --dataset name"}},
		{"not a push dataset", []string{"--group", demo.WorkspaceFinance, "--dataset", demo.ImportedDatasetName, "--table", "Budget", "--input", ids},
			exitcode.Refused, []string{"not a push dataset", "choose another --dataset name and pbiwb creates"}},
		{"read-only workspace", []string{"--group", demo.WorkspaceExecutive, "--dataset", "Orders", "--table", "T", "--input", ids},
			exitcode.Refused, []string{"read-only", "or choose another --group"}},
		{"workspace not visible", []string{"--group", demo.WorkspaceHidden, "--dataset", "Orders", "--table", "T", "--input", ids},
			exitcode.Refused, []string{demo.WorkspaceHidden}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := fmt.Sprint(f.state())
			code, _, stderr := f.run(demoPasswordEnv, pushArgs(tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\n%s", code, tt.code, stderr)
			}
			for _, w := range tt.wants {
				if !strings.Contains(stderr, w) {
					t.Errorf("message lacks %q:\n%s", w, stderr)
				}
			}
			if after := fmt.Sprint(f.state()); after != before {
				t.Errorf("the sandbox changed")
			}
		})
	}
}

// createTwice creates a second push dataset of that name in Operations,
// as Power BI allows.
func createTwice(t *testing.T, f *fixture, name string) {
	t.Helper()
	c := demoClient(t, f)
	_, err := c.CreateDataset(context.Background(), demo.WorkspaceOperationsID, powerbi.CreateDataset{Name: name,
		Tables: []powerbi.Table{{Name: "T", Columns: []powerbi.Column{{Name: "id", DataType: "Int64"}}}}}, powerbi.RetentionNone)
	if err != nil {
		t.Fatalf("create a second %q: %v", name, err)
	}
}

// demoClient is a Power BI client of the fixture's sandbox as the demo user.
func demoClient(t testing.TB, f *fixture) *powerbi.Client {
	t.Helper()
	ctx := context.Background()
	ep, err := cloud.Sandbox(ctx, f.sb.URL())
	if err != nil {
		t.Fatal(err)
	}
	s, err := entra.New(ep, entra.Credentials{TenantID: demo.TenantID, ClientID: demo.ClientID, Username: demo.Username,
		Password: demo.Password, Method: entra.MethodPassword}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return powerbi.New(ep, s)
}

func TestPushAddsColumns(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	dir := t.TempDir()
	ids := writeIDs(t, dir, 100)
	f.mustPush("--group", demo.WorkspaceSales, "--dataset", "Grow", "--table", "T", "--input", ids)
	wider := filepath.Join(dir, "wider.csv")
	os.WriteFile(wider, []byte("id,label,extra\n1,a,2.5\n2,b,\n"), 0o600)
	stdout, _ := f.mustPush("--group", demo.WorkspaceSales, "--dataset", "Grow", "--table", "T", "--input", wider, "--dry-run")
	if !strings.Contains(stdout, "add columns extra Double") {
		t.Errorf("plan does not say it adds the column:\n%s", stdout)
	}
	f.mustPush("--group", demo.WorkspaceSales, "--dataset", "Grow", "--table", "T", "--input", wider, "--mode", "append")
	rows := f.storedRows(f.datasetID(demo.WorkspaceSales, "Grow"), "T")
	if len(rows) != 102 || fmt.Sprint(rows[100]["extra"]) != "2.5" || rows[101]["extra"] != nil {
		t.Errorf("after adding a column: %d rows, last %v %v", len(rows), rows[100], rows[101])
	}
}

// Faults injected into a push into an existing table all end with every
// row exactly once.
func TestPushFaultsExactlyOnce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		opts  sandbox.Options
		n     int
		fault string
		saw   string // what the progress shows when the sandbox counted failed POSTs
	}{
		{"5xx", sandbox.Options{TimeScale: 3600}, 60_000, `{"errorRate":0.3,"status":503}`, "retrying"},
		{"dropped after commit", sandbox.Options{TimeScale: 3600}, 100_000, `{"dropAfterCommitRate":0.3}`, ""},
		// throttleFor is real time; the sandbox scales the Retry-After it sends.
		{"429 storm", sandbox.Options{TimeScale: 3600}, 60_000, `{"throttleFor":"400ms"}`, "Retry-After"},
		// Tokens last a second; the push lasts several.
		{"token expiry", sandbox.Options{Latency: 120 * time.Millisecond, TokenLifetime: time.Second}, 30_000, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFixtureWith(t, tt.opts)
			n := tt.n
			path := writeIDs(t, t.TempDir(), n)
			target := []string{"--group", demo.WorkspaceSales, "--dataset", "Faults", "--table", "T"}
			f.mustPush(append(target, "--input", writeIDs(t, t.TempDir(), 10))...) // the dataset exists before the faults
			if tt.fault != "" {
				f.fault(tt.fault)
			}
			_, stderr := f.mustPush(append(target, "--input", path)...)
			f.fault(`{}`)
			c := f.counters(demo.WorkspaceSales, "Faults")
			if tt.saw != "" && c["postRowsFailed"]+c["postRowsThrottled"] > 0 && !strings.Contains(stderr, tt.saw) {
				t.Errorf("progress does not show %q:\n%s", tt.saw, stderr)
			}
			checkExactlyOnce(t, f.storedRows(f.datasetID(demo.WorkspaceSales, "Faults"), "T"), n)
		})
	}
}

// runCtx is f.run with a context.
func (f *fixture) runCtx(ctx context.Context, vars map[string]string, args ...string) (exitcode.Code, string, string) {
	env, out, errb := f.env(vars)
	code := Main(ctx, append([]string{"--sandbox", f.sb.URL(), "--home", f.home}, args...), env)
	return code, out.String(), errb.String()
}

// Ctrl-C part-way: exit 130 with the resume command; a run without --resume
// is refused in append mode; --resume writes only what is missing.
func TestPushInterruptThenResume(t *testing.T) {
	t.Parallel()
	// 30 batches at 100ms each, 5 at a time: the interrupt (after 2 batches)
	// still leaves batches unsent on a loaded machine, once the 5 in flight
	// are let finish.
	const n = 300_000
	f := newFixtureWith(t, sandbox.Options{TimeScale: 3600, Latency: 100 * time.Millisecond})
	path := writeIDs(t, t.TempDir(), n)
	target := []string{"--group", demo.WorkspaceSales, "--dataset", "Resume", "--table", "T", "--input", path, "--mode", "append"}
	f.mustPush("--group", demo.WorkspaceSales, "--dataset", "Resume", "--table", "T", "--input", writeIDs(t, t.TempDir(), 0))

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for ctx.Err() == nil {
			if c := f.counters(demo.WorkspaceSales, "Resume"); c["rowsAccepted"] > 20_000 {
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	code, _, stderr := f.runCtx(ctx, demoPasswordEnv, pushArgs(target...)...)
	if code != exitcode.Interrupted || !strings.Contains(stderr, "--resume") {
		t.Fatalf("interrupted: exit %d, want 130 with the resume command\n%s", code, stderr)
	}
	written := len(f.storedRows(f.datasetID(demo.WorkspaceSales, "Resume"), "T"))
	if written == 0 || written >= n {
		t.Fatalf("interrupted after %d rows: the test did not interrupt part-way", written)
	}

	code, _, stderr = f.run(demoPasswordEnv, pushArgs(target...)...)
	if code != exitcode.Usage || !strings.Contains(stderr, "--resume") || !strings.Contains(stderr, "--restart") {
		t.Fatalf("append over a checkpoint without --resume: exit %d, want 2\n%s", code, stderr)
	}
	_, stderr = f.mustPush(append(target, "--resume")...)
	if !strings.Contains(stderr, "resumed") {
		t.Errorf("the resumed run does not say so:\n%s", stderr)
	}
	checkExactlyOnce(t, f.storedRows(f.datasetID(demo.WorkspaceSales, "Resume"), "T"), n)

	// --resume once more, as a retry loop would: nothing to write, exit 0,
	// naming the run that wrote the rows.
	wrote := f.history()[0]
	_, stderr = f.mustPush(append(target, "--resume")...)
	if !strings.Contains(stderr, "nothing to write: run "+wrote.ID) {
		t.Errorf("--resume after success does not name the run that wrote the rows (%s):\n%s", wrote.ID, stderr)
	}
	checkExactlyOnce(t, f.storedRows(f.datasetID(demo.WorkspaceSales, "Resume"), "T"), n)
	var outcomes []string
	for _, r := range f.history() {
		outcomes = append(outcomes, string(r.Outcome))
	}
	if got := strings.Join(outcomes, ","); !strings.Contains(got, "succeeded,succeeded,failed,interrupted,succeeded") {
		t.Errorf("history outcomes (newest first): %s", got)
	}
}

// The user's report: Ctrl-C while POSTs wait at a slow server, then --resume
// at once. The POSTs in flight are let finish (their outcomes recorded), so
// nothing is left to settle and no late commit duplicates a batch: every
// row lands exactly once.
func TestPushInterruptWithPostsInFlightThenResume(t *testing.T) {
	t.Parallel()
	// 16 batches, 5 in flight at once: when the first lands, the next few may
	// already be dispatched (they all wait 2s at the server), and the
	// interrupt must still leave batches unsent.
	const n = 150_000
	f := newFixtureWith(t, sandbox.Options{TimeScale: 3600})
	path := writeIDs(t, t.TempDir(), n)
	target := []string{"--group", demo.WorkspaceSales, "--dataset", "InFlight", "--table", "T", "--input", path}
	// Every POST waits 2s at the server, then commits: longer than the
	// resume takes to count the table, so a POST cut off by the interrupt
	// would commit after that count, and be sent again.
	f.fault(`{"latency":"2s"}`)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cancelled := make(chan time.Time, 1)
	go func() {
		for ctx.Err() == nil {
			// The first batch landed and the next ones are at the server
			// (each held there 2s): a loaded machine may be slow to send them.
			if f.counters(demo.WorkspaceSales, "InFlight")["rowsAccepted"] > 0 && f.state().PostRowsInFlight > 0 {
				cancelled <- time.Now()
				cancel()
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}()
	code, _, stderr := f.runCtx(ctx, demoPasswordEnv, pushArgs(target...)...)
	if code != exitcode.Interrupted || !strings.Contains(stderr, "--resume") {
		t.Fatalf("interrupted: exit %d, want 130 with the resume command\n%s", code, stderr)
	}
	if !strings.Contains(stderr, "Stopping: waiting for") || !strings.Contains(stderr, "in flight (up to 15s; Ctrl-C again") {
		t.Errorf("the interrupted run does not say it waits for the batches in flight:\n%s", stderr)
	}
	select {
	case at := <-cancelled:
		// The POSTs in flight answer within 2s of the interrupt; the run
		// gives them stopGrace at most. (That it waited for them is what the
		// resume below checks: nothing to settle.)
		if d := time.Since(at); d > stopGrace {
			t.Errorf("the interrupted run ended %s after the interrupt: it waited longer than its grace of %s", d, stopGrace)
		}
	default:
		t.Fatal("the run ended before it was interrupted")
	}
	written := len(f.storedRows(f.datasetID(demo.WorkspaceSales, "InFlight"), "T"))
	if written == 0 || written >= n {
		t.Fatalf("interrupted after %d rows: the test did not interrupt part-way", written)
	}

	f.fault(`{}`)
	_, stderr = f.mustPush(append(target, "--resume")...)
	if strings.Contains(stderr, "settle") {
		t.Errorf("the resume had batches to settle, so the interrupted run did not record its POSTs in flight:\n%s", stderr)
	}
	checkExactlyOnce(t, f.storedRows(f.datasetID(demo.WorkspaceSales, "InFlight"), "T"), n)
}

// kill -9 at random moments, then --resume until the push succeeds: every
// row exactly once, round after round. The binary is built once, and pushes
// into a sandbox in this process (time-scaled, with latency so a push lasts
// long enough to be killed part-way).
func TestPushKill9ThenResume(t *testing.T) {
	t.Parallel()
	bin := pbiwbBinary(t)
	f := newFixtureWith(t, sandbox.Options{TimeScale: 3600, Latency: 20 * time.Millisecond})
	const n = 200_000 // 20 batches: most are still unsent when the POSTs turn slow
	path := writeIDs(t, t.TempDir(), n)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 9))
	env := append(os.Environ(), EnvPassword+"="+demo.Password, "PBIWB_HOME=", "PBIWB_SANDBOX=")

	// run runs the binary; killAt > 0 kills it at a moment of the write
	// phase that killAt chooses (the caller draws it at random), unless it
	// ends first.
	run := func(resume bool, killAt int64) (code exitcode.Code, stderr string) {
		args := append([]string{"--sandbox", f.sb.URL(), "--home", f.home}, pushArgs("--group", demo.WorkspaceSales,
			"--dataset", "Killed", "--table", "T", "--input", path)...)
		if resume {
			args = append(args, "--resume")
		}
		f.fault(`{}`)
		cmd := exec.Command(bin, args...)
		cmd.Env = env
		var errb strings.Builder
		cmd.Stderr = &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		if killAt > 0 {
			base := f.counters(demo.WorkspaceSales, "Killed")["rowsAccepted"]
			go func() {
				slow := false
				for {
					select {
					case <-done:
						return
					case <-time.After(2 * time.Millisecond):
					}
					accepted := f.counters(demo.WorkspaceSales, "Killed")["rowsAccepted"]
					if !slow && accepted > base {
						// Writing has begun: from now on POSTs wait 1.8s at
						// the server, which commits them after the run has
						// died. The resume, started at once, counts the table
						// before they land and must wait for them before
						// settling (push.Stability: counts 2s apart). The
						// pause lets slow POSTs replace the fast ones in flight.
						f.fault(`{"latency":"1800ms"}`)
						slow = true
						// Let the fast POSTs finish, wait until a slow one is
						// held at the server, then kill within 1s: it is
						// still waiting there when the run dies.
						time.Sleep(300 * time.Millisecond)
						for wait := time.Now(); time.Since(wait) < 10*time.Second; {
							select {
							case <-done: // finished with nothing left in flight: no kill
								return
							case <-time.After(5 * time.Millisecond):
							}
							if f.state().PostRowsInFlight > 0 {
								break
							}
						}
						time.Sleep(time.Duration(killAt%1000) * time.Millisecond)
					}
					if slow {
						cmd.Process.Kill() // SIGKILL
						return
					}
				}
			}()
		}
		err := cmd.Wait()
		close(done)
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0, errb.String()
		case errors.As(err, &ee) && ee.ExitCode() >= 0:
			return exitcode.Code(ee.ExitCode()), errb.String()
		case errors.As(err, &ee):
			return -1, errb.String() // killed
		}
		t.Fatal(err)
		return 0, ""
	}

	// Two rounds; more (up to six) until two runs were killed and a resume
	// settled POSTs left in flight (a kill waits for a POST held at the
	// server, so a run with none left to send is not killed).
	kills, resumed, settled, rounds := 0, 0, 0, 0
	for round := 0; round < 2 || ((settled == 0 || kills < 2) && round < 6); round++ {
		rounds++
		resume := false
		for attempt := 0; ; attempt++ {
			if attempt > 12 {
				t.Fatalf("round %d: no success after %d attempts", round, attempt)
			}
			var killAt int64
			if attempt < 2 { // kill the first runs of each round at a random moment of the write
				killAt = 1 + rng.Int64N(25_000)
			}
			code, stderr := run(resume, killAt)
			if strings.Contains(stderr, "already written") {
				resumed++
			}
			if strings.Contains(stderr, "to settle batches") {
				settled++
			}
			if code == -1 {
				kills++
				resume = true
				// The killed run's record already holds the command that
				// continues it (the wizard's History screen resumes from it).
				if h := f.history(); len(h) == 0 || !strings.Contains(h[0].ResumeHint, "--resume") {
					t.Errorf("the killed run's history record has no resume command: %+v", h)
				}
				continue
			}
			if code != 0 {
				t.Fatalf("round %d, attempt %d (resume %v): exit %d\n%s", round, attempt, resume, code, stderr)
			}
			break
		}
		checkExactlyOnce(t, f.storedRows(f.datasetID(demo.WorkspaceSales, "Killed"), "T"), n)
	}
	if kills < 2 || resumed == 0 || settled == 0 {
		t.Errorf("%d runs killed before they finished, %d resumed part-way, %d settled batches in flight: the test did not exercise resuming",
			kills, resumed, settled)
	}
	t.Logf("%d rounds, %d kills, %d runs resumed part-way, %d settled batches in flight", rounds, kills, resumed, settled)
}

// A push prints its plan's warnings before writing, as the dry run does:
// here that creating a push dataset ends on 2027-10-31 (the tests' clock is
// the machine's, within a year of it or past it).
func TestPushPrintsPlanWarnings(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	path := writeTestCSV(t, t.TempDir(), 10)
	code, _, stderr := f.run(demoPasswordEnv, pushArgs("--group", demo.WorkspaceSales, "--dataset", "Warned", "--table", "T", "--input", path)...)
	if code != exitcode.OK || !strings.Contains(stderr, "\nwarning: ") || !strings.Contains(stderr, "2027-10-31") {
		t.Errorf("exit %d; stderr lacks the creation warning:\n%s", code, stderr)
	}
	if i, j := strings.Index(stderr, "warning: "), strings.Index(stderr, "Writing "); i < 0 || j < 0 || i > j {
		t.Errorf("the warning is not before the writing:\n%s", stderr)
	}
}
