package pbi

import (
	"strings"
	"sync"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// Data types as stored (normalized spelling, as Power BI's docs name them).
const (
	typeInt64    = "Int64"
	typeDouble   = "Double"
	typeDecimal  = "Decimal"
	typeBoolean  = "Boolean"
	typeDatetime = "Datetime"
	typeString   = "String"
)

// normalizeType maps the dataType spellings the service accepts (docs/sources.md, Power BI: types:
// case-insensitive, plus the aliases bool and int seen in Microsoft samples) to
// the stored spelling. The full alias list is UNCONFIRMED; this is our choice.
func normalizeType(s string) (string, bool) {
	switch strings.ToLower(s) {
	case "int64", "int":
		return typeInt64, true
	case "double":
		return typeDouble, true
	case "decimal":
		return typeDecimal, true
	case "boolean", "bool":
		return typeBoolean, true
	case "datetime":
		return typeDatetime, true
	case "string":
		return typeString, true
	}
	return "", false
}

// workspace is a Power BI workspace ("group"), or My workspace (id "").
type workspace struct {
	ID       string
	Name     string
	ReadOnly bool
	Members  map[string]bool // object IDs (users and service principals) with access
	Datasets []*dataset      // creation order
}

// dataset is a push dataset (or the seeded imported one, push == false).
type dataset struct {
	ID         string
	Name       string
	Retention  string // "None" or "basicFIFO"
	Mode       string // "Push" or "PushStreaming"
	Push       bool
	Created    time.Time
	ConfigBy   string
	Tables     []*table
	Relations  []relationship
	Counters   counters
	workspace  *workspace
	mu         sync.Mutex // guards Tables' rows and schema, Counters, quota
	quota      quota
	pendingMu  sync.Mutex
	pending    int
	schemaVers int
}

type counters struct {
	PostRowsAccepted  int `json:"postRowsAccepted"`
	PostRowsThrottled int `json:"postRowsThrottled"`
	PostRowsFailed    int `json:"postRowsFailed"`
	RowsAccepted      int `json:"rowsAccepted"`
	RowsEvicted       int `json:"rowsEvicted"`
}

type relationship struct {
	Name, FromTable, FromColumn, ToTable, ToColumn, CrossFilteringBehavior string
}

type measure struct {
	Name, Expression, FormatString, Description string
	IsHidden                                    bool
}

type table struct {
	Name        string
	Description string
	IsHidden    bool
	Columns     []*column
	Measures    []measure
	Rows        int
	// seed names the generator of a seeded table's Rows rows while their
	// values have not been made yet (seeds); "" once they are in Columns.
	// Whoever reads or changes the values calls fill first, under the
	// dataset's lock: counting needs only Rows, so a seeded table costs
	// nothing until it is used.
	seed string
}

// fill makes a seeded table's values; a no-op for any other table. The
// caller holds the dataset's lock.
func (t *table) fill() {
	if t.seed == "" {
		return
	}
	gen := seeds[t.seed]
	t.seed = ""
	gen(t)
}

func (t *table) column(name string) *column {
	for _, c := range t.Columns {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// column holds one column's definition and values. Values are stored by type
// in one slice so memory stays proportional to the rows (no map per row):
// Int64 in ints, Double in floats, Boolean in bools, and Decimal (its JSON
// number text, kept exact), Datetime (the string as sent) and String in strs.
// nulls[i] marks a null in row i.
type column struct {
	Name         string
	DataType     string
	FormatString string
	DataCategory string
	SummarizeBy  string
	SortByColumn string
	IsHidden     bool

	ints   []int64
	floats []float64
	bools  []bool
	strs   []string
	nulls  []bool
}

// appendNulls pads the column with n nulls (a column added by a schema change).
func (c *column) appendNulls(n int) {
	for i := 0; i < n; i++ {
		c.nulls = append(c.nulls, true)
		switch c.DataType {
		case typeInt64:
			c.ints = append(c.ints, 0)
		case typeDouble:
			c.floats = append(c.floats, 0)
		case typeBoolean:
			c.bools = append(c.bools, false)
		default:
			c.strs = append(c.strs, "")
		}
	}
}

// dropFront removes the n oldest values (FIFO eviction, row deletion).
// Reslicing keeps the old backing array alive until the next growth copies
// only the live part, so memory stays within about twice the rows kept.
func (c *column) dropFront(n int) {
	c.nulls = c.nulls[n:]
	switch c.DataType {
	case typeInt64:
		c.ints = c.ints[n:]
	case typeDouble:
		c.floats = c.floats[n:]
	case typeBoolean:
		c.bools = c.bools[n:]
	default:
		c.strs = c.strs[n:]
	}
}

// clearRows empties the table, keeping its schema.
func (t *table) clearRows() {
	for _, col := range t.Columns {
		col.clear()
	}
	t.Rows, t.seed = 0, ""
}

func (c *column) clear() {
	c.ints, c.floats, c.bools, c.strs, c.nulls = nil, nil, nil, nil, nil
}

// store is everything the emulator holds.
type store struct {
	mu         sync.RWMutex // guards the lists of workspaces and datasets
	workspaces []*workspace // the groups, in listing order
	my         *workspace   // My workspace (shared by every user identity; see doc.go)
	datasets   map[string]*dataset
}

func (s *store) workspace(id string) *workspace {
	for _, w := range s.workspaces {
		if strings.EqualFold(w.ID, id) {
			return w
		}
	}
	return nil
}

func (s *store) has(d *dataset) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.datasets[strings.ToLower(d.ID)] == d
}

func (s *store) addDataset(w *workspace, d *dataset) {
	d.workspace = w
	w.Datasets = append(w.Datasets, d)
	s.datasets[strings.ToLower(d.ID)] = d
}

func (s *store) removeDataset(d *dataset) {
	w := d.workspace
	for i, x := range w.Datasets {
		if x == d {
			w.Datasets = append(w.Datasets[:i:i], w.Datasets[i+1:]...)
			break
		}
	}
	delete(s.datasets, strings.ToLower(d.ID))
}

// demoStore is the demo state of docs/sandbox.md: four workspaces the demo users
// belong to (one read-only), one they cannot access, the service principal in
// Sales Analytics only, an imported (non-push) dataset in Finance, and a
// FIFO push dataset pbiwb did not create in Operations.
func demoStore(now time.Time) *store {
	users := []string{demo.UserObjectID, demo.MFAUserObjectID}
	members := func(sp bool) map[string]bool {
		m := map[string]bool{}
		for _, u := range users {
			m[u] = true
		}
		if sp {
			m[demo.ServicePrincipalObjectID] = true
		}
		return m
	}
	s := &store{
		workspaces: []*workspace{
			{ID: demo.WorkspaceSalesID, Name: demo.WorkspaceSales, Members: members(true)},
			{ID: demo.WorkspaceFinanceID, Name: demo.WorkspaceFinance, Members: members(false)},
			{ID: demo.WorkspaceOperationsID, Name: demo.WorkspaceOperations, Members: members(false)},
			{ID: demo.WorkspaceExecutiveID, Name: demo.WorkspaceExecutive, ReadOnly: true, Members: members(false)},
			{ID: demo.WorkspaceHiddenID, Name: demo.WorkspaceHidden, Members: map[string]bool{}},
		},
		my:       &workspace{Members: members(false)},
		datasets: map[string]*dataset{},
	}
	s.addDataset(s.workspace(demo.WorkspaceOperationsID), sensorFeed(now))
	s.addDataset(s.workspace(demo.WorkspaceFinanceID), &dataset{
		ID: demo.ImportedDatasetID, Name: demo.ImportedDatasetName, Retention: "None", Mode: "Import",
		Created: now, ConfigBy: demo.Username,
		Tables: []*table{{Name: "Budget", Columns: []*column{
			{Name: "Account", DataType: typeString}, {Name: "Amount", DataType: typeDecimal},
		}}},
	})
	return s
}
