package pbi

import (
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"
)

// The store is saved as a gob file, StateDir/pbi-store.gob, on Close and
// loaded by New: workspaces (with members), datasets, schemas, rows (typed
// column slices) and counters. Quota windows, pending requests and faults are
// not saved: a restarted sandbox starts with fresh windows.
const stateFile = "pbi-store.gob"

// stateVersion changes when the saved shape does; a file of another version
// is ignored (the sandbox starts from the demo state) rather than misread.
// Version 2 added savedTable.Seed: a version-1 file reads the same, but a
// version-1 reader must not load a seeded table as Rows rows without values.
const stateVersion = 2

// readableVersions are the saved shapes this version loads.
var readableVersions = []int{1, stateVersion}

type savedStore struct {
	Version    int
	Workspaces []savedWorkspace
	My         savedWorkspace
}

type savedWorkspace struct {
	ID, Name string
	ReadOnly bool
	Members  []string
	Datasets []savedDataset
}

type savedDataset struct {
	ID, Name, Retention, Mode, ConfigBy string
	Push                                bool
	Created                             time.Time
	Tables                              []savedTable
	Relations                           []relationship
	Counters                            counters
}

type savedTable struct {
	Name, Description string
	IsHidden          bool
	Rows              int
	Measures          []measure
	Columns           []savedColumn
	Seed              string // a seeded table whose values were never made: table.seed
}

type savedColumn struct {
	Name, DataType, FormatString, DataCategory, SummarizeBy, SortByColumn string
	IsHidden                                                              bool
	Ints                                                                  []int64
	Floats                                                                []float64
	Bools                                                                 []bool
	Strs                                                                  []string
	Nulls                                                                 []bool
}

func saveStore(dir string, st *store) error {
	st.mu.RLock()
	out := savedStore{Version: stateVersion, My: saveWorkspace(st.my)}
	for _, ws := range st.workspaces {
		out.Workspaces = append(out.Workspaces, saveWorkspace(ws))
	}
	st.mu.RUnlock()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, stateFile+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := gob.NewEncoder(tmp).Encode(out); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, stateFile))
}

func saveWorkspace(ws *workspace) savedWorkspace {
	sw := savedWorkspace{ID: ws.ID, Name: ws.Name, ReadOnly: ws.ReadOnly}
	for m := range ws.Members {
		sw.Members = append(sw.Members, m)
	}
	for _, d := range ws.Datasets {
		d.mu.Lock()
		sd := savedDataset{ID: d.ID, Name: d.Name, Retention: d.Retention, Mode: d.Mode, ConfigBy: d.ConfigBy, Push: d.Push,
			Created: d.Created, Relations: d.Relations, Counters: d.Counters}
		for _, t := range d.Tables {
			stb := savedTable{Name: t.Name, Description: t.Description, IsHidden: t.IsHidden, Rows: t.Rows, Measures: t.Measures, Seed: t.seed}
			for _, c := range t.Columns {
				stb.Columns = append(stb.Columns, savedColumn{c.Name, c.DataType, c.FormatString, c.DataCategory, c.SummarizeBy, c.SortByColumn,
					c.IsHidden, c.ints, c.floats, c.bools, c.strs, c.nulls})
			}
			sd.Tables = append(sd.Tables, stb)
		}
		d.mu.Unlock()
		sw.Datasets = append(sw.Datasets, sd)
	}
	return sw
}

// loadStore returns nil, nil when there is no saved state (or it is from
// another version).
func loadStore(dir string) (*store, error) {
	f, err := os.Open(filepath.Join(dir, stateFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var in savedStore
	if err := gob.NewDecoder(f).Decode(&in); err != nil {
		return nil, fmt.Errorf("%s is damaged (%v); delete it to start from the demo state", f.Name(), err)
	}
	if !slices.Contains(readableVersions, in.Version) {
		return nil, nil
	}
	st := &store{datasets: map[string]*dataset{}}
	for _, sw := range in.Workspaces {
		st.workspaces = append(st.workspaces, loadWorkspace(st, sw))
	}
	st.my = loadWorkspace(st, in.My)
	return st, nil
}

func loadWorkspace(st *store, sw savedWorkspace) *workspace {
	ws := &workspace{ID: sw.ID, Name: sw.Name, ReadOnly: sw.ReadOnly, Members: map[string]bool{}}
	for _, m := range sw.Members {
		ws.Members[m] = true
	}
	for _, sd := range sw.Datasets {
		d := &dataset{ID: sd.ID, Name: sd.Name, Retention: sd.Retention, Mode: sd.Mode, ConfigBy: sd.ConfigBy, Push: sd.Push,
			Created: sd.Created, Relations: sd.Relations, Counters: sd.Counters}
		for _, stb := range sd.Tables {
			t := &table{Name: stb.Name, Description: stb.Description, IsHidden: stb.IsHidden, Rows: stb.Rows, Measures: stb.Measures}
			if seeds[stb.Seed] != nil {
				t.seed = stb.Seed
			}
			for _, c := range stb.Columns {
				t.Columns = append(t.Columns, &column{Name: c.Name, DataType: c.DataType, FormatString: c.FormatString, DataCategory: c.DataCategory,
					SummarizeBy: c.SummarizeBy, SortByColumn: c.SortByColumn, IsHidden: c.IsHidden,
					ints: c.Ints, floats: c.Floats, bools: c.Bools, strs: c.Strs, nulls: c.Nulls})
			}
			d.Tables = append(d.Tables, t)
		}
		st.addDataset(ws, d)
	}
	return ws
}
