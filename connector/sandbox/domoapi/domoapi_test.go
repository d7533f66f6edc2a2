package domoapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/simtime"
)

func newTestServer(t *testing.T) (*Server, *simtime.Fake) {
	t.Helper()
	fake := simtime.NewFake(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	clock := simtime.New(1)
	clock.SetNow(fake.Now)
	return New(Config{Clock: clock}), fake
}

func do(s *Server, method, target string, body io.Reader, header http.Header) *httptest.ResponseRecorder {
	r := httptest.NewRequest(method, target, body)
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	s.ServeHTTP(w, r)
	return w
}

func basic(id, secret string) http.Header {
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth(id, secret)
	return r.Header
}

func issue(t *testing.T, s *Server, id string) string {
	t.Helper()
	w := do(s, "GET", "/oauth/token?grant_type=client_credentials", nil, basic(id, demo.DomoClientSecret))
	if w.Code != 200 {
		t.Fatalf("token: %d %s", w.Code, w.Body)
	}
	var tr tokenResponse
	if err := json.Unmarshal(w.Body.Bytes(), &tr); err != nil {
		t.Fatal(err)
	}
	return tr.AccessToken
}

func bearer(tok string, accept string) http.Header {
	h := http.Header{"Authorization": {"bearer " + tok}}
	if accept != "" {
		h.Set("Accept", accept)
	}
	return h
}

func TestToken(t *testing.T) {
	s, _ := newTestServer(t)
	form := func(v string) io.Reader { return strings.NewReader(v) }
	formHeader := func(h http.Header) http.Header {
		h.Set("Content-Type", "application/x-www-form-urlencoded")
		return h
	}
	tests := []struct {
		name       string
		method     string
		target     string
		body       io.Reader
		header     http.Header
		wantStatus int
		wantScope  string
		wantInBody string
	}{
		{"GET query (Node, curl)", "GET", "/oauth/token?grant_type=client_credentials&scope=data%20user", nil, basic(demo.DomoClientID, demo.DomoClientSecret), 200, "data user", ""},
		{"POST form (pydomo, Java)", "POST", "/oauth/token", form("grant_type=client_credentials&scope=data"), formHeader(basic(demo.DomoClientID, demo.DomoClientSecret)), 200, "data", ""},
		{"no scope means all the client has", "POST", "/oauth/token", form("grant_type=client_credentials"), formHeader(basic(demo.DomoClientID, demo.DomoClientSecret)), 200, "data user", ""},
		{"wrong secret", "GET", "/oauth/token?grant_type=client_credentials", nil, basic(demo.DomoClientID, "nope"), 401, "", `"message":"Bad credentials"`},
		{"unknown client", "GET", "/oauth/token?grant_type=client_credentials", nil, basic("who", demo.DomoClientSecret), 401, "", `"statusReason":"Unauthorized"`},
		{"no basic auth", "GET", "/oauth/token?grant_type=client_credentials", nil, nil, 401, "", "Full authentication is required"},
		{"missing grant", "GET", "/oauth/token?scope=data", nil, basic(demo.DomoClientID, demo.DomoClientSecret), 400, "", "Missing grant type"},
		{"unsupported grant", "GET", "/oauth/token?grant_type=password", nil, basic(demo.DomoClientID, demo.DomoClientSecret), 400, "", "Unsupported grant type: password"},
		{"scope not granted", "GET", "/oauth/token?grant_type=client_credentials&scope=data", nil, basic(ClientIDUserScopeOnly, demo.DomoClientSecret), 400, "", `"error":"invalid_scope"`},
		{"wrong method", "DELETE", "/oauth/token", nil, basic(demo.DomoClientID, demo.DomoClientSecret), 405, "", "not supported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(s, tc.method, tc.target, tc.body, tc.header)
			if w.Code != tc.wantStatus {
				t.Fatalf("status %d, want %d: %s", w.Code, tc.wantStatus, w.Body)
			}
			if tc.wantStatus != 200 {
				if !strings.Contains(w.Body.String(), tc.wantInBody) {
					t.Errorf("body %s lacks %s", w.Body, tc.wantInBody)
				}
				if strings.Contains(w.Body.String(), demo.DomoClientSecret) {
					t.Errorf("body echoes the secret: %s", w.Body)
				}
				return
			}
			var tr tokenResponse
			if err := json.Unmarshal(w.Body.Bytes(), &tr); err != nil {
				t.Fatal(err)
			}
			if tr.AccessToken == "" || tr.TokenType != "bearer" || tr.ExpiresIn != 3599 || tr.Scope != tc.wantScope ||
				tr.Customer == "" || tr.Role != "Admin" || tr.UserID != demoUserID || tr.JTI == "" {
				t.Errorf("token response %+v", tr)
			}
		})
	}
}

