package pbi

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/schema"
)

func TestGroups(t *testing.T) {
	e := newEnv(t, 1, schema.Limits{}, "")
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{demo.WorkspaceSales, demo.WorkspaceFinance, demo.WorkspaceOperations, demo.WorkspaceExecutive}},
		{"$filter=" + url.QueryEscape("name eq 'Finance'"), []string{demo.WorkspaceFinance}},
		{"$filter=" + url.QueryEscape("contains(name,'ales') or name eq 'Operations'"), []string{demo.WorkspaceSales, demo.WorkspaceOperations}},
		{"$filter=" + url.QueryEscape("startswith(name,'e') and isReadOnly eq true"), []string{demo.WorkspaceExecutive}},
		{"$filter=" + url.QueryEscape("not (isReadOnly eq true)") + "&$skip=1&$top=1", []string{demo.WorkspaceFinance}},
		{"$filter=" + url.QueryEscape("name eq 'HR Confidential'"), nil},
	}
	for _, tc := range tests {
		r := e.must(t, 200, e.do("GET", "/v1.0/myorg/groups?"+tc.query, nil, e.user))
		var got struct {
			Count int `json:"@odata.count"`
			Value []struct {
				Name       string
				IsReadOnly bool
			}
		}
		_ = json.Unmarshal(r.body, &got)
		var names []string
		for _, g := range got.Value {
			names = append(names, g.Name)
		}
		if strings.Join(names, "|") != strings.Join(tc.want, "|") || got.Count != len(tc.want) {
			t.Errorf("%s: got %v (count %d), want %v", tc.query, names, got.Count, tc.want)
		}
	}
	// The service principal sees only Sales Analytics.
	r := e.must(t, 200, e.do("GET", "/v1.0/myorg/groups", nil, e.appToken()))
	if !strings.Contains(string(r.body), demo.WorkspaceSales) || strings.Contains(string(r.body), demo.WorkspaceFinance) {
		t.Errorf("service principal groups = %s", r.body)
	}
	for _, bad := range []string{"name eq", "name gt 'x'", "contains(name 'x')", "foo eq 'x'", "name eq 'x"} {
		r := e.must(t, 400, e.do("GET", "/v1.0/myorg/groups?$filter="+url.QueryEscape(bad), nil, e.user))
		if !strings.Contains(string(r.body), "Invalid $filter") {
			t.Errorf("%q: %s", bad, r.body)
		}
	}
	e.must(t, 400, e.do("GET", "/v1.0/myorg/groups?$top=-1", nil, e.user))
	r = e.must(t, 200, e.do("GET", "/v1.0/myorg/groups/"+demo.WorkspaceExecutiveID, nil, e.user))
	if m := r.json(t); m["isReadOnly"] != true || m["name"] != demo.WorkspaceExecutive {
		t.Errorf("GET group = %s", r.body)
	}
}

