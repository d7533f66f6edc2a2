package domo

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/redact"
	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/domoapi"
	"github.com/pbiwb/pbiwb/connector/sandbox/sandboxtest"
)

// testSandbox starts a real sandbox and returns its endpoints, with a counter
// of the token requests the client makes.
func testSandbox(t *testing.T) (cloud.Endpoints, *atomic.Int32) {
	t.Helper()
	_, ep := sandboxtest.Start(t, sandbox.Options{})
	tokens := new(atomic.Int32)
	next := ep.HTTP.Transport
	ep.HTTP = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.URL.Path == "/oauth/token" {
			tokens.Add(1)
		}
		return next.RoundTrip(r)
	})}
	// Before the sandbox shuts down (cleanups run last-in first-out): an
	// unused connection left from concurrent dials would hold Shutdown 5 s.
	if tr, ok := next.(interface{ CloseIdleConnections() }); ok {
		t.Cleanup(tr.CloseIdleConnections)
	}
	return ep, tokens
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func resetSandbox(t *testing.T, ep cloud.Endpoints) {
	t.Helper()
	resp, err := ep.HTTP.Post(ep.DomoBase+"/_sandbox/reset", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("reset: %s", resp.Status)
	}
}

func TestDataSetMetadata(t *testing.T) {
	ep, tokens := testSandbox(t)
	c := New(ep, demo.DomoClientID, demo.DomoClientSecret)
	ctx := context.Background()

	ds, err := c.DataSet(ctx, demo.DomoDataSetID)
	if err != nil {
		t.Fatal(err)
	}
	want := domoapi.SalesOrders()
	if ds.ID != want.ID || ds.Name != want.Name || ds.Rows != int64(want.RowCount) || ds.Columns != len(want.Columns) ||
		ds.Owner.ID != "964382593" || ds.Owner.Name == "" || ds.CreatedAt.IsZero() || ds.DataCurrentAt.IsZero() {
		t.Errorf("DataSet = %+v", ds)
	}
	if len(ds.Schema) != len(want.Columns) {
		t.Fatalf("schema has %d columns, want %d", len(ds.Schema), len(want.Columns))
	}
	for i, col := range want.Columns {
		if ds.Schema[i] != (Column{Name: col.Name, Type: col.Type}) {
			t.Errorf("column %d = %+v, want %+v", i, ds.Schema[i], col)
		}
	}

	// The token is cached: a second call signs in no more.
	if _, err := c.DataSet(ctx, " "+demo.DomoDataSetID+" "); err != nil {
		t.Fatal(err)
	}
	if n := tokens.Load(); n != 1 {
		t.Errorf("%d token requests for two calls, want 1", n)
	}

	// Shortly before expiry the token is renewed before use.
	c.now = func() time.Time { return time.Now().Add(3599*time.Second - 30*time.Second) }
	if _, err := c.DataSet(ctx, demo.DomoDataSetID); err != nil {
		t.Fatal(err)
	}
	if n := tokens.Load(); n != 2 {
		t.Errorf("%d token requests after expiry, want 2", n)
	}
}

// TestExport streams the demo DataSet and checks every cell against the
// generator, including NULL (empty unquoted) versus "" (quoted empty) in the
// raw bytes, which encoding/csv alone cannot tell apart.
func TestExport(t *testing.T) {
	ep, _ := testSandbox(t)
	c := New(ep, demo.DomoClientID, demo.DomoClientSecret)
	body, err := c.Export(context.Background(), demo.DomoDataSetID)
	if err != nil {
		t.Fatal(err)
	}
	var raw bytes.Buffer
	r := csv.NewReader(io.TeeReader(body, &raw))
	r.ReuseRecord = false
	want := domoapi.SalesOrders()

	header, err := r.Read()
	if err != nil {
		t.Fatal(err)
	}
	for i, col := range want.Columns {
		if header[i] != col.Name {
			t.Errorf("header[%d] = %q, want %q", i, header[i], col.Name)
		}
	}
	type cellPos struct{ line, col int }
	var positions [][]cellPos
	var records [][]string
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pos := make([]cellPos, len(rec))
		for j := range rec {
			pos[j].line, pos[j].col = r.FieldPos(j)
		}
		records = append(records, rec)
		positions = append(positions, pos)
	}
	if err := body.Close(); err != nil {
		t.Fatal(err)
	}
	if len(records) != want.RowCount {
		t.Fatalf("%d rows, want %d", len(records), want.RowCount)
	}

	lineStart := []int{0}
	for i, b := range raw.Bytes() {
		if b == '\n' {
			lineStart = append(lineStart, i+1)
		}
	}
	nulls, empties := 0, 0
	for i, row := range want.Rows() {
		for j, v := range row {
			if records[i][j] != v.Text {
				t.Fatalf("row %d %q = %q, want %q", i, want.Columns[j].Name, records[i][j], v.Text)
			}
			p := positions[i][j]
			quoted := raw.Bytes()[lineStart[p.line-1]+p.col-1] == '"'
			switch {
			case v.Null && quoted:
				t.Fatalf("row %d %q: NULL exported quoted", i, want.Columns[j].Name)
			case v.Null:
				nulls++
			case v.Text == "" && !quoted:
				t.Fatalf("row %d %q: empty string exported unquoted (reads as NULL)", i, want.Columns[j].Name)
			case v.Text == "":
				empties++
			}
		}
	}
	if nulls == 0 || empties == 0 {
		t.Errorf("checked %d NULLs and %d empty strings; the demo must have both", nulls, empties)
	}
}

