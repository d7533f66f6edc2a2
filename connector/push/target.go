package push

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
)

// resolved is the target as it stands before a push: what exists and what
// the push would have to create.
type resolved struct {
	group   powerbi.Group
	dataset *powerbi.Dataset // nil: the push creates it (with the table)
	table   *powerbi.Table   // nil: created with the dataset
	// tableRows is what the existing table holds now.
	tableRows int64
	// existing are the table's columns as types, nil when the table is new or
	// the service did not list its columns.
	existing  []schema.Column
	retention schema.Retention // the dataset's, or the requested one for a new dataset
	// retentionFrom says where retention comes from (retentionCreated, ...);
	// with retentionUnknown, retention is RetentionNone but the table may
	// be a FIFO one, and settling and verifying allow for eviction.
	retentionFrom string
	// uncounted says why Power BI refused to count the table's rows (the
	// run's probe of counting, for an existing table); "" when it counted.
	uncounted string
	warnings  []string
}

// resolveTarget finds the workspace, the dataset and the table, reading only.
// Every way the target cannot take the push is a *TargetError (3: change the
// target; 5: Power BI refuses) or a Power BI error; n names the settings its
// advice refers to.
// dirs holds what pbiwb remembers of the datasets it created (their retention).
func resolveTarget(ctx context.Context, c *powerbi.Client, dirs home.Dirs, req Request, n field.Namer) (resolved, error) {
	var r resolved
	g, err := c.FindGroup(ctx, req.Group)
	var dup *powerbi.DuplicateNameError
	switch {
	case errors.As(err, &dup):
		return r, &TargetError{Code: exitcode.Invalid, Err: err, Msg: fmt.Sprintf(
			"several workspaces are named %q (ids %s): pass %s with the id of the one to write to",
			req.Group, strings.Join(dup.IDs, ", "), n.Name(field.Group))}
	case errors.Is(err, powerbi.ErrNoSuchGroup):
		// Not visible is what no access looks like from outside: Power BI's
		// refusal, exit 5, with the names the identity can see.
		return r, &TargetError{Code: exitcode.Refused, Err: err, Msg: fmt.Sprintf(
			"workspace %q: %v. Check the name (pbiwb groups lists the workspaces this identity sees), "+
				"or ask the workspace's admin to add this identity as a Member or Contributor", req.Group, err)}
	case err != nil:
		return r, err
	}
	r.group = g
	if g.IsReadOnly {
		return r, &TargetError{Code: exitcode.Refused, Msg: fmt.Sprintf(
			"workspace %q is read-only for this identity (a Viewer role, or a read-only capacity): nothing was written. "+
				"Ask the workspace's admin for the Contributor role or higher, or choose another %s", g.Name, field.Noun(n, field.Group))}
	}

	ds, err := c.FindDataset(ctx, g.ID, req.Dataset)
	switch {
	case errors.As(err, &dup):
		return r, &TargetError{Code: exitcode.Invalid, Err: err, Msg: fmt.Sprintf(
			"workspace %q holds several datasets named %q (ids %s); Power BI allows repeated names but pbiwb "+
				"cannot tell which one to write to: delete or rename the extra ones in Power BI, or choose another %s name",
			g.Name, req.Dataset, strings.Join(dup.IDs, ", "), field.Noun(n, field.Dataset))}
	case errors.Is(err, powerbi.ErrNoSuchDataset):
		r.retention, r.retentionFrom = req.retention(), retentionNew
		return r, nil // created with the table by Run
	case err != nil:
		return r, err
	}
	if !ds.IsPush() {
		return r, &TargetError{Code: exitcode.Refused, Msg: fmt.Sprintf(
			"dataset %q (id %s) in workspace %q is not a push dataset (it was imported or published from Power BI Desktop), "+
				"so Power BI refuses rows sent to it: choose another %s name and pbiwb creates a push dataset of that name",
			ds.Name, ds.ID, g.Name, field.Noun(n, field.Dataset))}
	}
	r.dataset = &ds
	r.retention, r.retentionFrom = schema.RetentionNone, retentionUnknown
	remembered, known := RememberedRetention(dirs, c.Endpoints().APIBase, ds.ID)
	switch {
	case known:
		r.retention, r.retentionFrom = remembered, retentionCreated
	case ds.DefaultRetentionPolicy != "": // the swagger has no such field; a service that says it is believed
		r.retention, r.retentionFrom = schema.RetentionNone, retentionService
		if strings.EqualFold(ds.DefaultRetentionPolicy, powerbi.RetentionFIFO) {
			r.retention = schema.RetentionFIFO
		}
	case req.Retention == RetentionFIFO:
		r.retention, r.retentionFrom = schema.RetentionFIFO, retentionGiven
	}
	if r.retentionFrom != retentionUnknown && r.retentionFrom != retentionGiven && r.retention != req.retention() && req.Retention != RetentionNone {
		r.warnings = append(r.warnings, fmt.Sprintf("dataset %q exists with retention %s; %s applies only "+
			"when a dataset is created (Power BI fixes it then)", ds.Name, retentionWord(r.retention), n.Setting(field.Retention, req.Retention)))
	}
	if r.retentionFrom == retentionUnknown {
		r.warnings = append(r.warnings, fmt.Sprintf("Power BI does not say the retention of dataset %q, and pbiwb did not create it "+
			"(from this home): if it keeps only the newest 200,000 rows (basicFIFO, as Azure Stream Analytics makes them), say so "+
			"with %s; meanwhile a row count that stops at that size is taken as eviction, not as someone else's rows",
			ds.Name, n.Setting(field.Retention, RetentionFIFO)))
	}

	tables, err := c.Tables(ctx, g.ID, ds.ID)
	if err != nil {
		return r, err
	}
	t := findTable(tables, req.Table)
	if t == nil {
		names := make([]string, len(tables))
		for i, t := range tables {
			names[i] = fmt.Sprintf("%q", t.Name)
		}
		has := "no tables"
		if len(names) > 0 {
			has = "the tables " + strings.Join(names, ", ")
		}
		return r, &TargetError{Code: exitcode.Invalid, Msg: fmt.Sprintf(
			"dataset %q exists with %s but no table %q, and Power BI cannot add a table to an existing push dataset "+
				"(a table's schema can be updated, not created): choose a new %s name (pbiwb creates it with the table), "+
				"or write to one of its tables", ds.Name, has, req.Table, field.Noun(n, field.Dataset))}
	}
	r.table = t
	if len(t.Columns) == 0 {
		// UNCONFIRMED whether the real service lists a push table's columns
		// (docs/sources.md, Power BI: tables): without them there is nothing to compare, and a
		// mismatch shows as Power BI refusing the first batch.
		r.warnings = append(r.warnings, fmt.Sprintf("Power BI did not list the columns of table %q: the input's columns are assumed to match it", t.Name))
	} else {
		r.existing = make([]schema.Column, len(t.Columns))
		for i, col := range t.Columns {
			typ, err := schema.ParseType(col.DataType)
			if err != nil {
				return r, &TargetError{Code: exitcode.Invalid, Msg: fmt.Sprintf(
					"table %q: column %q has the type %q, which a push table should not have: write to a new table", t.Name, col.Name, col.DataType)}
			}
			r.existing[i] = schema.Column{Name: col.Name, Type: typ}
		}
	}
	rows, err := c.CountRows(ctx, g.ID, ds.ID, t.Name)
	switch {
	case powerbi.CountingRefused(err):
		// Writing does not need counting: the push goes on without it.
		r.uncounted = powerbi.CountingRefusal(err)
		r.warnings = append(r.warnings, r.uncounted+". "+withoutCounting(n))
	case err != nil:
		return r, fmt.Errorf("count the rows of table %q: %w", t.Name, err)
	}
	r.tableRows = rows
	return r, nil
}

