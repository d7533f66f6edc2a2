package pbi

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/schema"
)

func TestStateShapeAndReset(t *testing.T) {
	e := newEnv(t, 1, schema.Limits{}, "")
	id := e.createDataset(t, sales, "", intTable)
	e.must(t, 200, e.do("POST", rowsPath(sales, id, "T"), intRows(0, 10), e.user))
	my := e.createDataset(t, "", "basicFIFO", intTable)
	var st struct {
		Workspaces []struct {
			ID, Name   string
			IsReadOnly bool
			Datasets   []struct {
				ID, Name, DefaultRetentionPolicy string
				Tables                           []struct {
					Name     string
					RowCount int
					Columns  []struct{ Name, DataType string }
				}
				Counters map[string]int
			}
		}
		MyWorkspace struct {
			Datasets []struct{ ID, DefaultRetentionPolicy string }
		}
	}
	r := e.must(t, 200, e.do("GET", "/_sandbox/state", nil, ""))
	if err := json.Unmarshal(r.body, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Workspaces) != 5 || st.Workspaces[0].Name != demo.WorkspaceSales || !st.Workspaces[3].IsReadOnly {
		t.Fatalf("workspaces: %s", r.body)
	}
	d := st.Workspaces[0].Datasets[0]
	if d.ID != id || d.DefaultRetentionPolicy != "None" || d.Tables[0].RowCount != 10 || d.Tables[0].Columns[0].DataType != "Int64" ||
		d.Counters["postRowsAccepted"] != 1 || d.Counters["postRowsThrottled"] != 0 || d.Counters["postRowsFailed"] != 0 {
		t.Errorf("dataset: %+v", d)
	}
	if len(st.MyWorkspace.Datasets) != 1 || st.MyWorkspace.Datasets[0].ID != my || st.MyWorkspace.Datasets[0].DefaultRetentionPolicy != "basicFIFO" {
		t.Errorf("my workspace: %s", r.body)
	}
	if len(st.Workspaces[1].Datasets) != 1 || st.Workspaces[1].Datasets[0].ID != demo.ImportedDatasetID {
		t.Errorf("Finance: %+v", st.Workspaces[1])
	}

	r = e.must(t, 200, e.do("GET", "/_sandbox/limits", nil, ""))
	var lim schema.Limits
	_ = json.Unmarshal(r.body, &lim)
	if want := schema.DocumentedLimits(); lim != want {
		t.Errorf("limits = %+v", lim)
	}
	e.must(t, 404, e.do("GET", "/_sandbox/rows?dataset=nope&table=T", nil, ""))
	e.must(t, 404, e.do("GET", "/_sandbox/rows?dataset="+id+"&table=nope", nil, ""))

	e.srv.Reset()
	r = e.must(t, 200, e.do("GET", "/_sandbox/state", nil, ""))
	if strings.Contains(string(r.body), id) || strings.Contains(string(r.body), my) || !strings.Contains(string(r.body), demo.ImportedDatasetID) {
		t.Errorf("after reset: %s", r.body)
	}
}

func TestFaults(t *testing.T) {
	e := newEnv(t, 1, schema.Limits{}, "")
	id := e.createDataset(t, sales, "", intTable)
	p := rowsPath(sales, id, "T")
	rowCount := func() int {
		var st struct {
			Workspaces []struct {
				Datasets []struct{ Tables []struct{ RowCount int } }
			}
		}
		_ = json.Unmarshal(e.do("GET", "/_sandbox/state", nil, "").body, &st)
		return st.Workspaces[0].Datasets[0].Tables[0].RowCount
	}

	e.must(t, 200, e.do("POST", "/_sandbox/faults", `{"errorRate":1,"status":503}`, ""))
	r := e.must(t, 503, e.do("POST", p, intRows(0, 5), e.user))
	if !strings.Contains(string(r.body), "Injected fault") || rowCount() != 0 {
		t.Errorf("errorRate: %s, rows %d", r.body, rowCount())
	}

	e.must(t, 200, e.do("POST", "/_sandbox/faults", `{"dropAfterCommitRate":1}`, ""))
	if r := e.do("POST", p, intRows(0, 5), e.user); r.status != -1 {
		t.Errorf("dropAfterCommit answered %v", r)
	}
	if rowCount() != 5 {
		t.Errorf("dropAfterCommit stored %d rows, want 5", rowCount())
	}

	e.must(t, 200, e.do("POST", "/_sandbox/faults", `{"throttleFor":"30s"}`, ""))
	e.fake.Advance(10*time.Second + 500*time.Millisecond)
	r = e.must(t, 429, e.do("POST", p, intRows(0, 5), e.user))
	if r.header.Get("Retry-After") != "20" || r.header.Get("X-Sandbox-Retry-After-Ms") != "19500" {
		t.Errorf("throttleFor: %v", r.header)
	}
	e.fake.Advance(19500 * time.Millisecond)
	e.must(t, 200, e.do("POST", p, intRows(0, 5), e.user))

	e.must(t, 200, e.do("POST", "/_sandbox/faults", `{"latency":"30ms"}`, ""))
	start := time.Now()
	e.must(t, 200, e.do("GET", "/v1.0/myorg/groups", nil, e.user))
	if time.Since(start) < 30*time.Millisecond {
		t.Error("latency fault not applied")
	}
	e.must(t, 200, e.do("POST", "/_sandbox/faults", `{}`, ""))
	for _, bad := range []string{`{"latency":"soon"}`, `{"errorRate":2}`, `{"status":200}`, `{"bogus":1}`, `nope`} {
		e.must(t, 400, e.do("POST", "/_sandbox/faults", bad, ""))
	}
	if s := string(e.do("GET", "/_sandbox/state", nil, "").body); !strings.Contains(s, `"postRowsAccepted":2,"postRowsThrottled":1,"postRowsFailed":1`) {
		t.Errorf("counters: %s", s)
	}
}