func TestFailures(t *testing.T) {
	t.Cleanup(redact.Reset) // the swapped case makes the demo client ID a secret of this process
	ep, _ := testSandbox(t)
	const leaky = "sandbox-domo-secret-WRONG"
	good := New(ep, demo.DomoClientID, demo.DomoClientSecret)
	tests := []struct {
		name     string
		call     func(ctx context.Context) error
		kind     error
		wantText []string
		wantTOE  bool
	}{
		{"bad secret", func(ctx context.Context) error {
			_, err := New(ep, demo.DomoClientID, leaky).DataSet(ctx, demo.DomoDataSetID)
			return err
		}, ErrSignIn, []string{`client ID "sandbox-domo-client"`, "Bad credentials", "Manage Clients"}, true},
		{"bad secret on export", func(ctx context.Context) error {
			_, err := New(ep, demo.DomoClientID, leaky).Export(ctx, demo.DomoDataSetID)
			return err
		}, ErrSignIn, []string{"Bad credentials"}, true},
		{"sign in only", func(ctx context.Context) error {
			return New(ep, "nobody", leaky).SignIn(ctx)
		}, ErrSignIn, []string{`"nobody"`}, true},
		{"client without the data scope", func(ctx context.Context) error {
			_, err := New(ep, domoapi.ClientIDUserScopeOnly, demo.DomoClientSecret).DataSet(ctx, demo.DomoDataSetID)
			return err
		}, ErrAccessDenied, []string{"data scope", "Invalid scope: data", "HTTP 400"}, false},
		{"unknown DataSet", func(ctx context.Context) error {
			_, err := good.DataSet(ctx, "00000000-0000-4000-8000-000000000000")
			return err
		}, ErrNotFound, []string{"no DataSet 00000000-0000-4000-8000-000000000000", "HTTP 404"}, true},
		{"unknown DataSet on export (406 page)", func(ctx context.Context) error {
			_, err := good.Export(ctx, "00000000-0000-4000-8000-000000000000")
			return err
		}, ErrNotFound, []string{"HTTP 406", "caused by NotFoundException"}, false},
		{"DataSet the client's user does not own", func(ctx context.Context) error {
			_, err := good.DataSet(ctx, domoapi.RestrictedDataSetID)
			return err
		}, ErrAccessDenied, []string{"Infrastructure problem (403): Access is denied", "co-own", "data scope"}, true},
		{"export of a DataSet the client's user does not own", func(ctx context.Context) error {
			_, err := good.Export(ctx, domoapi.RestrictedDataSetID)
			return err
		}, ErrAccessDenied, []string{"Access is denied", "co-own"}, false},
		{"not a GUID", func(ctx context.Context) error {
			_, err := good.DataSet(ctx, "Sales Orders")
			return err
		}, ErrInvalidID, []string{"the DataSet id given is not a Domo DataSet id", "not repeated", "address bar"}, false},
		{"client ID and secret swapped", func(ctx context.Context) error {
			_, err := New(ep, demo.DomoClientSecret, demo.DomoClientID).DataSet(ctx, demo.DomoDataSetID)
			return err
		}, ErrSignIn, []string{"client ID *** and its secret", "looks like a client secret", "are not swapped"}, true},
		{"not a GUID on export", func(ctx context.Context) error {
			_, err := good.Export(ctx, "845305d8-da3d-4107-a9d6")
			return err
		}, ErrInvalidID, []string{"GUID"}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call(context.Background())
			if !errors.Is(err, tc.kind) {
				t.Fatalf("error %v, want kind %v", err, tc.kind)
			}
			msg := err.Error()
			for _, w := range tc.wantText {
				if !strings.Contains(msg, w) {
					t.Errorf("message lacks %q:\n%s", w, msg)
				}
			}
			for _, secret := range []string{leaky, demo.DomoClientSecret} {
				if strings.Contains(msg, secret) {
					t.Errorf("message shows the client secret:\n%s", msg)
				}
			}
			if strings.Contains(msg, "<html") || strings.Contains(msg, "\tat ") {
				t.Errorf("message dumps the error page:\n%s", msg)
			}
			var de *Error
			if !errors.As(err, &de) {
				t.Fatalf("%T is not *Error", err)
			}
			if tc.wantTOE && de.TOE == "" {
				t.Errorf("trace id (toe) lost: %+v", de)
			}
		})
	}
}