func TestDatasetLifecycle(t *testing.T) {
	e := newEnv(t, 1, schema.Limits{}, "")
	for _, group := range []string{demo.WorkspaceSalesID, ""} {
		base := "/v1.0/myorg/datasets"
		if group != "" {
			base = "/v1.0/myorg/groups/" + group + "/datasets"
		}
		r := e.must(t, 201, e.do("POST", base+"?defaultRetentionPolicy=basicfifo", map[string]any{"name": "Orders", "defaultMode": "Push", "tables": []any{
			map[string]any{"name": "T", "columns": []any{map[string]any{"name": "id", "dataType": "int64"}, map[string]any{"name": "ok", "dataType": "bool"}}},
		}}, e.user))
		id := r.json(t)["id"].(string)
		if r.json(t)["defaultRetentionPolicy"] != "basicFIFO" {
			t.Errorf("create = %s", r.body)
		}
		r = e.must(t, 200, e.do("GET", base, nil, e.user))
		if !strings.Contains(string(r.body), `"addRowsAPIEnabled":true`) || !strings.Contains(string(r.body), id) {
			t.Errorf("list = %s", r.body)
		}
		// As the swagger's Dataset: the retention cannot be read back.
		if g := e.must(t, 200, e.do("GET", base+"/"+id, nil, e.user)); strings.Contains(string(r.body)+string(g.body), "RetentionPolicy") {
			t.Errorf("GET datasets shows a retention policy the swagger's Dataset does not have: %s %s", r.body, g.body)
		}
		r = e.must(t, 200, e.do("GET", base+"/"+id+"/tables", nil, e.user))
		if !strings.Contains(string(r.body), `"columns":[{"name":"id","dataType":"Int64"},{"name":"ok","dataType":"Boolean"}]`) {
			t.Errorf("tables = %s", r.body)
		}
		e.must(t, 200, e.do("POST", base+"/"+id+"/tables/T/rows", `{"rows":[{"id":1,"ok":true},{"id":2}]}`, e.user))
		// PUT adds a column, keeps the rows.
		e.must(t, 200, e.do("PUT", base+"/"+id+"/tables/T", map[string]any{"name": "T", "columns": []any{
			map[string]any{"name": "id", "dataType": "Int64"}, map[string]any{"name": "ok", "dataType": "Boolean"}, map[string]any{"name": "note", "dataType": "String"},
		}}, e.user))
		r = e.must(t, 200, e.do("GET", "/_sandbox/rows?dataset="+id+"&table=T", nil, ""))
		if string(r.body) != "{\"id\":1,\"ok\":true,\"note\":null}\n{\"id\":2,\"ok\":null,\"note\":null}\n" {
			t.Errorf("rows after PUT = %q", r.body)
		}
		r = e.must(t, 404, e.do("PUT", base+"/"+id+"/tables/Nope", map[string]any{"name": "Nope", "columns": []any{map[string]any{"name": "id", "dataType": "Int64"}}}, e.user))
		if !strings.Contains(string(r.body), "Table '<pi>Nope</pi>' not found in dataset") || errorCode(t, r) != "ItemNotFound" {
			t.Errorf("PUT unknown table = %s", r)
		}
		e.must(t, 404, e.do("POST", base+"/"+id+"/tables/Nope/rows", `{"rows":[]}`, e.user))
		e.must(t, 200, e.do("DELETE", base+"/"+id+"/tables/T/rows", nil, e.user))
		r = e.must(t, 200, e.do("GET", "/_sandbox/rows?dataset="+id+"&table=T", nil, ""))
		if len(r.body) != 0 {
			t.Errorf("rows after DELETE = %q", r.body)
		}
		e.must(t, 200, e.do("DELETE", base+"/"+id, nil, e.user))
		e.must(t, 404, e.do("GET", base+"/"+id, nil, e.user))
	}
	fin := "/v1.0/myorg/groups/" + demo.WorkspaceFinanceID + "/datasets/" + demo.ImportedDatasetID
	r := e.must(t, 404, e.do("POST", fin+"/tables/Budget/rows", `{"rows":[]}`, e.user))
	if !strings.Contains(string(r.body), "Dataset "+demo.ImportedDatasetID+" is not Push API dataset.") {
		t.Errorf("imported = %s", r.body)
	}
}

func TestBadBodies(t *testing.T) {
	e := newEnv(t, 1, schema.Limits{}, "")
	path := "/v1.0/myorg/groups/" + demo.WorkspaceSalesID + "/datasets"
	tests := []struct{ name, body, want string }{
		{"unknown property", `{"name":"x","compatibilityLevel":1520,"tables":[{"name":"T","columns":[{"name":"a","dataType":"Int64"}]}]}`,
			"The property 'compatibilityLevel' does not exist on type 'Microsoft.PowerBI.ServiceContracts.Api.Dataset'. Make sure to only use property names that are defined by the type."},
		{"wrong casing", `{"name":"x","tables":[{"name":"T","columns":[{"name":"a","datatype":"Int64"}]}]}`,
			"The property 'datatype' does not exist on type 'Microsoft.PowerBI.ServiceContracts.Api.Column'"},
		{"missing required", `{"name":"x"}`, "The property 'tables' is required"},
		{"wrong JSON type", `{"name":"x","tables":{}}`, "must be a JSON array"},
		{"not JSON", `{"name":`, "not valid JSON"},
		{"unknown data type", `{"name":"x","tables":[{"name":"T","columns":[{"name":"a","dataType":"Money"}]}]}`, `unknown dataType \"Money\"`},
		{"bad table name", `{"name":"x","tables":[{"name":"a.b","columns":[{"name":"a","dataType":"Int64"}]}]}`, "does not allow"},
		{"duplicate column", `{"name":"x","tables":[{"name":"T","columns":[{"name":"a","dataType":"Int64"},{"name":"A","dataType":"Int64"}]}]}`, "used twice"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := e.must(t, 400, e.do("POST", path, tc.body, e.user))
			if errorCode(t, r) != "BadRequest" || !strings.Contains(string(r.body), tc.want) {
				t.Errorf("body = %s, want %q", r.body, tc.want)
			}
		})
	}
	id := e.createDataset(t, demo.WorkspaceSalesID, "", intTable)
	r := e.must(t, 400, e.do("POST", rowsPath(demo.WorkspaceSalesID, id, "T"), `{"rows":[],"extra":1}`, e.user))
	if !strings.Contains(string(r.body), "The property 'extra' does not exist on type 'Microsoft.PowerBI.ServiceContracts.Api.PostRowsRequest'") {
		t.Errorf("rows extra = %s", r.body)
	}
	r = e.must(t, 400, e.do("POST", rowsPath(demo.WorkspaceSalesID, id, "T"), `{"id":1}`, e.user))
	if !strings.Contains(string(r.body), "The property 'id' does not exist") {
		t.Errorf("bare object = %s", r.body)
	}
	e.must(t, 200, e.do("POST", rowsPath(demo.WorkspaceSalesID, id, "T"), `[{"id":1}]`, e.user)) // bare array accepted
}