func TestMetadata(t *testing.T) {
	s, fake := newTestServer(t)
	tok := issue(t, s, demo.DomoClientID)
	userOnly := issue(t, s, ClientIDUserScopeOnly)

	w := do(s, "GET", "/v1/datasets/"+demo.DomoDataSetID, nil, bearer(tok, ""))
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	var ds struct {
		ID, Name, Description string
		Owner                 struct {
			ID   json.Number
			Name string
		}
		Columns, Rows                       int
		CreatedAt, UpdatedAt, DataCurrentAt string
		Schema                              struct{ Columns []Column }
		PDPEnabled                          *bool
	}
	if err := json.Unmarshal(w.Body.Bytes(), &ds); err != nil {
		t.Fatal(err)
	}
	if ds.ID != demo.DomoDataSetID || ds.Name != demo.DomoDataSetName || ds.Rows != SalesOrdersRows ||
		ds.Columns != len(ds.Schema.Columns) || ds.Owner.ID != "964382593" || ds.PDPEnabled == nil || ds.CreatedAt == "" {
		t.Errorf("metadata %+v", ds)
	}
	types := map[string]bool{}
	for _, c := range ds.Schema.Columns {
		types[c.Type] = true
	}
	for _, want := range []string{"STRING", "LONG", "DOUBLE", "DECIMAL", "DATE", "DATETIME"} {
		if !types[want] {
			t.Errorf("schema has no %s column", want)
		}
	}

	tests := []struct {
		name       string
		id         string
		header     http.Header
		wantStatus int
		wantInBody string
	}{
		{"unknown id", "00000000-0000-4000-8000-000000000000", bearer(tok, ""), 404, `"statusReason":"Not Found"`},
		{"not a GUID", "sales", bearer(tok, ""), 404, `"toe":"`},
		{"no token", demo.DomoDataSetID, nil, 401, "Full authentication is required"},
		{"garbled token", demo.DomoDataSetID, bearer("abc.def.ghi", ""), 401, `"error_description":"Cannot convert access token to JSON"`},
		{"token of another server", demo.DomoDataSetID, bearer(New(Config{}).sign(tokenClaims{Scope: []string{"data"}, Expires: 1 << 40}), ""), 401, `"error_description":"Invalid access token"`},
		{"not a bearer token", demo.DomoDataSetID, http.Header{"Authorization": {"Basic eDp5"}}, 401, "Full authentication is required"},
		{"no data scope", demo.DomoDataSetID, bearer(userOnly, ""), 403, "insufficient_scope"},
		{"not an owner", RestrictedDataSetID, bearer(tok, ""), 400, "Infrastructure problem (403): Access is denied"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(s, "GET", "/v1/datasets/"+tc.id, nil, tc.header)
			if w.Code != tc.wantStatus || !strings.Contains(w.Body.String(), tc.wantInBody) {
				t.Errorf("got %d %s, want %d with %s", w.Code, w.Body, tc.wantStatus, tc.wantInBody)
			}
			if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
		})
	}

	t.Run("expired token", func(t *testing.T) {
		fake.Advance(3599 * time.Second)
		w := do(s, "GET", "/v1/datasets/"+demo.DomoDataSetID, nil, bearer(tok, ""))
		if w.Code != 401 || !strings.Contains(w.Body.String(), "Access token expired") {
			t.Errorf("got %d %s", w.Code, w.Body)
		}
	})
	t.Run("reset forgets tokens", func(t *testing.T) {
		tok := issue(t, s, demo.DomoClientID)
		s.Reset()
		w := do(s, "GET", "/v1/datasets/"+demo.DomoDataSetID, nil, bearer(tok, ""))
		if w.Code != 401 || !strings.Contains(w.Body.String(), "Invalid access token") {
			t.Errorf("got %d %s", w.Code, w.Body)
		}
	})
}

