package pbi

import (
	"encoding/json"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// serveSandbox answers the sandbox-only endpoints (docs/sandbox.md): state, rows,
// limits and faults. /_sandbox/reset and ca.pem are the sandbox's own.
func (s *Server) serveSandbox(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_sandbox/state":
		if r.Method != http.MethodGet {
			codeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "use GET")
			return
		}
		writeJSON(w, http.StatusOK, s.snapshotState())
	case "/_sandbox/rows":
		if r.Method != http.MethodGet {
			codeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "use GET")
			return
		}
		s.serveRows(w, r)
	case "/_sandbox/tenant":
		s.serveTenant(w, r)
	case "/_sandbox/limits":
		writeJSON(w, http.StatusOK, s.limits)
	case "/_sandbox/faults":
		if r.Method != http.MethodPost {
			codeError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "use POST")
			return
		}
		s.serveFaults(w, r)
	default:
		codeError(w, http.StatusNotFound, "NotFound", "no sandbox endpoint %s (see /_sandbox/state, rows, limits, tenant, faults, reset, ca.pem)", r.URL.Path)
	}
}

type stateJSON struct {
	Workspaces  []stateWorkspace `json:"workspaces"`
	MyWorkspace stateWorkspace   `json:"myWorkspace"`
	// PostRowsInFlight are POST rows requests received and not yet answered,
	// including those held by an injected latency.
	PostRowsInFlight int64 `json:"postRowsInFlight"`
}

type stateWorkspace struct {
	ID         string         `json:"id,omitempty"`
	Name       string         `json:"name,omitempty"`
	IsReadOnly bool           `json:"isReadOnly"`
	Members    []string       `json:"members,omitempty"`
	Datasets   []stateDataset `json:"datasets"`
}

type stateDataset struct {
	ID                     string       `json:"id"`
	Name                   string       `json:"name"`
	DefaultRetentionPolicy string       `json:"defaultRetentionPolicy"`
	DefaultMode            string       `json:"defaultMode"`
	AddRowsAPIEnabled      bool         `json:"addRowsAPIEnabled"`
	Tables                 []stateTable `json:"tables"`
	Counters               counters     `json:"counters"`
	PendingPosts           int          `json:"pendingPosts"`
}

type stateTable struct {
	Name     string       `json:"name"`
	RowCount int          `json:"rowCount"`
	Columns  []columnJSON `json:"columns"`
}

func (s *Server) snapshotState() stateJSON {
	st := s.store()
	st.mu.RLock()
	defer st.mu.RUnlock()
	out := stateJSON{Workspaces: []stateWorkspace{}}
	for _, ws := range st.workspaces {
		out.Workspaces = append(out.Workspaces, snapshotWorkspace(ws))
	}
	out.MyWorkspace = snapshotWorkspace(st.my)
	out.MyWorkspace.Members = nil
	out.PostRowsInFlight = s.postsArrived.Load()
	return out
}

func snapshotWorkspace(ws *workspace) stateWorkspace {
	sw := stateWorkspace{ID: ws.ID, Name: ws.Name, IsReadOnly: ws.ReadOnly, Datasets: []stateDataset{}}
	for m := range ws.Members {
		sw.Members = append(sw.Members, m)
	}
	slices.Sort(sw.Members)
	for _, d := range ws.Datasets {
		d.mu.Lock()
		sd := stateDataset{ID: d.ID, Name: d.Name, DefaultRetentionPolicy: d.Retention, DefaultMode: d.Mode, AddRowsAPIEnabled: d.Push, Counters: d.Counters, Tables: []stateTable{}}
		for _, t := range d.Tables {
			sd.Tables = append(sd.Tables, stateTable{Name: t.Name, RowCount: t.Rows, Columns: toTableJSON(t).Columns})
		}
		d.mu.Unlock()
		d.pendingMu.Lock()
		sd.PendingPosts = d.pending
		d.pendingMu.Unlock()
		sw.Datasets = append(sw.Datasets, sd)
	}
	return sw
}

