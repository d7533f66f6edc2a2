package doctor

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pbiwb/pbiwb/connector/domo"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/redact"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/connector/source"
	"github.com/pbiwb/pbiwb/format"
)

const domoPrefix = "domo:"

func isDomo(input string) bool { return strings.HasPrefix(strings.ToLower(input), domoPrefix) }

// checkInput proves the input can be read: a Domo DataSet's metadata through
// the account's Domo API client, or a file's header row. Its columns are kept
// for the table check.
func (d *Doctor) checkInput(ctx context.Context) Result {
	in := d.cfg.Input
	if isDomo(in) {
		return d.checkDomo(ctx, strings.TrimSpace(in[len(domoPrefix):]))
	}
	if in == "-" {
		return skip("standard input cannot be read ahead of a push; it is checked when pbiwb push reads it")
	}
	return d.checkFile(in)
}

func (d *Doctor) checkDomo(ctx context.Context, id string) Result {
	if d.domoID == "" {
		return fail("no Domo API client to read DataSet "+redact.ID(field.DataSetID, id)+" with", d.domoMissing)
	}
	c := domo.New(d.cfg.Endpoints, d.domoID, d.domoSecret)
	if err := c.SignIn(ctx); err != nil {
		return domoFailure("Domo sign-in with client "+redact.ID(field.DomoClientID, d.domoID), err)
	}
	ds, err := c.DataSet(ctx, id)
	if err != nil {
		return domoFailure("DataSet "+redact.ID(field.DataSetID, id), err)
	}
	d.inputCols = nil
	var cols []string
	for _, col := range ds.Schema {
		t, _ := schema.FromDomo(col.Type)
		d.inputCols = append(d.inputCols, inputColumn{Name: col.Name, Type: t})
		cols = append(cols, fmt.Sprintf("%s (%s)", col.Name, col.Type))
	}
	owner := ds.Owner.Name
	if owner == "" {
		owner = ds.Owner.ID
	}
	found := fmt.Sprintf("Domo DataSet %q (%s) is readable by client %s: %s, %s", ds.Name, ds.ID, redact.ID(field.DomoClientID, d.domoID), format.Count(ds.Rows, "row"), format.Count(len(ds.Schema), "column"))
	if owner != "" {
		found += ", owner " + owner
	}
	return pass(found, "columns: "+strings.Join(cols, ", "))
}

// domoFailure shows Domo's error with its advice (for a refusal, the
// owner/co-owner rule) and trace id.
func domoFailure(what string, err error) Result {
	var de *domo.Error
	if !errors.As(err, &de) {
		return fail(what+": "+err.Error(), "Check the network connection to the Domo API and run pbiwb doctor again.")
	}
	found := what + ": " + de.Summary
	if de.Detail != "" {
		found += " (Domo says: " + de.Detail + ")"
	}
	var details []string
	if de.TOE != "" {
		details = append(details, "Domo trace id "+de.TOE+" (quote it to Domo support)")
	}
	fix := de.Advice
	if fix == "" {
		fix = "Check the DataSet id and the Domo API client."
	}
	return fail(found, fix, details...)
}

// checkFile reads a file's header: a workbook's, Parquet file's or JSON
// Lines' columns as source.Header reads them, else a CSV or TSV header,
// with the delimiter a push would use.
func (d *Doctor) checkFile(path string) Result {
	if names, f, ok, err := source.Header(path); ok {
		if err != nil {
			return fail("cannot read the columns of "+path+": "+err.Error(), "Check that the file is a complete "+f.Describe()+"; a dry run ("+d.face().Name(field.DryRun)+") says more.")
		}
		d.inputCols = nil
		for _, n := range names {
			d.inputCols = append(d.inputCols, inputColumn{Name: n})
		}
		return pass(fmt.Sprintf("%s is readable (%s): %s in its header", path, f.Describe(), format.Count(len(names), "column")),
			"columns: "+strings.Join(names, ", "),
			"only the header was read; a dry run ("+d.face().Name(field.DryRun)+") checks every value")
	}
	f, err := os.Open(path)
	if err != nil {
		return fail("cannot open the input file: "+err.Error(), "Check the path (relative paths are taken from the current directory) and that your user may read it.")
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 64<<10)
	head, _ := br.Peek(64 << 10)
	var comma byte = ','
	switch strings.ToLower(filepath.Ext(path)) {
	case ".tsv", ".tab":
		comma = '\t'
	case ".csv":
	default:
		comma = source.DetectDelimiter(head)
	}
	r := source.NewReader(br, comma)
	if err := r.Read(); err != nil {
		return fail("cannot read the header row of "+path+": "+err.Error(), "The first line must name the columns (RFC 4180 CSV, or tab-separated).")
	}
	d.inputCols = nil
	var names []string
	for i := 0; i < r.NumFields(); i++ {
		name := string(r.Field(i))
		d.inputCols = append(d.inputCols, inputColumn{Name: name})
		names = append(names, name)
	}
	kind := "CSV"
	if comma == '\t' {
		kind = "tab-separated"
	}
	return pass(fmt.Sprintf("%s is readable (%s): %s in its header", path, kind, format.Count(len(names), "column")),
		"columns: "+strings.Join(names, ", "),
		"only the header was read; a dry run ("+d.face().Name(field.DryRun)+") checks every value")
}
