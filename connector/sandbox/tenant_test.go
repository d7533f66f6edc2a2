package sandbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
	"github.com/pbiwb/pbiwb/connector/sandbox/simtime"
)

// call sends a request to the sandbox and returns the status and body.
func call(t *testing.T, s *sandbox.Server, method, path, tok, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// pbiError is the *powerbi.Error in err, or fails the test.
func pbiError(t *testing.T, what string, err error) *powerbi.Error {
	t.Helper()
	var pe *powerbi.Error
	if !errors.As(err, &pe) {
		t.Fatalf("%s: %v (%T), want a *powerbi.Error", what, err, err)
	}
	return pe
}

func TestTenantSettingsEndpoint(t *testing.T) {
	s, _ := sandboxtest.Start(t, sandbox.Options{})
	today := s.Clock().Now().UTC().Format(time.DateOnly)
	defaults := fmt.Sprintf(`{"executeQueries":true,"servicePrincipalApis":true,"today":%q}`, today)
	if code, body := call(t, s, "GET", "/_sandbox/tenant", "", ""); code != 200 || body != defaults {
		t.Fatalf("GET: %d %s, want %s", code, body, defaults)
	}
	if code, body := call(t, s, "POST", "/_sandbox/tenant", "", `{"executeQueries":false}`); code != 200 ||
		body != fmt.Sprintf(`{"executeQueries":false,"servicePrincipalApis":true,"today":%q}`, today) {
		t.Fatalf("POST executeQueries: %d %s", code, body)
	}
	changed := `{"executeQueries":false,"servicePrincipalApis":false,"today":"2027-11-01"}`
	if code, body := call(t, s, "POST", "/_sandbox/tenant", "", `{"today":"2027-11-01","servicePrincipalApis":false}`); code != 200 || body != changed {
		t.Fatalf("POST today and servicePrincipalApis: %d %s", code, body)
	}
	for _, tc := range []struct{ body, names string }{
		{`{"executeQueries":"no"}`, "executeQueries must be true or false"},
		{`{"servicePrincipalApis":null}`, "servicePrincipalApis must be true or false"},
		{`{"today":"2027-02-30"}`, `today must be a date as \"YYYY-MM-DD\"`},
		{`{"today":20271101}`, `today must be a date`},
		{`{"executeQueries":true,"todays":"2027-11-01"}`, `unknown key \"todays\"`},
		{`[]`, "one JSON object"},
		{`nope`, "one JSON object"},
		{`{} {}`, "one JSON object"},
	} {
		code, body := call(t, s, "POST", "/_sandbox/tenant", "", tc.body)
		if code != 400 || !strings.Contains(body, tc.names) {
			t.Errorf("POST %s: %d %s, want 400 saying %s", tc.body, code, body, tc.names)
		}
	}
	if _, body := call(t, s, "GET", "/_sandbox/tenant", "", ""); body != changed {
		t.Errorf("bad bodies changed the settings: %s", body)
	}
	if code, _ := call(t, s, "PUT", "/_sandbox/tenant", "", "{}"); code != 405 {
		t.Errorf("PUT: %d", code)
	}
	if code, _ := call(t, s, "POST", "/_sandbox/reset", "", ""); code != 200 {
		t.Fatal("reset failed")
	}
	if _, body := call(t, s, "GET", "/_sandbox/tenant", "", ""); body != defaults {
		t.Errorf("after reset: %s, want %s", body, defaults)
	}
}

// sameJSON reports whether a and b are the same JSON value.
func sameJSON(a, b string) bool {
	var va, vb any
	return json.Unmarshal([]byte(a), &va) == nil && json.Unmarshal([]byte(b), &vb) == nil && reflect.DeepEqual(va, vb)
}

// bareNotAuthorized is the service's 401 without a detail.
const bareNotAuthorized = `{"error":{"code":"PowerBINotAuthorizedException","pbi.error":{"code":"PowerBINotAuthorizedException","parameters":{},"details":[],"exceptionCulprit":1}}}`

// With executeQueries off, counting answers the bare 401; writing still works.
func TestTenantExecuteQueriesOff(t *testing.T) {
	s, ep := sandboxtest.Start(t, sandbox.Options{})
	tok := sandboxtest.UserToken(t, s)
	c := powerbi.New(ep, powerbi.StaticToken(tok))
	ctx, ops, feed := context.Background(), demo.WorkspaceOperationsID, demo.SensorFeedDatasetID
	sandboxtest.Tenant(t, s, `{"executeQueries":false}`)
	_, err := c.CountRows(ctx, ops, feed, demo.SensorFeedTable)
	if pe := pbiError(t, "CountRows", err); pe.Status != 401 || pe.Code != powerbi.CodeNotAuthorized || len(pe.Details) != 0 {
		t.Fatalf("CountRows with executeQueries off: %+v", pe)
	}
	q := "/v1.0/myorg/groups/" + ops + "/datasets/" + feed + "/executeQueries"
	if code, body := call(t, s, "POST", q, tok, `{"queries":[{"query":"EVALUATE ROW(\"n\", COUNTROWS('Readings'))"}]}`); code != 401 || !sameJSON(body, bareNotAuthorized) {
		t.Errorf("executeQueries off: %d %s, want 401 %s", code, body, bareNotAuthorized)
	}
	if err := c.PostRows(ctx, ops, feed, demo.SensorFeedTable, []byte(`{"rows":[{"SensorId":"S-01"}]}`)); err != nil {
		t.Errorf("PostRows with executeQueries off: %v", err)
	}
	sandboxtest.Tenant(t, s, `{"executeQueries":true}`)
	if n, err := c.CountRows(ctx, ops, feed, demo.SensorFeedTable); err != nil || n != demo.SensorFeedRows {
		t.Errorf("executeQueries back on: %d, %v", n, err)
	}
}

// With service principal APIs off, every call with an app-only token answers
// the bare 401; users are not affected.
func TestTenantServicePrincipalAPIsOff(t *testing.T) {
	s, ep := sandboxtest.Start(t, sandbox.Options{})
	app := powerbi.New(ep, powerbi.StaticToken(sandboxtest.AppToken(t, s)))
	user := powerbi.New(ep, powerbi.StaticToken(sandboxtest.UserToken(t, s)))
	ctx, sales := context.Background(), demo.WorkspaceSalesID
	d, err := app.CreateDataset(ctx, sales, powerbi.CreateDataset{Name: "SP", Tables: []powerbi.Table{{Name: "T", Columns: []powerbi.Column{{Name: "id", DataType: "Int64"}}}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	sandboxtest.Tenant(t, s, `{"servicePrincipalApis":false}`)
	for what, call := range map[string]func() error{
		"Groups":     func() error { _, err := app.Groups(ctx, ""); return err },
		"Datasets":   func() error { _, err := app.Datasets(ctx, sales); return err },
		"Tables":     func() error { _, err := app.Tables(ctx, sales, d.ID); return err },
		"PostRows":   func() error { return app.PostRows(ctx, sales, d.ID, "T", []byte(`{"rows":[{"id":1}]}`)) },
		"CountRows":  func() error { _, err := app.CountRows(ctx, sales, d.ID, "T"); return err },
		"DeleteRows": func() error { return app.DeleteRows(ctx, sales, d.ID, "T") },
	} {
		if pe := pbiError(t, what, call()); pe.Status != 401 || pe.Code != powerbi.CodeNotAuthorized || len(pe.Details) != 0 || !pe.AppOnly {
			t.Errorf("%s as the service principal: %+v", what, pe)
		}
	}
	tok := sandboxtest.AppToken(t, s)
	if code, body := call(t, s, "GET", "/v1.0/myorg/groups", tok, ""); code != 401 || !sameJSON(body, bareNotAuthorized) {
		t.Errorf("GET groups: %d %s, want 401 %s", code, body, bareNotAuthorized)
	}
	if _, err := user.Groups(ctx, ""); err != nil {
		t.Errorf("a user with service principal APIs off: %v", err)
	}
	sandboxtest.Tenant(t, s, `{"servicePrincipalApis":true}`)
	if _, err := app.Datasets(ctx, sales); err != nil {
		t.Errorf("service principal APIs back on: %v", err)
	}
}

// From 2027-11-01 creating a push dataset is refused; the existing ones
// still take rows, schema changes, deletes and queries.
func TestTenantCreationCutOff(t *testing.T) {
	s, ep := sandboxtest.Start(t, sandbox.Options{})
	c := powerbi.New(ep, powerbi.StaticToken(sandboxtest.UserToken(t, s)))
	ctx, sales := context.Background(), demo.WorkspaceSalesID
	table := powerbi.Table{Name: "T", Columns: []powerbi.Column{{Name: "id", DataType: "Int64"}}}
	sandboxtest.Tenant(t, s, `{"today":"2027-10-31"}`)
	d, err := c.CreateDataset(ctx, sales, powerbi.CreateDataset{Name: "Last day", Tables: []powerbi.Table{table}}, "")
	if err != nil {
		t.Fatalf("on the last day: %v", err)
	}
	sandboxtest.Tenant(t, s, `{"today":"2027-11-01"}`)
	for _, group := range []string{sales, powerbi.MyWorkspace} {
		_, err = c.CreateDataset(ctx, group, powerbi.CreateDataset{Name: "Too late", Tables: []powerbi.Table{table}}, powerbi.RetentionFIFO)
		if pe := pbiError(t, "CreateDataset", err); pe.Status != 400 || pe.Code != "PushDatasetCreationNotSupported" || !strings.Contains(pe.Message, "ended on 2027-10-31") {
			t.Errorf("creating in %q after the cut-off: %+v", group, pe)
		}
	}
	if err := c.PostRows(ctx, sales, d.ID, "T", []byte(`{"rows":[{"id":1},{"id":2}]}`)); err != nil {
		t.Errorf("PostRows after the cut-off: %v", err)
	}
	wider := powerbi.Table{Name: "T", Columns: []powerbi.Column{{Name: "id", DataType: "Int64"}, {Name: "note", DataType: "String"}}}
	if err := c.PutTable(ctx, sales, d.ID, wider); err != nil {
		t.Errorf("PutTable after the cut-off: %v", err)
	}
	if n, err := c.CountRows(ctx, sales, d.ID, "T"); err != nil || n != 2 {
		t.Errorf("CountRows after the cut-off: %d, %v", n, err)
	}
	if err := c.DeleteRows(ctx, sales, d.ID, "T"); err != nil {
		t.Errorf("DeleteRows after the cut-off: %v", err)
	}
	if ids := sandboxtest.GetState(t, s).DatasetIDs(demo.WorkspaceSales, "Too late"); len(ids) != 0 {
		t.Errorf("a refused creation made datasets %v", ids)
	}
}

// executeQueries allows 120 calls per minute per user, on the sandbox
// clock: at time scale 60 a minute lasts a second.
func TestTenantQueriesPerMinute(t *testing.T) {
	s, ep := sandboxtest.Start(t, sandbox.Options{TimeScale: 60})
	fake := simtime.NewFake(time.Now())
	s.Clock().SetNow(fake.Now)
	noRetry := powerbi.WithRetry(powerbi.RetryPolicy{})
	user := powerbi.New(ep, powerbi.StaticToken(sandboxtest.UserToken(t, s)), noRetry)
	ctx, ops, feed := context.Background(), demo.WorkspaceOperationsID, demo.SensorFeedDatasetID
	for i := range 120 {
		if _, err := user.CountRows(ctx, ops, feed, demo.SensorFeedTable); err != nil {
			t.Fatalf("query %d: %v", i+1, err)
		}
	}
	fake.Advance(250 * time.Millisecond)
	_, err := user.CountRows(ctx, ops, feed, demo.SensorFeedTable)
	if pe := pbiError(t, "the 121st query", err); pe.Status != 429 || pe.RetryAfter != 750*time.Millisecond ||
		!strings.Contains(pe.Message, "120 executeQueries requests per minute per user") {
		t.Fatalf("the 121st query: %+v", pe)
	}
	// Per user: the service principal has its own minute (Sales Analytics is its workspace).
	app := powerbi.New(ep, powerbi.StaticToken(sandboxtest.AppToken(t, s)), noRetry)
	d, err := app.CreateDataset(ctx, demo.WorkspaceSalesID, powerbi.CreateDataset{Name: "Q", Tables: []powerbi.Table{{Name: "T", Columns: []powerbi.Column{{Name: "id", DataType: "Int64"}}}}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := app.CountRows(ctx, demo.WorkspaceSalesID, d.ID, "T"); err != nil {
		t.Errorf("another identity: %v", err)
	}
	fake.Advance(750*time.Millisecond - time.Microsecond)
	if _, err := user.CountRows(ctx, ops, feed, demo.SensorFeedTable); pbiError(t, "just early", err).Status != 429 {
		t.Errorf("just early: %v", err)
	}
	fake.Advance(time.Microsecond)
	if _, err := user.CountRows(ctx, ops, feed, demo.SensorFeedTable); err != nil {
		t.Errorf("once the oldest query left the minute: %v", err)
	}
}