func TestRowValues(t *testing.T) {
	e := newEnv(t, 1, schema.Limits{}, "")
	tbl := map[string]any{"name": "T", "columns": []any{
		map[string]any{"name": "i", "dataType": "Int64"}, map[string]any{"name": "d", "dataType": "Double"},
		map[string]any{"name": "m", "dataType": "Decimal"}, map[string]any{"name": "b", "dataType": "Boolean"},
		map[string]any{"name": "t", "dataType": "DateTime"}, map[string]any{"name": "s", "dataType": "string"},
	}}
	id := e.createDataset(t, demo.WorkspaceOperationsID, "", tbl)
	p := rowsPath(demo.WorkspaceOperationsID, id, "T")
	good := `{"rows":[{"i":9007199254740993,"d":1.5,"m":12345678901234567.1234,"b":false,"t":"2026-01-31T13:45:00.123Z","s":"h\u00e9\"llo"},` +
		`{"i":-1,"d":1e300,"m":0,"b":true,"t":"07/30/2014","s":null},{"t":"2026-01-31"},{"t":"2026-01-31T13:45:00+02:00","s":"` + strings.Repeat("x", 4000) + `"}]}`
	e.must(t, 200, e.do("POST", p, good, e.user))
	r := e.must(t, 200, e.do("GET", "/_sandbox/rows?dataset="+id+"&table=T", nil, ""))
	lines := strings.Split(strings.TrimSpace(string(r.body)), "\n")
	if len(lines) != 4 || lines[0] != `{"i":9007199254740993,"d":1.5,"m":12345678901234567.1234,"b":false,"t":"2026-01-31T13:45:00.123Z","s":"hé\"llo"}` ||
		lines[1] != `{"i":-1,"d":1e+300,"m":0,"b":true,"t":"07/30/2014","s":null}` {
		t.Errorf("rows = %s", r.body)
	}
	bad := []struct{ row, want string }{
		{`{"i":1.5}`, `rows[0]: column \"i\" is Int64`},
		{`{"i":9223372036854775807}`, "not a whole number"},
		{`{"i":"1"}`, "not the string"},
		{`{"d":true}`, `column \"d\" is Double`},
		{`{"b":1}`, `column \"b\" is Boolean`},
		{`{"t":"yesterday"}`, "is not a date"},
		{`{"s":"` + strings.Repeat("y", 4001) + `"}`, "4001 characters"},
		{`{"nope":1}`, `no column \"nope\"`},
		{`{"s":{"a":1}}`, "objects and arrays"},
		{`{"i":1,"i":2}`, "appears twice"},
	}
	for _, tc := range bad {
		r := e.must(t, 400, e.do("POST", p, `{"rows":[`+tc.row+`]}`, e.user))
		if !strings.Contains(string(r.body), tc.want) {
			t.Errorf("%s: %s, want %q", tc.row[:min(len(tc.row), 40)], r.body, tc.want)
		}
	}
	// A refused POST stores nothing, even when its first rows were fine.
	e.must(t, 400, e.do("POST", p, `{"rows":[{"i":5},{"i":"x"}]}`, e.user))
	r = e.must(t, 200, e.do("GET", "/_sandbox/state", nil, ""))
	if !strings.Contains(string(r.body), `"rowCount":4`) || !strings.Contains(string(r.body), `"postRowsAccepted":1,"postRowsThrottled":0,"postRowsFailed":11`) {
		t.Errorf("state = %s", r.body)
	}
}