// findTable is the table of that name: exactly, else ignoring case (Power BI
// treats names that differ only in case as one, UNCONFIRMED for push tables).
func findTable(tables []powerbi.Table, name string) *powerbi.Table {
	for i := range tables {
		if tables[i].Name == name {
			return &tables[i]
		}
	}
	for i := range tables {
		if strings.EqualFold(tables[i].Name, name) {
			return &tables[i]
		}
	}
	return nil
}

func retentionWord(r schema.Retention) string {
	if r == schema.RetentionFIFO {
		return "fifo (basicFIFO)"
	}
	return "none"
}

// recheckNewDataset looks for the dataset by name once more just before it
// is created: Prepare found none, but another program, machine or user may
// have created one since (the target's lock keeps out only the pushes of this
// machine's user). Creating a second of the same name would make every later
// push refuse the target, so the push stops instead, having written nothing.
// n names the setting its advice refers to.
func recheckNewDataset(ctx context.Context, c *powerbi.Client, g powerbi.Group, name string, n field.Namer) error {
	another := field.Noun(n, field.Dataset)
	ds, err := c.FindDataset(ctx, g.ID, name)
	var dup *powerbi.DuplicateNameError
	switch {
	case errors.Is(err, powerbi.ErrNoSuchDataset):
		return nil
	case errors.As(err, &dup):
		return &TargetError{Code: exitcode.Invalid, Err: err, Msg: fmt.Sprintf(
			"datasets named %q appeared in workspace %q while this push read its input (ids %s): something else is creating them. "+
				"Nothing was written; delete or rename the extra ones in Power BI, or choose another %s name",
			name, g.Name, strings.Join(dup.IDs, ", "), another)}
	case err != nil:
		return fmt.Errorf("look for dataset %q before creating it: %w", name, err)
	}
	return &TargetError{Code: exitcode.Invalid, Msg: fmt.Sprintf(
		"dataset %q (id %s) appeared in workspace %q while this push read its input: something else created it. "+
			"Nothing was written, so as not to make a second dataset of that name; run the push again to write into it "+
			"(its table and columns are checked then), or choose another %s name", name, ds.ID, g.Name, another)}
}
