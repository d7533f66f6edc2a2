package pbi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"
)

// datasetJSON is a dataset as GET datasets shows it: the swagger's fields,
// camelCase as on the wire. The swagger's Dataset has no retention policy, so
// a client cannot read a dataset's retention back (only /_sandbox/state
// shows it).
type datasetJSON struct {
	ID                               string `json:"id"`
	Name                             string `json:"name"`
	AddRowsAPIEnabled                bool   `json:"addRowsAPIEnabled"`
	ConfiguredBy                     string `json:"configuredBy"`
	IsRefreshable                    bool   `json:"isRefreshable"`
	IsEffectiveIdentityRequired      bool   `json:"isEffectiveIdentityRequired"`
	IsEffectiveIdentityRolesRequired bool   `json:"isEffectiveIdentityRolesRequired"`
	IsOnPremGatewayRequired          bool   `json:"isOnPremGatewayRequired"`
	TargetStorageMode                string `json:"targetStorageMode"`
	CreatedDate                      string `json:"createdDate"`
	ContentProviderType              string `json:"contentProviderType,omitempty"`
}

func toDatasetJSON(d *dataset) datasetJSON {
	j := datasetJSON{ID: d.ID, Name: d.Name, AddRowsAPIEnabled: d.Push, ConfiguredBy: d.ConfigBy,
		IsRefreshable: !d.Push, TargetStorageMode: "Abf", CreatedDate: d.Created.UTC().Format("2006-01-02T15:04:05.000Z")}
	if d.Push {
		j.ContentProviderType = d.Mode
	}
	return j
}

func (c *call) getDatasets() {
	c.st.mu.RLock()
	list := make([]datasetJSON, 0, len(c.ws.Datasets))
	for _, d := range c.ws.Datasets {
		list = append(list, toDatasetJSON(d))
	}
	c.st.mu.RUnlock()
	writeJSON(c.w, http.StatusOK, map[string]any{"@odata.context": c.context("datasets"), "value": list})
}

func (c *call) getDataset() {
	writeJSON(c.w, http.StatusOK, struct {
		Context string `json:"@odata.context"`
		datasetJSON
	}{c.context("datasets/$entity"), toDatasetJSON(c.ds)})
}

func (c *call) deleteDataset() {
	c.st.mu.Lock()
	c.st.removeDataset(c.ds)
	c.st.mu.Unlock()
	c.w.WriteHeader(http.StatusOK)
}

