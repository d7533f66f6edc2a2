package powerbi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/simtime"
)

// These tests drive the client against a real sandbox: its Entra ID issues
// the tokens and its Power BI emulator answers.

func sandboxClient(t *testing.T, opts sandbox.Options) (*sandbox.Server, cloud.Endpoints, *Client, *sandboxTokens) {
	t.Helper()
	s, ep := startSandbox(t, opts)
	src := userTokens(ep)
	return s, ep, New(ep, src), src
}

// sandboxPost calls a /_sandbox/ endpoint.
func sandboxPost(t *testing.T, ep cloud.Endpoints, path, body string) {
	t.Helper()
	resp, err := ep.HTTP.Post(ep.APIBase+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("POST %s: %s %s", path, resp.Status, b)
	}
}

func TestSandboxGroups(t *testing.T) {
	_, ep, c, _ := sandboxClient(t, sandbox.Options{})
	ctx := context.Background()
	groups, err := c.Groups(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range groups {
		names = append(names, g.Name)
		if g.Name == demo.WorkspaceExecutive && !g.IsReadOnly {
			t.Errorf("%s is not read-only", g.Name)
		}
	}
	for _, want := range []string{demo.WorkspaceSales, demo.WorkspaceFinance, demo.WorkspaceOperations, demo.WorkspaceExecutive} {
		if !slices.Contains(names, want) {
			t.Errorf("workspaces %q lack %q", names, want)
		}
	}
	if slices.Contains(names, demo.WorkspaceHidden) {
		t.Errorf("the demo user sees %q", demo.WorkspaceHidden)
	}

	c.pageSize = 2 // exercise $top/$skip paging on the emulator
	paged, err := c.Groups(ctx, "")
	if err != nil || fmt.Sprint(paged) != fmt.Sprint(groups) {
		t.Errorf("paged = %v, %v; want %v", paged, err, groups)
	}
	filtered, err := c.Groups(ctx, "contains(name,'Sales') or name eq 'Finance'")
	if err != nil || len(filtered) != 2 {
		t.Errorf("filtered = %v, %v", filtered, err)
	}

	for _, key := range []string{demo.WorkspaceSales, strings.ToUpper(demo.WorkspaceSales), demo.WorkspaceSalesID} {
		g, err := c.FindGroup(ctx, key)
		if err != nil || g.ID != demo.WorkspaceSalesID {
			t.Errorf("FindGroup(%q) = %+v, %v", key, g, err)
		}
	}
	if g, err := c.FindGroup(ctx, "my workspace"); err != nil || g.ID != MyWorkspace {
		t.Errorf("FindGroup(my workspace) = %+v, %v", g, err)
	}
	_, err = c.FindGroup(ctx, "Nope")
	if !errors.Is(err, ErrNoSuchGroup) || !strings.Contains(err.Error(), `"Finance"`) {
		t.Errorf("FindGroup(Nope) = %v", err)
	}

	// A workspace without access, by ID: the service's refusal comes through.
	_, err = c.FindGroup(ctx, demo.WorkspaceHiddenID)
	if !IsAuth(err) || !strings.Contains(Advice(err, nil), "not a member of workspace "+demo.WorkspaceHiddenID) {
		t.Errorf("FindGroup(hidden) = %v\nadvice: %s", err, Advice(err, nil))
	}
	_, err = c.Datasets(ctx, demo.WorkspaceHiddenID)
	var pe *Error
	if !errors.As(err, &pe) || pe.Status != 401 || pe.Code != CodeNotAuthorized || pe.RequestID == "" {
		t.Errorf("Datasets(hidden) = %v", err)
	}
	if adv := Advice(err, nil); !strings.Contains(adv, "RequestId "+pe.RequestID) {
		t.Errorf("advice lacks the RequestId: %s", adv)
	}

	// The service principal is a member of Sales Analytics only, and has no My workspace.
	app := New(ep, appTokens(ep))
	spGroups, err := app.Groups(ctx, "")
	if err != nil || len(spGroups) != 1 || spGroups[0].ID != demo.WorkspaceSalesID {
		t.Errorf("service principal groups = %v, %v", spGroups, err)
	}
	_, err = app.Datasets(ctx, demo.WorkspaceFinanceID)
	if adv := Advice(err, nil); !strings.Contains(adv, "Service principals can use Fabric APIs") {
		t.Errorf("service principal in Finance: %v\nadvice: %s", err, adv)
	}
	_, err = app.Datasets(ctx, MyWorkspace)
	if adv := Advice(err, nil); !strings.Contains(adv, "no My workspace") {
		t.Errorf("service principal in My workspace: %v\nadvice: %s", err, adv)
	}
}

// TestSandboxPushLifecycle walks a push dataset's life in a workspace and in
// My workspace: create, list, put table with an added column, post, count,
// top n, delete rows, delete the dataset.
func TestSandboxPushLifecycle(t *testing.T) {
	_, _, c, _ := sandboxClient(t, sandbox.Options{})
	ctx := context.Background()
	for _, ws := range []struct{ name, id string }{{"Sales Analytics", demo.WorkspaceSalesID}, {"My workspace", MyWorkspace}} {
		t.Run(ws.name, func(t *testing.T) {
			table := Table{Name: "Orders #1", Columns: []Column{{Name: "id", DataType: "Int64"}, {Name: "name", DataType: "String"}}}
			d, err := c.CreateDataset(ctx, ws.id, CreateDataset{Name: "pbiwb test", Tables: []Table{table}}, "none")
			if err != nil {
				t.Fatal(err)
			}
			if d.ID == "" || d.Name != "pbiwb test" || d.DefaultRetentionPolicy != RetentionNone {
				t.Errorf("created %+v", d)
			}
			got, err := c.FindDataset(ctx, ws.id, "pbiwb test")
			if err != nil || got.ID != d.ID || !got.IsPush() {
				t.Errorf("FindDataset = %+v, %v", got, err)
			}
			if got, err := c.Dataset(ctx, ws.id, d.ID); err != nil || got.ID != d.ID {
				t.Errorf("Dataset = %+v, %v", got, err)
			}

			table.Columns = append(table.Columns, Column{Name: "amount", DataType: "Double"})
			if err := c.PutTable(ctx, ws.id, d.ID, table); err != nil {
				t.Fatal(err)
			}
			tables, err := c.Tables(ctx, ws.id, d.ID)
			if err != nil || len(tables) != 1 || tables[0].Name != table.Name {
				t.Fatalf("Tables = %+v, %v", tables, err)
			}
			// The sandbox lists columns (whether the real service does is UNCONFIRMED).
			if cols := tables[0].Columns; len(cols) != 3 || cols[2].Name != "amount" || !strings.EqualFold(cols[2].DataType, "Double") {
				t.Errorf("columns after PUT = %+v", cols)
			}

			if n, err := c.CountRows(ctx, ws.id, d.ID, table.Name); err != nil || n != 0 {
				t.Errorf("CountRows of a new table = %d, %v", n, err)
			}
			var body bytes.Buffer
			body.WriteString(`{"rows":[`)
			for i := range 25 {
				if i > 0 {
					body.WriteByte(',')
				}
				fmt.Fprintf(&body, `{"id":%d,"name":"row %d","amount":%d.5}`, i, i, i)
			}
			body.WriteString(`]}`)
			for range 2 {
				if err := c.PostRows(ctx, ws.id, d.ID, table.Name, body.Bytes()); err != nil {
					t.Fatal(err)
				}
			}
			if n, err := c.CountRows(ctx, ws.id, d.ID, table.Name); err != nil || n != 50 {
				t.Errorf("CountRows = %d, %v; want 50", n, err)
			}
			top, err := c.TopN(ctx, ws.id, d.ID, table.Name, 3)
			if err != nil || len(top) != 3 {
				t.Fatalf("TopN = %v, %v", top, err)
			}
			for _, r := range top {
				if _, ok := r["id"]; !ok || !strings.HasPrefix(fmt.Sprint(r["name"]), "row ") {
					t.Errorf("TopN row %v lacks plain column keys", r)
				}
			}

			if err := c.DeleteRows(ctx, ws.id, d.ID, table.Name); err != nil {
				t.Fatal(err)
			}
			if n, err := c.CountRows(ctx, ws.id, d.ID, table.Name); err != nil || n != 0 {
				t.Errorf("CountRows after delete = %d, %v", n, err)
			}

			// A table that does not exist: ItemNotFound.
			err = c.PostRows(ctx, ws.id, d.ID, "Nope", body.Bytes())
			if !IsNotFound(err) || IsNotPushDataset(err) {
				t.Errorf("post to unknown table: %v", err)
			}
			// A malformed body: BadRequest with details.
			err = c.PostRows(ctx, ws.id, d.ID, table.Name, []byte(`{"rows":[{"id":"not a number"}]}`))
			var pe *Error
			if !errors.As(err, &pe) || pe.Status != 400 || !strings.Contains(Advice(err, nil), "invalid") {
				t.Errorf("bad value: %v", err)
			}

			if err := c.DeleteDataset(ctx, ws.id, d.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Dataset(ctx, ws.id, d.ID); !IsNotFound(err) {
				t.Errorf("deleted dataset: %v", err)
			}
			if _, err := c.FindDataset(ctx, ws.id, "pbiwb test"); !errors.Is(err, ErrNoSuchDataset) {
				t.Errorf("FindDataset after delete: %v", err)
			}
		})
	}
}

func TestSandboxNotPushDataset(t *testing.T) {
	_, _, c, _ := sandboxClient(t, sandbox.Options{})
	ctx := context.Background()
	d, err := c.Dataset(ctx, demo.WorkspaceFinanceID, demo.ImportedDatasetID)
	if err != nil || d.IsPush() {
		t.Errorf("imported dataset = %+v, %v", d, err)
	}
	for name, call := range map[string]func() error{
		"tables": func() error { _, err := c.Tables(ctx, demo.WorkspaceFinanceID, demo.ImportedDatasetID); return err },
		"post rows": func() error {
			return c.PostRows(ctx, demo.WorkspaceFinanceID, demo.ImportedDatasetID, "T", []byte(`{"rows":[]}`))
		},
	} {
		err := call()
		if !IsNotPushDataset(err) {
			t.Errorf("%s: %v", name, err)
		}
		if adv := Advice(err, nil); !strings.Contains(adv, "not created through the push API") || !strings.Contains(adv, "RequestId ") {
			t.Errorf("%s advice: %s", name, adv)
		}
	}
}

func TestSandboxReadOnlyWorkspace(t *testing.T) {
	_, _, c, _ := sandboxClient(t, sandbox.Options{})
	_, err := c.CreateDataset(context.Background(), demo.WorkspaceExecutiveID, CreateDataset{Name: "x",
		Tables: []Table{{Name: "T", Columns: []Column{{Name: "a", DataType: "Int64"}}}}}, "")
	if !IsAuth(err) || !strings.Contains(Advice(err, nil), "read-only") {
		t.Errorf("create in read-only workspace: %v\nadvice: %s", err, Advice(err, nil))
	}
}

// TestSandboxExpiredTokenRefreshed moves the sandbox clock past the token's
// expiry: the token source still believes its token valid (its own clock),
// Power BI answers 403 TokenExpired, and the client refreshes and replays.
func TestSandboxExpiredTokenRefreshed(t *testing.T) {
	s, _, c, src := sandboxClient(t, sandbox.Options{TokenLifetime: 10 * time.Minute})
	fake := simtime.NewFake(time.Now())
	s.Clock().SetNow(fake.Now)
	ctx := context.Background()
	d, err := c.CreateDataset(ctx, demo.WorkspaceSalesID, CreateDataset{Name: "expiry",
		Tables: []Table{{Name: "T", Columns: []Column{{Name: "a", DataType: "Int64"}}}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	var seen []Exchange
	c.observe = func(e Exchange) { seen = append(seen, e) }

	fake.Advance(11 * time.Minute)
	if err := c.PostRows(ctx, demo.WorkspaceSalesID, d.ID, "T", []byte(`{"rows":[{"a":1}]}`)); err != nil {
		t.Fatalf("PostRows with an expired token: %v", err)
	}
	if src.count() != 2 {
		t.Errorf("%d token fetches, want 2 (the first and one refresh)", src.count())
	}
	if len(seen) != 2 || seen[0].Status != 403 || seen[1].Status != 200 || seen[0].RequestID == "" {
		t.Errorf("exchanges = %+v", seen)
	}
	if n, err := c.CountRows(ctx, demo.WorkspaceSalesID, d.ID, "T"); err != nil || n != 1 {
		t.Errorf("rows after the replay = %d, %v; want exactly 1", n, err)
	}
}

func TestSandboxThrottled(t *testing.T) {
	_, ep, c, _ := sandboxClient(t, sandbox.Options{})
	ctx := context.Background()
	d, err := c.CreateDataset(ctx, demo.WorkspaceSalesID, CreateDataset{Name: "throttle",
		Tables: []Table{{Name: "T", Columns: []Column{{Name: "a", DataType: "Int64"}}}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	sandboxPost(t, ep, "/_sandbox/faults", `{"throttleFor":"30s"}`)
	err = c.PostRows(ctx, demo.WorkspaceSalesID, d.ID, "T", []byte(`{"rows":[{"a":1}]}`))
	var pe *Error
	if !IsThrottled(err) || !errors.As(err, &pe) || pe.RetryAfter <= 25*time.Second || pe.RetryAfter > 30*time.Second {
		t.Fatalf("err = %v, want 429 with RetryAfter about 30s", err)
	}
	if adv := Advice(err, nil); !strings.Contains(adv, "throttling") || !strings.Contains(adv, "wait 30s") && !strings.Contains(adv, "wait 29s") {
		t.Errorf("advice: %s", adv)
	}
	sandboxPost(t, ep, "/_sandbox/faults", `{}`)
}

// TestSandboxDropAfterCommitIsAmbiguous: the sandbox stores the rows, then
// cuts the connection. The client reports ErrAmbiguous; counting settles it.
func TestSandboxDropAfterCommitIsAmbiguous(t *testing.T) {
	_, ep, c, _ := sandboxClient(t, sandbox.Options{})
	ctx := context.Background()
	d, err := c.CreateDataset(ctx, demo.WorkspaceSalesID, CreateDataset{Name: "drop",
		Tables: []Table{{Name: "T", Columns: []Column{{Name: "a", DataType: "Int64"}}}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	sandboxPost(t, ep, "/_sandbox/faults", `{"dropAfterCommitRate":1}`)
	err = c.PostRows(ctx, demo.WorkspaceSalesID, d.ID, "T", []byte(`{"rows":[{"a":1},{"a":2}]}`))
	if !errors.Is(err, ErrAmbiguous) {
		t.Fatalf("err = %v, want ErrAmbiguous", err)
	}
	sandboxPost(t, ep, "/_sandbox/faults", `{}`)
	if n, err := c.CountRows(ctx, demo.WorkspaceSalesID, d.ID, "T"); err != nil || n != 2 {
		t.Errorf("CountRows = %d, %v; want 2 (stored before the drop)", n, err)
	}
}

func TestSandboxLimits(t *testing.T) {
	_, _, c, _ := sandboxClient(t, sandbox.Options{TimeScale: 3600})
	l, err := c.Limits(context.Background())
	if err != nil || l.TimeScale != 3600 || l.PostsPerMinute != 120 || l.MaxRowsPerPost != 10_000 {
		t.Errorf("Limits = %+v, %v", l, err)
	}
}

// BenchmarkSandboxPostRows measures the client's round trip for 1,000-row
// batches against a time-scaled sandbox (so its quotas do not dominate).
func BenchmarkSandboxPostRows(b *testing.B) {
	s, err := sandbox.New(sandbox.Options{TimeScale: 1e6})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	ep, err := cloud.Sandbox(ctx, s.URL())
	if err != nil {
		b.Fatal(err)
	}
	c := New(ep, userTokens(ep))
	d, err := c.CreateDataset(ctx, demo.WorkspaceSalesID, CreateDataset{Name: "bench",
		Tables: []Table{{Name: "T", Columns: []Column{{Name: "id", DataType: "Int64"}, {Name: "s", DataType: "String"}}}}}, "fifo")
	if err != nil {
		b.Fatal(err)
	}
	var body bytes.Buffer
	body.WriteString(`{"rows":[`)
	for i := range 1000 {
		if i > 0 {
			body.WriteByte(',')
		}
		fmt.Fprintf(&body, `{"id":%d,"s":"value %d"}`, i, i)
	}
	body.WriteString(`]}`)
	throttled := 0
	b.ResetTimer()
	for b.Loop() {
		for {
			err := c.PostRows(ctx, demo.WorkspaceSalesID, d.ID, "T", body.Bytes())
			var pe *Error
			if errors.As(err, &pe) && IsThrottled(err) {
				throttled++
				time.Sleep(pe.RetryAfter)
				continue
			}
			if err != nil {
				b.Fatal(err)
			}
			break
		}
	}
	b.ReportMetric(float64(b.N*1000)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(throttled), "429s")
}
