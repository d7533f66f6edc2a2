package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

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
	// Format is how the bytes are read; "" is CSV or TSV (Delimiter).
	Format Format
	// Sheet is the workbook's sheet to read (Format XLSX); "" is the first.
	Sheet string
}

// File is a local file, or stdin for "-", read in the format its extension
// names (FormatOf: .xlsx, .parquet, .jsonl, ...; FileFormat chooses
// another). A CSV's delimiter is tab for a .tsv or .tab file, comma for
// .csv, and detected from the first line otherwise (stdin included). A path that is not a regular file — a named
// pipe, /dev/stdin, a process substitution's /dev/fd/N, a character device
// — is read once, like stdin: a second open would block (a FIFO waits for a
// writer that is gone) or find nothing left.
func File(path string, stdin io.Reader) *Source {
	if path == "-" {
		return &Source{
			Name: "stdin",
			Open: once("stdin", func(context.Context) (io.ReadCloser, error) {
				if stdin == nil {
					return nil, errors.New("no standard input to read")
				}
				return io.NopCloser(stdin), nil
			}),
		}
	}
	var delim byte
	f := FormatOf(path)
	switch f {
	case TSV:
		delim = '\t'
	case CSV:
		delim = ','
	}
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
		return &Source{Name: path, Delimiter: delim, Format: f, Open: once(path, func(ctx context.Context) (io.ReadCloser, error) {
			return openStream(ctx, path)
		})}
	}
	return &Source{
		Name:       path,
		Reopenable: true,
		Delimiter:  delim,
		Format:     f,
		Open: func(context.Context) (io.ReadCloser, error) {
			f, err := os.Open(path)
			if err != nil {
				return nil, fmt.Errorf("open input %s: %w", path, err)
			}
			if st, err := f.Stat(); err == nil && st.IsDir() {
				f.Close()
				return nil, fmt.Errorf("input %s is a directory: give a file", path)
			}
			return f, nil
		},
	}
}

// once lets open run a single time: a stream gives its bytes once, and a
// second read must say so rather than block or find it empty.
func once(name string, open func(context.Context) (io.ReadCloser, error)) func(context.Context) (io.ReadCloser, error) {
	var mu sync.Mutex
	opened := false
	return func(ctx context.Context) (io.ReadCloser, error) {
		mu.Lock()
		defer mu.Unlock()
		if opened {
			return nil, fmt.Errorf("%s is a stream and was read already: it cannot be read a second time (save it to a file to reuse it)", name)
		}
		opened = true
		return open(ctx)
	}
}

// openStream opens a pipe, FIFO or device so that ctx can end the wait: a
// FIFO's open blocks until a writer comes, and a read until it writes, and
// an interrupt must not wait for either.
func openStream(ctx context.Context, path string) (io.ReadCloser, error) {
	type opened struct {
		f   *os.File
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		f, err := os.Open(path)
		ch <- opened{f, err}
	}()
	var o opened
	select {
	case o = <-ch:
	case <-ctx.Done():
		go func() { // the open may still succeed: close what it gives
			if o := <-ch; o.f != nil {
				o.f.Close()
			}
		}()
		return nil, ctx.Err()
	}
	if o.err != nil {
		return nil, fmt.Errorf("open input %s: %w", path, o.err)
	}
	// Pipes and FIFOs are pollable: a deadline in the past ends a read
	// that waits. (A device that is not pollable ignores it.)
	stop := context.AfterFunc(ctx, func() { o.f.SetReadDeadline(time.Now()) })
	return &streamFile{File: o.f, ctx: ctx, stop: stop}, nil
}

// streamFile is a stream opened by openStream: its reads end when ctx does.
type streamFile struct {
	*os.File
	ctx  context.Context
	stop func() bool
}

func (s *streamFile) Read(b []byte) (int, error) {
	n, err := s.File.Read(b)
	if err != nil && s.ctx.Err() != nil {
		return n, s.ctx.Err()
	}
	return n, err
}

func (s *streamFile) Close() error {
	s.stop()
	return s.File.Close()
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
// empty unquoted field (docs/sources.md, Domo: the CSV export), which the Reader keeps.
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