// readBody reads at most limit bytes; over that it has answered 413.
func (c *call) readBody(limit int64) ([]byte, bool) {
	if c.r.ContentLength > limit {
		codeError(c.w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request body is %d bytes; the limit is %d bytes per request. Send fewer rows per POST.", c.r.ContentLength, limit)
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(c.r.Body, limit+1))
	if err != nil {
		codeError(c.w, http.StatusBadRequest, "BadRequest", "Reading the request body failed: %v", err)
		return nil, false
	}
	if int64(len(b)) > limit {
		codeError(c.w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "The request body is over the limit of %d bytes per request. Send fewer rows per POST.", limit)
		return nil, false
	}
	return b, true
}

func (c *call) postDataset() {
	if c.s.tenant.creationEnded(c.s.cfg.Clock.Now()) {
		// The service's answer after the end of push-dataset creation is
		// UNCONFIRMED: the code and wording are our choice.
		codeError(c.w, http.StatusBadRequest, "PushDatasetCreationNotSupported",
			"Push semantic models can no longer be created: creation ended on %s. Existing push semantic models keep accepting rows; for new real-time data, Microsoft recommends Real-Time Intelligence in Microsoft Fabric.",
			pushCreationLastDay)
		return
	}
	retention := "None"
	if v := c.r.URL.Query().Get("defaultRetentionPolicy"); v != "" {
		switch strings.ToLower(v) { // matched case-insensitively (RTD capture used basicFifo)
		case "none":
		case "basicfifo":
			retention = "basicFIFO"
		default:
			badRequest(c.w, "defaultRetentionPolicy", "defaultRetentionPolicy must be None or basicFIFO, not %q.", v)
			return
		}
	}
	req, ok := c.decodeRequest(c.s.limits.MaxBytesPerPost, "CreateDatasetRequest", "dataset")
	if !ok {
		return
	}
	if req == nil {
		badRequest(c.w, "dataset", "The request body must be a JSON object describing the dataset (name, tables).")
		return
	}
	d, err := c.s.buildDataset(req, retention)
	if err != nil {
		badRequest(c.w, "dataset", "%v", err)
		return
	}
	d.ConfigBy = c.claims.UPN
	if d.ConfigBy == "" {
		d.ConfigBy = c.claims.AppID
	}
	c.st.mu.Lock()
	c.st.addDataset(c.ws, d)
	c.st.mu.Unlock()
	writeJSON(c.w, http.StatusCreated, map[string]any{
		"@odata.context": c.context("datasets/$entity"), "id": d.ID, "name": d.Name, "defaultRetentionPolicy": d.Retention,
	})
}

func badRequestDetails(w http.ResponseWriter, details []errDetail) {
	writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": "BadRequest", "message": "Bad Request", "details": details}})
}

func (s *Server) buildDataset(req map[string]any, retention string) (*dataset, error) {
	name, _ := req["name"].(string)
	if strings.TrimSpace(name) == "" {
		return nil, errors.New("The dataset name must not be empty.")
	}
	mode := "Push"
	if m, ok := req["defaultMode"].(string); ok {
		switch strings.ToLower(m) {
		case "push":
		case "pushstreaming":
			mode = "PushStreaming"
		default:
			return nil, fmt.Errorf("defaultMode %q is not supported: only push datasets (Push or PushStreaming) can be created through the API in the sandbox", m)
		}
	}
	tables, _ := req["tables"].([]any)
	if len(tables) == 0 {
		return nil, errors.New("A push dataset needs at least one table in 'tables'.")
	}
	if len(tables) > s.limits.MaxTables {
		return nil, fmt.Errorf("The dataset has %d tables; Power BI allows at most %d tables per push dataset.", len(tables), s.limits.MaxTables)
	}
	d := &dataset{ID: newUUID(), Name: name, Retention: retention, Mode: mode, Push: true, Created: s.cfg.Clock.Now()}
	seen := map[string]bool{}
	for i, raw := range tables {
		t, err := s.buildTable(raw.(map[string]any))
		if err != nil {
			return nil, fmt.Errorf("tables[%d]: %w", i, err)
		}
		if seen[strings.ToLower(t.Name)] {
			return nil, fmt.Errorf("tables[%d]: the table name %q is used twice (names are compared without case)", i, t.Name)
		}
		seen[strings.ToLower(t.Name)] = true
		d.Tables = append(d.Tables, t)
	}
	rels, _ := req["relationships"].([]any)
	if len(rels) > s.limits.MaxTables { // 75 relationships, documented with the same number
		return nil, fmt.Errorf("The dataset has %d relationships; the limit is %d.", len(rels), s.limits.MaxTables)
	}
	for i, raw := range rels {
		m := raw.(map[string]any)
		r := relationship{}
		r.Name, _ = m["name"].(string)
		r.FromTable, _ = m["fromTable"].(string)
		r.FromColumn, _ = m["fromColumn"].(string)
		r.ToTable, _ = m["toTable"].(string)
		r.ToColumn, _ = m["toColumn"].(string)
		r.CrossFilteringBehavior, _ = m["crossFilteringBehavior"].(string)
		for _, end := range [][2]string{{r.FromTable, r.FromColumn}, {r.ToTable, r.ToColumn}} {
			t := d.table(end[0])
			if t == nil || t.column(end[1]) == nil {
				return nil, fmt.Errorf("relationships[%d]: column '%s'[%s] does not exist in the dataset", i, end[0], end[1])
			}
		}
		d.Relations = append(d.Relations, r)
	}
	return d, nil
}

func (d *dataset) table(name string) *table {
	for _, t := range d.Tables {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// validTableName applies the swagger's Table.name pattern: 1–100 characters;
// in ASCII only tab, LF, CR, space, # - 0-9 @ A-Z ^ _ a-z ~ are allowed.
func validTableName(n string) error {
	if n == "" || utf8.RuneCountInString(n) > 100 {
		return fmt.Errorf("the table name %q must be 1 to 100 characters long", n)
	}
	for _, r := range n {
		if r >= 0x80 {
			if r == utf8.RuneError || r == 0xFFFE || r == 0xFFFF {
				return fmt.Errorf("the table name %q contains an invalid character", n)
			}
			continue
		}
		ok := r == '\t' || r == '\n' || r == '\r' || r == ' ' || r == '#' || r == '-' || r == '@' || r == '^' || r == '_' || r == '~' ||
			(r >= '0' && r <= '9') || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z')
		if !ok {
			return fmt.Errorf("the table name %q contains %q, which Power BI does not allow in table names (allowed: letters, digits, space, # - @ ^ _ ~)", n, r)
		}
	}
	return nil
}

func (s *Server) buildTable(m map[string]any) (*table, error) {
	t := &table{}
	t.Name, _ = m["name"].(string)
	if err := validTableName(t.Name); err != nil {
		return nil, err
	}
	t.Description, _ = m["description"].(string)
	t.IsHidden, _ = m["isHidden"].(bool)
	cols, _ := m["columns"].([]any)
	if len(cols) == 0 {
		return nil, fmt.Errorf("table %q needs at least one column", t.Name)
	}
	if len(cols) > s.limits.MaxColumns {
		return nil, fmt.Errorf("table %q has %d columns; Power BI allows at most %d columns per table", t.Name, len(cols), s.limits.MaxColumns)
	}
	if rows, _ := m["rows"].([]any); len(rows) > 0 {
		return nil, fmt.Errorf("table %q: rows cannot be sent with the schema; POST them to .../tables/%s/rows", t.Name, t.Name)
	}
	seen := map[string]bool{}
	for i, raw := range cols {
		cm := raw.(map[string]any)
		col := &column{}
		col.Name, _ = cm["name"].(string)
		dt, _ := cm["dataType"].(string)
		if col.Name == "" {
			return nil, fmt.Errorf("table %q, columns[%d]: the column name must not be empty", t.Name, i)
		}
		if seen[strings.ToLower(col.Name)] {
			return nil, fmt.Errorf("table %q: the column name %q is used twice (names are compared without case)", t.Name, col.Name)
		}
		seen[strings.ToLower(col.Name)] = true
		norm, ok := normalizeType(dt)
		if !ok {
			return nil, fmt.Errorf("table %q, column %q: unknown dataType %q (use Int64, Double, Decimal, Boolean, DateTime or String)", t.Name, col.Name, dt)
		}
		col.DataType = norm
		col.FormatString, _ = cm["formatString"].(string)
		col.DataCategory, _ = cm["dataCategory"].(string)
		col.SummarizeBy, _ = cm["summarizeBy"].(string)
		col.SortByColumn, _ = cm["sortByColumn"].(string)
		col.IsHidden, _ = cm["isHidden"].(bool)
		t.Columns = append(t.Columns, col)
	}
	ms, _ := m["measures"].([]any)
	for _, raw := range ms {
		mm := raw.(map[string]any)
		var me measure
		me.Name, _ = mm["name"].(string)
		me.Expression, _ = mm["expression"].(string)
		me.FormatString, _ = mm["formatString"].(string)
		me.Description, _ = mm["description"].(string)
		me.IsHidden, _ = mm["isHidden"].(bool)
		t.Measures = append(t.Measures, me)
	}
	return t, nil
}

type columnJSON struct {
	Name         string `json:"name"`
	DataType     string `json:"dataType"`
	FormatString string `json:"formatString,omitempty"`
	DataCategory string `json:"dataCategory,omitempty"`
	SummarizeBy  string `json:"summarizeBy,omitempty"`
	SortByColumn string `json:"sortByColumn,omitempty"`
	IsHidden     bool   `json:"isHidden,omitempty"`
}

type measureJSON struct {
	Name         string `json:"name"`
	Expression   string `json:"expression"`
	FormatString string `json:"formatString,omitempty"`
	Description  string `json:"description,omitempty"`
	IsHidden     bool   `json:"isHidden,omitempty"`
}

type tableJSON struct {
	Name     string        `json:"name"`
	Columns  []columnJSON  `json:"columns"`
	Measures []measureJSON `json:"measures,omitempty"`
}

func toTableJSON(t *table) tableJSON {
	j := tableJSON{Name: t.Name, Columns: []columnJSON{}}
	for _, c := range t.Columns {
		j.Columns = append(j.Columns, columnJSON{c.Name, c.DataType, c.FormatString, c.DataCategory, c.SummarizeBy, c.SortByColumn, c.IsHidden})
	}
	for _, m := range t.Measures {
		j.Measures = append(j.Measures, measureJSON(m))
	}
	return j
}

// getTables lists the tables with their columns (UNCONFIRMED whether the
// service returns columns; returning them lets a client check a schema).
func (c *call) getTables() {
	c.ds.mu.Lock()
	list := make([]tableJSON, 0, len(c.ds.Tables))
	for _, t := range c.ds.Tables {
		list = append(list, toTableJSON(t))
	}
	c.ds.mu.Unlock()
	writeJSON(c.w, http.StatusOK, map[string]any{"@odata.context": c.context("tables"), "value": list})
}

// tableNotFound is the verbatim ItemNotFound shape, with the <pi> privacy
// markup around the user-provided name.
func (c *call) tableNotFound() {
	codeError(c.w, http.StatusNotFound, "ItemNotFound", "Table '<pi>%s</pi>' not found in dataset '%s'", c.table, c.ds.ID)
}

// putTable replaces a table's schema. Rows are kept for the columns whose
// name and type are unchanged; added columns, and columns whose type changed,
// read null for the existing rows; removed columns lose their values
// (UNCONFIRMED what the service does to rows; this is our choice).
func (c *call) putTable() {
	m, ok := c.decodeRequest(c.s.limits.MaxBytesPerPost, "Table", "requestMessage")
	if !ok {
		return
	}
	if m == nil {
		badRequest(c.w, "requestMessage", "The request body must be a JSON object describing the table (name, columns).")
		return
	}
	nt, err := c.s.buildTable(m)
	if err != nil {
		badRequest(c.w, "requestMessage", "%v", err)
		return
	}
	if nt.Name != c.table {
		badRequest(c.w, "requestMessage", "The table name in the body (%q) differs from the one in the URL (%q); a table cannot be renamed.", nt.Name, c.table)
		return
	}
	d := c.ds
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.table(c.table)
	if old == nil {
		c.tableNotFound()
		return
	}
	old.fill()
	for i, col := range nt.Columns {
		if prev := old.column(col.Name); prev != nil && prev.DataType == col.DataType {
			keep := *col
			keep.ints, keep.floats, keep.bools, keep.strs, keep.nulls = prev.ints, prev.floats, prev.bools, prev.strs, prev.nulls
			nt.Columns[i] = &keep
		} else {
			col.appendNulls(old.Rows)
		}
	}
	old.Columns, old.Measures, old.Description, old.IsHidden = nt.Columns, nt.Measures, nt.Description, nt.IsHidden
	if c.s.fault.putTableClearsRows() {
		old.clearRows() // the putTableClearsRows fault: the schema changes, the rows are gone
	}
	d.schemaVers++
	writeJSON(c.w, http.StatusOK, map[string]any{"@odata.context": c.context("tables/$entity"), "name": old.Name})
}

func (c *call) deleteRows() {
	d := c.ds
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.table(c.table)
	if t == nil {
		c.tableNotFound()
		return
	}
	t.clearRows()
	c.w.WriteHeader(http.StatusOK)
}