// TestTokenRefresh: after a sandbox reset the cached token is unknown; the
// client signs in again once and replays the request (401 on JSON, 406 on CSV).
func TestTokenRefresh(t *testing.T) {
	ep, tokens := testSandbox(t)
	c := New(ep, demo.DomoClientID, demo.DomoClientSecret)
	ctx := context.Background()
	if _, err := c.DataSet(ctx, demo.DomoDataSetID); err != nil {
		t.Fatal(err)
	}

	resetSandbox(t, ep)
	if _, err := c.DataSet(ctx, demo.DomoDataSetID); err != nil {
		t.Fatalf("after reset: %v", err)
	}
	if n := tokens.Load(); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}

	resetSandbox(t, ep)
	body, err := c.Export(ctx, demo.DomoDataSetID)
	if err != nil {
		t.Fatalf("export after reset: %v", err)
	}
	first, err := csv.NewReader(body).Read()
	body.Close()
	if err != nil || first[0] != "Order ID" {
		t.Fatalf("export after reset: %v %v", first, err)
	}
	if n := tokens.Load(); n != 3 {
		t.Errorf("%d token requests, want 3", n)
	}
}

// TestExportLargeStreams reads the first rows of the million-row DataSet and
// stops: the export must be usable before it has all arrived.
func TestExportLargeStreams(t *testing.T) {
	ep, _ := testSandbox(t)
	c := New(ep, demo.DomoClientID, demo.DomoClientSecret)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	body, err := c.Export(ctx, domoapi.LargeDataSetID)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(body)
	want := domoapi.LargeSalesOrders()
	if _, err := r.Read(); err != nil {
		t.Fatal(err)
	}
	for i := range 1000 {
		rec, err := r.Read()
		if err != nil {
			t.Fatal(err)
		}
		if rec[0] != want.Row(i)[0].Text {
			t.Fatalf("row %d starts %q", i, rec[0])
		}
	}
	if err := body.Close(); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkExport streams the demo DataSet from a real sandbox over TLS and
// parses it with encoding/csv.
func BenchmarkExport(b *testing.B) {
	s, err := sandbox.New(sandbox.Options{})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	ep, err := cloud.Sandbox(context.Background(), s.URL())
	if err != nil {
		b.Fatal(err)
	}
	c := New(ep, demo.DomoClientID, demo.DomoClientSecret)
	rows := 0
	for b.Loop() {
		body, err := c.Export(context.Background(), demo.DomoDataSetID)
		if err != nil {
			b.Fatal(err)
		}
		r := csv.NewReader(body)
		r.ReuseRecord = true
		for {
			if _, err := r.Read(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		body.Close()
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// Concurrent first calls share one sign-in.
func TestConcurrentCallsSignInOnce(t *testing.T) {
	ep, tokens := testSandbox(t)
	c := New(ep, demo.DomoClientID, demo.DomoClientSecret)
	errs := make(chan error, 8)
	for range 8 {
		go func() {
			_, err := c.DataSet(context.Background(), demo.DomoDataSetID)
			errs <- err
		}()
	}
	for range 8 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if n := tokens.Load(); n != 1 {
		t.Errorf("%d token requests, want 1", n)
	}
}
