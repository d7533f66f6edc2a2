package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/pbiwb/pbiwb/connector/domo"
	"github.com/pbiwb/pbiwb/connector/schema"
)

// Source is an input: a CSV stream, optionally with declared column types.
// Open is called once per pass; when Reopenable is false (stdin, a Domo
// export) the pipeline's first pass keeps a copy in a temporary file, so
// both passes read the same bytes and the source is fetched once.
type Source struct {
	// Name is what messages call the input: a path, "stdin", "domo:GUID".
	Name string
	// Open returns the CSV bytes, header row first.
	Open func(ctx context.Context) (io.ReadCloser, error)
	// Reopenable is true when Open returns the same bytes each time.
	Reopenable bool
	// Delimiter is ',' or '\t'; 0 detects it from the first line.
	Delimiter byte
	// Declared are the column types the source states (a Domo DataSet's
	// schema), matched to the header by name; nil lets the pipeline infer.
	Declared []schema.Column
}

// File is a local CSV or TSV file, or stdin for "-". The delimiter is tab
// for a .tsv or .tab file, comma for .csv, and detected from the first line
// otherwise (stdin included).
func File(path string, stdin io.Reader) *Source {
	if path == "-" {
		return &Source{
			Name: "stdin",
			Open: func(context.Context) (io.ReadCloser, error) {
				if stdin == nil {
					return nil, errors.New("no standard input to read")
				}
				return io.NopCloser(stdin), nil
			},
		}
	}
	var delim byte
	switch strings.ToLower(filepath.Ext(path)) {
	case ".tsv", ".tab":
		delim = '\t'
	case ".csv":
		delim = ','
	}
	return &Source{
		Name:       path,
		Reopenable: true,
		Delimiter:  delim,
		Open: func(context.Context) (io.ReadCloser, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("open input %s: %w", path, err)
			}
			if st, err := f.Stat(); err == nil && st.IsDir() {
				f.Close()
				return nil, fmt.Errorf("input %s is a directory: give a CSV file", path)
			}
			return f, nil
		},
	}
}

// DomoAPI is the part of the Domo client a Domo source uses; *domo.Client
// has it. Export returns the DataSet's CSV with its header row.
type DomoAPI interface {
	DataSet(ctx context.Context, id string) (domo.DataSet, error)
	Export(ctx context.Context, id string) (io.ReadCloser, error)
}

var _ DomoAPI = (*domo.Client)(nil)

// Domo is a Domo DataSet as a source: its schema from the metadata, its rows
// from the CSV export, streamed once (the pipeline keeps a copy for the
// second pass). Domo's dialect is comma-separated RFC 4180 with NULL as an
// empty unquoted field (Domo reference Part 1.3), which the Reader keeps.
func Domo(ctx context.Context, api DomoAPI, id string) (*Source, error) {
	ds, err := api.DataSet(ctx, id)
	if err != nil {
		return nil, err
	}
	cols := make([]schema.Column, len(ds.Schema))
	for i, c := range ds.Schema {
		t, err := schema.FromDomo(c.Type)
		if err != nil {
			return nil, fmt.Errorf("Domo DataSet %s, column %q: %w", id, c.Name, err)
		}
		cols[i] = schema.Column{Name: c.Name, Type: t}
	}
	return &Source{
		Name:      "domo:" + id,
		Delimiter: ',',
		Declared:  cols,
		Open: func(ctx context.Context) (io.ReadCloser, error) {
			return api.Export(ctx, id)
		},
	}, nil
}
