package pbi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/simtime"
	"github.com/pbiwb/pbiwb/connector/sandbox/token"
	"github.com/pbiwb/pbiwb/connector/schema"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const allScopes = "Dataset.ReadWrite.All Workspace.Read.All"

// env is an emulator behind a real TLS server, on a fake clock.
type env struct {
	t      *testing.T
	srv    *Server
	ts     *httptest.Server
	fake   *simtime.Fake
	clock  *simtime.Clock
	signer *token.Signer
	user   string // a user token with every scope
}

func newEnv(t testing.TB, scale float64, lim schema.Limits, stateDir string) *env {
	t.Helper()
	clock := simtime.New(scale)
	fake := simtime.NewFake(t0)
	clock.SetNow(fake.Now)
	signer := token.NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	srv, err := New(Config{Clock: clock, Signer: signer, StateDir: stateDir, Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(srv)
	t.Cleanup(ts.Close)
	e := &env{srv: srv, ts: ts, fake: fake, clock: clock, signer: signer}
	if tt, ok := t.(*testing.T); ok {
		e.t = tt
	}
	e.user = e.tokenFor(demo.UserObjectID, "user", allScopes, 48*time.Hour) // outlives the fake hours tests skip
	return e
}

func (e *env) tokenFor(oid, idtyp, scopes string, life time.Duration) string {
	return e.signer.Sign(token.Claims{Audience: demo.PowerBIResource, TenantID: demo.TenantID, ObjectID: oid, AppID: demo.ClientID,
		UPN: demo.Username, Scope: scopes, IDType: idtyp, Expires: e.fake.Now().Add(life).Unix()})
}

func (e *env) appToken() string {
	return e.tokenFor(demo.ServicePrincipalObjectID, "app", "", time.Hour)
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) String() string { return fmt.Sprintf("%d %s", r.status, r.body) }

func (r resp) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("response is not JSON: %v: %s", err, r.body)
	}
	return m
}

func (e *env) do(method, path string, body any, tok string) resp {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case json.RawMessage:
		rd = bytes.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, _ := json.Marshal(b)
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, e.ts.URL+path, rd)
	if err != nil {
		return resp{status: -1, body: []byte(err.Error())}
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := e.ts.Client().Do(req)
	if err != nil {
		return resp{status: -1, body: []byte(err.Error())}
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

func (e *env) must(t testing.TB, want int, r resp) resp {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %v, want %d", r, want)
	}
	return r
}

// createDataset makes a push dataset in group (or My workspace when "")
// with one table and returns its id.
func (e *env) createDataset(t testing.TB, group, retention string, tbl map[string]any) string {
	t.Helper()
	path := "/v1.0/myorg/datasets"
	if group != "" {
		path = "/v1.0/myorg/groups/" + group + "/datasets"
	}
	if retention != "" {
		path += "?defaultRetentionPolicy=" + retention
	}
	r := e.must(t, 201, e.do("POST", path, map[string]any{"name": "DS", "tables": []any{tbl}}, e.user))
	return r.json(t)["id"].(string)
}

func rowsPath(group, ds, table string) string {
	if group == "" {
		return "/v1.0/myorg/datasets/" + ds + "/tables/" + table + "/rows"
	}
	return "/v1.0/myorg/groups/" + group + "/datasets/" + ds + "/tables/" + table + "/rows"
}

// intTable is a one-column table, cheap to fill to a limit.
var intTable = map[string]any{"name": "T", "columns": []any{map[string]any{"name": "id", "dataType": "Int64"}}}

func intRows(from, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"rows":[`)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"id":%d}`, from+i)
	}
	b.WriteString("]}")
	return b.Bytes()
}

func errorCode(t testing.TB, r resp) string {
	t.Helper()
	m := r.json(t)
	e, _ := m["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}