func TestExecuteQueries(t *testing.T) {
	e := newEnv(t, 1, schema.Limits{}, "")
	id := e.createDataset(t, sales, "", map[string]any{"name": "My Table", "columns": []any{
		map[string]any{"name": "id", "dataType": "Int64"}, map[string]any{"name": "s", "dataType": "String"}}})
	e.must(t, 200, e.do("POST", rowsPath(sales, id, "My%20Table"), `{"rows":[{"id":1,"s":"a"},{"id":2},{"id":1,"s":"a"}]}`, e.user))
	q := "/v1.0/myorg/groups/" + sales + "/datasets/" + id + "/executeQueries"
	body := func(query string, nulls bool) any {
		return map[string]any{"queries": []any{map[string]any{"query": query}}, "serializerSettings": map[string]any{"includeNulls": nulls}}
	}
	tests := []struct {
		query string
		nulls bool
		want  string
	}{
		{`EVALUATE ROW("n", COUNTROWS('My Table'))`, false, `{"results":[{"tables":[{"rows":[{"[n]":3}]}]}]}`},
		{`evaluate row("rows", countrows('My Table'))`, false, `{"results":[{"tables":[{"rows":[{"[rows]":3}]}]}]}`},
		{`EVALUATE TOPN(2, 'My Table')`, false, `{"results":[{"tables":[{"rows":[{"My Table[id]":1,"My Table[s]":"a"},{"My Table[id]":2}]}]}]}`},
		{`EVALUATE TOPN(2, 'My Table')`, true, `{"results":[{"tables":[{"rows":[{"My Table[id]":1,"My Table[s]":"a"},{"My Table[id]":2,"My Table[s]":null}]}]}]}`},
		{`EVALUATE VALUES('My Table')`, false, `{"results":[{"tables":[{"rows":[{"My Table[id]":1,"My Table[s]":"a"},{"My Table[id]":2}]}]}]}`},
	}
	for _, tc := range tests {
		r := e.must(t, 200, e.do("POST", q, body(tc.query, tc.nulls), e.user))
		if string(r.body) != tc.want {
			t.Errorf("%s:\n got %s\nwant %s", tc.query, r.body, tc.want)
		}
	}
	id2 := e.createDataset(t, sales, "", intTable)
	r := e.must(t, 200, e.do("POST", "/v1.0/myorg/groups/"+sales+"/datasets/"+id2+"/executeQueries", body("EVALUATE ROW(\"n\", COUNTROWS(T))", false), e.user))
	if string(r.body) != `{"results":[{"tables":[{"rows":[{}]}]}]}` { // COUNTROWS of an empty table is blank
		t.Errorf("empty: %s", r.body)
	}
	for _, bad := range []string{"SELECT 1", "EVALUATE 'Nope'", `EVALUATE ROW("n", SUM('My Table'[id]))`, "EVALUATE TOPN(x, 'My Table')", "EVALUATE 'My Table' ORDER BY"} {
		r := e.must(t, 400, e.do("POST", q, body(bad, false), e.user))
		if errorCode(t, r) != "DatasetExecuteQueriesError" || !strings.Contains(string(r.body), "DetailsMessage") {
			t.Errorf("%s: %s", bad, r.body)
		}
	}
	e.must(t, 400, e.do("POST", q, `{"queries":[]}`, e.user))
	e.must(t, 400, e.do("POST", q, `{"query":"EVALUATE 'My Table'"}`, e.user))
}

func TestPersistence(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, 1, schema.Limits{}, dir)
	id := e.createDataset(t, sales, "basicFIFO", map[string]any{"name": "T", "columns": []any{
		map[string]any{"name": "i", "dataType": "Int64"}, map[string]any{"name": "d", "dataType": "Double"}, map[string]any{"name": "m", "dataType": "Decimal"},
		map[string]any{"name": "b", "dataType": "Boolean"}, map[string]any{"name": "s", "dataType": "String"}}})
	e.must(t, 200, e.do("POST", rowsPath(sales, id, "T"), `{"rows":[{"i":9007199254740993,"d":0.1,"m":1.2345,"b":true,"s":"x"},{}]}`, e.user))
	before := e.must(t, 200, e.do("GET", "/_sandbox/rows?dataset="+id+"&table=T", nil, "")).body
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	e2 := newEnv(t, 1, schema.Limits{}, dir)
	after := e2.must(t, 200, e2.do("GET", "/_sandbox/rows?dataset="+id+"&table=T", nil, "")).body
	if string(before) != string(after) {
		t.Errorf("after restart rows = %s, want %s", after, before)
	}
	st := string(e2.must(t, 200, e2.do("GET", "/_sandbox/state", nil, "")).body)
	if !strings.Contains(st, `"defaultRetentionPolicy":"basicFIFO"`) || !strings.Contains(st, `"postRowsAccepted":1`) {
		t.Errorf("state after restart: %s", st)
	}
	e2.must(t, 200, e2.do("POST", rowsPath(sales, id, "T"), `{"rows":[{"i":1}]}`, e2.user))
}
