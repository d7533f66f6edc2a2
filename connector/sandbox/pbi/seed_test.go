package pbi

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/schema"
)

// sensorTable is Operations › Sensor Feed › Readings as the store holds it.
func sensorTable(t *testing.T, s *Server) *table {
	t.Helper()
	st := s.store()
	st.mu.RLock()
	d := st.datasets[demo.SensorFeedDatasetID]
	st.mu.RUnlock()
	if d == nil {
		t.Fatal("no Sensor Feed in the demo state")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.table(demo.SensorFeedTable)
}

func (e *env) sensorQuery(t *testing.T, dax string) resp {
	t.Helper()
	q := "/v1.0/myorg/groups/" + demo.WorkspaceOperationsID + "/datasets/" + demo.SensorFeedDatasetID + "/executeQueries"
	return e.must(t, 200, e.do("POST", q, map[string]any{"queries": []any{map[string]any{"query": dax}}}, e.user))
}

// The seeded FIFO table costs nothing until its rows are used: counting
// them leaves them unmade; the first read makes them, deterministically.
func TestSensorFeedIsMadeOnFirstUse(t *testing.T) {
	e := newEnv(t, 1, schema.Limits{}, "")
	if tb := sensorTable(t, e.srv); tb.seed == "" || tb.Columns[0].strs != nil || tb.Rows != demo.SensorFeedRows {
		t.Fatalf("the demo state made the readings at start: seed %q, %d rows", tb.seed, tb.Rows)
	}
	if r := e.sensorQuery(t, `EVALUATE ROW("n", COUNTROWS('Readings'))`); string(r.body) != `{"results":[{"tables":[{"rows":[{"[n]":200000}]}]}]}` {
		t.Fatalf("COUNTROWS: %s", r.body)
	}
	if sensorTable(t, e.srv).seed == "" {
		t.Fatal("counting made the rows")
	}
	r := e.sensorQuery(t, `EVALUATE TOPN(2, 'Readings')`)
	want := `{"results":[{"tables":[{"rows":[{"Readings[SensorId]":"S-01","Readings[Timestamp]":"2026-10-01T00:00:00Z","Readings[Value]":15},` +
		`{"Readings[SensorId]":"S-02","Readings[Timestamp]":"2026-10-01T00:00:10Z","Readings[Value]":24.19}]}]}]}`
	if string(r.body) != want {
		t.Fatalf("TOPN:\n got %s\nwant %s", r.body, want)
	}
	rows := strings.Split(strings.TrimSpace(string(e.must(t, 200, e.do("GET", "/_sandbox/rows?dataset="+demo.SensorFeedDatasetID+"&table=Readings", nil, "")).body)), "\n")
	if len(rows) != demo.SensorFeedRows || rows[len(rows)-1] != `{"Timestamp":"2026-10-24T03:33:10Z","SensorId":"S-16","Value":15.81}` {
		t.Fatalf("%d rows, the last %s", len(rows), rows[len(rows)-1])
	}
}

// Saved untouched, the seeded table is saved as its seed (a small file) and
// reads back the same; saved once made, it keeps its values.
func TestSensorFeedPersistence(t *testing.T) {
	dir := t.TempDir()
	e := newEnv(t, 1, schema.Limits{}, dir)
	if err := e.srv.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, stateFile))
	if err != nil || fi.Size() > 64<<10 {
		t.Fatalf("saved state: %v, %d bytes", err, fi.Size())
	}
	e2 := newEnv(t, 1, schema.Limits{}, dir)
	if tb := sensorTable(t, e2.srv); tb.seed != seedSensorReadings || tb.Rows != demo.SensorFeedRows {
		t.Fatalf("after restart: seed %q, %d rows", tb.seed, tb.Rows)
	}
	rows := rowsPath(demo.WorkspaceOperationsID, demo.SensorFeedDatasetID, "Readings")
	e2.must(t, 200, e2.do("POST", rows, `{"rows":[{"Timestamp":"2026-12-01T00:00:00Z","SensorId":"S-99","Value":1.5}]}`, e2.user))
	before := e2.must(t, 200, e2.do("GET", "/_sandbox/rows?dataset="+demo.SensorFeedDatasetID+"&table=Readings", nil, "")).body
	if err := e2.srv.Close(); err != nil {
		t.Fatal(err)
	}
	e3 := newEnv(t, 1, schema.Limits{}, dir)
	after := e3.must(t, 200, e3.do("GET", "/_sandbox/rows?dataset="+demo.SensorFeedDatasetID+"&table=Readings", nil, "")).body
	if string(after) != string(before) || !strings.HasPrefix(string(after), `{"Timestamp":"2026-10-01T00:00:10Z"`) {
		t.Errorf("after the second restart the rows differ (%d bytes, want %d)", len(after), len(before))
	}
}