func TestExport(t *testing.T) {
	s, _ := newTestServer(t)
	tok := issue(t, s, demo.DomoClientID)
	table := SalesOrders()

	w := do(s, "GET", "/v1/datasets/"+demo.DomoDataSetID+"/data?includeHeader=True&fileName=orders.csv", nil, bearer(tok, "text/csv"))
	if w.Code != 200 || w.Header().Get("Content-Type") != "text/csv" {
		t.Fatalf("%d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename=orders.csv` {
		t.Errorf("Content-Disposition %q", cd)
	}
	raw := w.Body.Bytes()
	if bytes.Contains(raw, []byte("\r\n")) {
		t.Error("rows end with CRLF; Domo exports LF")
	}
	for _, want := range []string{",,", `,"",`, `"The ""Best"" Bikes"`, "9223372036854775806", "-9223372036854775807", "9007199254740993", "東京商事株式会社", `"Acme Corp` + "\nAccounts Payable\""} {
		if !bytes.Contains(raw, []byte(want)) {
			t.Errorf("export lacks %q", want)
		}
	}

	records, err := csv.NewReader(bytes.NewReader(raw)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != table.RowCount+1 {
		t.Fatalf("%d records, want %d + header", len(records), table.RowCount)
	}
	for i, c := range table.Columns {
		if records[0][i] != c.Name {
			t.Errorf("header %d = %q, want %q", i, records[0][i], c.Name)
		}
	}
	nulls, empties := 0, 0
	for i, row := range table.Rows() {
		for j, v := range row {
			if records[i+1][j] != v.Text {
				t.Fatalf("row %d col %q = %q, want %q", i, table.Columns[j].Name, records[i+1][j], v.Text)
			}
			if v.Null {
				nulls++
			} else if v.Text == "" {
				empties++
			}
		}
	}
	if nulls == 0 || empties == 0 {
		t.Errorf("the demo needs NULLs (%d) and empty strings (%d)", nulls, empties)
	}

	// NULL and "" differ on the wire: the raw record of each row is exactly
	// what appendRecord writes, and the reader agreed with the values above.
	if got := string(appendRecord(nil, []Value{{Null: true}, {Text: ""}, {Text: `a"b`}, {Text: "x,y"}})); got != ",\"\",\"a\"\"b\",\"x,y\"\n" {
		t.Errorf("appendRecord = %q", got)
	}

	t.Run("no header by default", func(t *testing.T) {
		w := do(s, "GET", "/v1/datasets/"+demo.DomoDataSetID+"/data", nil, bearer(tok, "text/csv"))
		first, _, _ := strings.Cut(w.Body.String(), ",")
		if first != "100001" {
			t.Errorf("first field %q", first)
		}
	})
}

func TestExportErrors(t *testing.T) {
	s, _ := newTestServer(t)
	tok := issue(t, s, demo.DomoClientID)
	tests := []struct {
		name       string
		id, query  string
		header     http.Header
		wantStatus int
		wantInBody string
	}{
		{"no token, text/csv", demo.DomoDataSetID, "", http.Header{"Accept": {"text/csv"}}, 406, "UnauthorizedException: Full authentication is required"},
		{"bad token, text/csv", demo.DomoDataSetID, "", bearer("x.y.z", "text/csv"), 406, "InvalidTokenException"},
		{"unknown id, text/csv", "00000000-0000-4000-8000-000000000000", "", bearer(tok, "text/csv"), 406, "NotFoundException"},
		{"not an owner, text/csv", RestrictedDataSetID, "", bearer(tok, "text/csv"), 406, "Access is denied"},
		{"no token, any type", demo.DomoDataSetID, "", http.Header{"Accept": {"*/*"}}, 401, `"status":401`},
		{"not an owner, JSON", RestrictedDataSetID, "", bearer(tok, "application/json"), 400, "Infrastructure problem (403)"},
		{"bad includeHeader", demo.DomoDataSetID, "?includeHeader=maybe", bearer(tok, ""), 400, "boolean"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := do(s, "GET", "/v1/datasets/"+tc.id+"/data"+tc.query, nil, tc.header)
			if w.Code != tc.wantStatus || !strings.Contains(w.Body.String(), tc.wantInBody) {
				t.Errorf("got %d %s, want %d with %s", w.Code, w.Body, tc.wantStatus, tc.wantInBody)
			}
			if tc.wantStatus == 406 && !strings.Contains(w.Body.String(), "<title>Error 406 Not Acceptable</title>") {
				t.Errorf("not the 406 page: %s", w.Body)
			}
		})
	}
}

func TestUnknownRoute(t *testing.T) {
	s, _ := newTestServer(t)
	tests := []struct {
		method, path string
		want         int
	}{
		{"GET", "/v1/datasets/" + demo.DomoDataSetID + "/x", 404},
		{"GET", "/v1/streams/1", 404},
		{"GET", "/v1/datasets", 404},
		{"GET", "/v1/datasets/not-a-guid", 401}, // auth comes first, as at Domo's gateway
		{"PUT", "/v1/datasets/" + demo.DomoDataSetID, 405},
		{"POST", "/v1/datasets/" + demo.DomoDataSetID + "/data", 405},
	}
	for _, tc := range tests {
		w := do(s, tc.method, tc.path, nil, nil)
		if w.Code != tc.want {
			t.Errorf("%s %s: %d, want %d: %s", tc.method, tc.path, w.Code, tc.want, w.Body)
		}
		var e domoError
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || e.Status != tc.want || e.TOE == "" {
			t.Errorf("%s %s: body %s is not Domo's envelope", tc.method, tc.path, w.Body)
		}
	}
}

func TestGeneratorDeterministic(t *testing.T) {
	a, b := SalesOrders(), LargeSalesOrders()
	for _, i := range []int{0, 1, 7, 4999} {
		if x, y := a.Row(i), b.Row(i); !equalRows(x, y) || !equalRows(x, a.Row(i)) {
			t.Errorf("row %d differs between calls or tables", i)
		}
	}
}

func equalRows(a, b []Value) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// BenchmarkExport measures how fast the emulator streams the large DataSet's
// first rows (the emulator must never be the bottleneck of a push).
func BenchmarkExport(b *testing.B) {
	t := LargeSalesOrders()
	line := make([]byte, 0, 512)
	rows := 0
	for b.Loop() {
		for i, row := range t.Rows() {
			if i == 100_000 {
				break
			}
			line = appendRecord(line[:0], row)
			rows++
		}
	}
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}