// serveRows streams a table's rows as JSON lines in insertion order, values
// as stored (Int64 exactly, Decimal as its JSON number text).
func (s *Server) serveRows(w http.ResponseWriter, r *http.Request) {
	id, name := r.URL.Query().Get("dataset"), r.URL.Query().Get("table")
	st := s.store()
	st.mu.RLock()
	d := st.datasets[strings.ToLower(id)]
	st.mu.RUnlock()
	if d == nil {
		codeError(w, http.StatusNotFound, "PowerBIEntityNotFound", "no dataset %q in the sandbox (GET /_sandbox/state lists them)", id)
		return
	}
	// Render under the lock (a consistent snapshot), write after it, so a
	// slow reader never holds up POSTs to the dataset.
	d.mu.Lock()
	t := d.table(name)
	if t == nil {
		d.mu.Unlock()
		codeError(w, http.StatusNotFound, "ItemNotFound", "Table '<pi>%s</pi>' not found in dataset '%s'", name, d.ID)
		return
	}
	t.fill()
	var out []byte
	for i := 0; i < t.Rows; i++ {
		out = appendRowJSON(out, t.Columns, i)
		out = append(out, '\n')
	}
	d.mu.Unlock()
	w.Header().Set("Content-Type", "application/x-ndjson")
	_, _ = w.Write(out)
}

func appendRowJSON(b []byte, cols []*column, i int) []byte {
	b = append(b, '{')
	for ci, c := range cols {
		if ci > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, c.Name)
		b = append(b, ':')
		b = appendValue(b, c, i)
	}
	return append(b, '}')
}

func appendValue(b []byte, c *column, i int) []byte {
	if c.nulls[i] {
		return append(b, "null"...)
	}
	switch c.DataType {
	case typeInt64:
		return strconv.AppendInt(b, c.ints[i], 10)
	case typeDouble:
		f := c.floats[i]
		if math.Trunc(f) == f && math.Abs(f) < 1e15 {
			return strconv.AppendFloat(b, f, 'f', -1, 64)
		}
		return strconv.AppendFloat(b, f, 'g', -1, 64)
	case typeBoolean:
		return strconv.AppendBool(b, c.bools[i])
	case typeDecimal:
		return append(b, c.strs[i]...)
	}
	return appendJSONString(b, c.strs[i])
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s)
	return append(b, q...)
}

func (s *Server) serveFaults(w http.ResponseWriter, r *http.Request) {
	var fc faultConfig
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<16))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fc); err != nil {
		codeError(w, http.StatusBadRequest, "BadRequest", `faults: %v; send {"latency":"200ms","errorRate":0.1,"status":503,"dropAfterCommitRate":0.05,"throttleFor":"30s","putTableClearsRows":true}, or {} to clear`, err)
		return
	}
	var throttle time.Duration
	for _, d := range []struct {
		name, v string
		dst     *time.Duration
	}{{"latency", fc.Latency, new(time.Duration)}, {"throttleFor", fc.ThrottleFor, &throttle}} {
		if d.v == "" {
			continue
		}
		v, err := time.ParseDuration(d.v)
		if err != nil || v < 0 {
			codeError(w, http.StatusBadRequest, "BadRequest", "faults: %s must be a duration such as 200ms or 30s, not %q", d.name, d.v)
			return
		}
		*d.dst = v
	}
	if fc.ErrorRate < 0 || fc.ErrorRate > 1 || fc.DropAfterCommitRate < 0 || fc.DropAfterCommitRate > 1 {
		codeError(w, http.StatusBadRequest, "BadRequest", "faults: errorRate and dropAfterCommitRate are fractions between 0 and 1")
		return
	}
	if fc.Status != 0 && (fc.Status < 400 || fc.Status > 599) {
		codeError(w, http.StatusBadRequest, "BadRequest", "faults: status must be an HTTP error status (400-599), not %d", fc.Status)
		return
	}
	s.fault.set(fc)
	if throttle > 0 {
		s.fault.setThrottle(s.cfg.Clock.Now().Add(throttle))
	}
	writeJSON(w, http.StatusOK, fc)
}
