package doctor

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/names"
)

// powerbiFailure shows a Power BI refusal with its advice (which carries the
// RequestId).
func (d *Doctor) powerbiFailure(what string, err error) Result {
	advice := powerbi.Advice(err, d.face())
	if advice == "" {
		return fail(what+": "+err.Error(), "Run pbiwb doctor again; if it persists, report it with this message.")
	}
	found, fix := what+": "+err.Error(), advice
	var pe *powerbi.Error
	if errors.As(err, &pe) {
		found = fmt.Sprintf("%s: Power BI answered %d %s", what, pe.Status, pe.Code)
		if pe.Message != "" {
			found += " (" + pe.Message + ")"
		}
	}
	return fail(found, fix)
}

// checkWorkspace proves the token works against the API: the named workspace
// is visible and not read-only; without --group, the list of workspaces.
func (d *Doctor) checkWorkspace(ctx context.Context) Result {
	if d.client == nil {
		d.client = powerbi.New(d.cfg.Endpoints, d.session)
	}
	spNote := ""
	if d.appOnly {
		spNote = " " + entra.SPRestrictions
	}
	if d.cfg.Group == "" {
		groups, err := d.client.Groups(ctx, "")
		if err != nil {
			return d.powerbiFailure("listing workspaces", err)
		}
		if len(groups) == 0 {
			if d.appOnly {
				return fail("Power BI answers, but the service principal is a member of no workspace",
					"Add it to the target workspace (workspace → Manage access → Member or Admin)."+spNote)
			}
			return pass("Power BI answers; this account is a member of no shared workspace (My workspace can still be used)")
		}
		names := make([]string, len(groups))
		for i, g := range groups {
			names[i] = g.Name
			if g.IsReadOnly {
				names[i] += " (read-only)"
			}
		}
		return pass(fmt.Sprintf("Power BI answers; %s visible (give %s to check one)", format.Count(len(groups), "workspace"), d.face().Name(field.Group)),
			"workspaces: "+strings.Join(names, ", "))
	}
	g, err := d.client.FindGroup(ctx, d.cfg.Group)
	var dup *powerbi.DuplicateNameError
	switch {
	case errors.Is(err, powerbi.ErrNoSuchGroup):
		return fail(err.Error(), "Use the workspace's exact name or its ID (pbiwb groups lists them); if it is not listed, "+
			"a workspace Admin adds this account in the workspace's Manage access (Contributor, Member or Admin)."+spNote)
	case errors.As(err, &dup):
		return fail(err.Error(), "Give "+d.face().Name(field.Group)+" the workspace's ID instead of its name.")
	case err != nil:
		return d.powerbiFailure("workspace "+d.cfg.Group, err)
	}
	d.group = g
	if g.ID == powerbi.MyWorkspace && d.appOnly {
		return fail("a service principal has no My workspace", "Name a shared workspace the service principal is a member of."+spNote)
	}
	if g.IsReadOnly {
		return fail(fmt.Sprintf("workspace %q (%s) is read-only for this account (Viewer role, or a read-only workspace)", g.Name, g.ID),
			"Ask a workspace Admin for the Contributor, Member or Admin role (workspace → Manage access), or choose a workspace you can write to (pbiwb groups shows READ-ONLY).")
	}
	id := g.ID
	if id == "" {
		id = "personal"
	}
	return pass(fmt.Sprintf("workspace %q (%s) is visible and writable", g.Name, id))
}

// checkDataset finds the dataset by ID or name. No dataset of that name is
// not a problem: pbiwb push creates it.
func (d *Doctor) checkDataset(ctx context.Context) Result {
	name := d.cfg.Dataset
	var ds powerbi.Dataset
	var err error
	if names.IsGUID(name) {
		ds, err = d.client.Dataset(ctx, d.group.ID, name)
	} else {
		ds, err = d.client.FindDataset(ctx, d.group.ID, name)
	}
	var dup *powerbi.DuplicateNameError
	switch {
	case errors.Is(err, powerbi.ErrNoSuchDataset):
		d.dataset = nil
		return pass(fmt.Sprintf("no dataset named %q in %q yet: pbiwb push creates it as a push dataset (retention chosen with %s)", name, d.group.Name, d.face().Name(field.Retention)))
	case errors.As(err, &dup):
		return fail(err.Error(), "Give "+d.face().Name(field.Dataset)+" the dataset's ID, or rename or delete the extra datasets in the Power BI service.")
	case err != nil:
		return d.powerbiFailure("dataset "+name, err)
	}
	if !ds.IsPush() {
		return fail(fmt.Sprintf("dataset %q (%s) is not a push dataset (it was imported or published from Power BI Desktop), so rows cannot be written into it", ds.Name, ds.ID),
			"Choose another dataset name — pbiwb push creates a push dataset when the workspace has none of that name — or rename or delete this dataset in the Power BI service.")
	}
	d.dataset = &ds
	return pass(fmt.Sprintf("push dataset %q (%s), retention %s", ds.Name, ds.ID, retentionText(d.retentionPolicy(&ds))))
}

func retentionText(p string) string {
	switch {
	case strings.EqualFold(p, powerbi.RetentionFIFO):
		return "basicFIFO (oldest rows dropped beyond 200,000)"
	case p == "":
		return "unknown (Power BI does not say it, and this home did not create the dataset)"
	}
	return p
}

// checkTable checks the table exists, lists its columns, and compares them
// with the input's when the input check read them.
func (d *Doctor) checkTable(ctx context.Context) Result {
	name := d.cfg.Table
	if d.dataset == nil {
		return pass(fmt.Sprintf("the dataset does not exist yet: pbiwb push creates it with table %q", name))
	}
	tables, err := d.client.Tables(ctx, d.group.ID, d.dataset.ID)
	if err != nil {
		return d.powerbiFailure("tables of "+d.dataset.Name, err)
	}
	var t *powerbi.Table
	var names []string
	for i := range tables {
		names = append(names, tables[i].Name)
		if tables[i].Name == name {
			t = &tables[i]
		}
	}
	if t == nil {
		hint := ""
		for _, n := range names {
			if strings.EqualFold(n, name) {
				hint = fmt.Sprintf(" (%q differs only in case: table names are case-sensitive)", n)
			}
		}
		return fail(fmt.Sprintf("dataset %q has no table %q%s; its tables: %s", d.dataset.Name, name, hint, strings.Join(names, ", ")),
			"Use one of its tables ("+d.face().Name(field.Table)+"). Power BI cannot add a table to an existing push dataset: to get this table, push into a new "+d.face().Name(field.Dataset)+" name and pbiwb creates both.")
	}
	d.table = t
	if len(t.Columns) == 0 {
		return pass(fmt.Sprintf("table %q exists; Power BI did not list its columns, so they cannot be compared with the input", name))
	}
	cols := make([]string, len(t.Columns))
	byName := map[string]powerbi.Column{}
	for i, c := range t.Columns {
		cols[i] = c.Name + " (" + c.DataType + ")"
		byName[c.Name] = c
	}
	details := []string{"columns: " + strings.Join(cols, ", ")}
	if d.inputCols == nil {
		return pass(fmt.Sprintf("table %q exists with %s (give %s to compare them with the input's)", name, format.Count(len(t.Columns), "column"), d.face().Name(field.Input)), details...)
	}
	var missing, differ []string
	inInput := map[string]bool{}
	for _, ic := range d.inputCols {
		inInput[ic.Name] = true
		c, ok := byName[ic.Name]
		if !ok {
			missing = append(missing, ic.Name)
			continue
		}
		if ic.Type != schema.Unknown && !strings.EqualFold(ic.Type.String(), c.DataType) {
			differ = append(differ, fmt.Sprintf("%s: input %s, table %s", ic.Name, ic.Type, c.DataType))
		}
	}
	var extra []string
	for _, c := range t.Columns {
		if !inInput[c.Name] {
			extra = append(extra, c.Name)
		}
	}
	sort.Strings(extra)
	if len(differ) > 0 {
		details = append(details, "types differ (the table's type is used, so every value must convert to it): "+strings.Join(differ, "; "))
	}
	if len(extra) > 0 {
		details = append(details, "table columns the input lacks: "+strings.Join(extra, ", "))
	}
	if len(missing) > 0 {
		return fail(fmt.Sprintf("table %q lacks %d of the input's columns: %s (Power BI refuses rows with columns the table does not have; names are case-sensitive)",
			name, len(missing), strings.Join(missing, ", ")),
			"Push into a new "+d.face().Name(field.Dataset)+" name (pbiwb creates it with the input's columns), or drop those columns from the input, "+
				"or add them to the table with Power BI's Put Table API (the whole column list, existing columns included).", details...)
	}
	return pass(fmt.Sprintf("table %q has every input column (%s)", name, format.Count(len(t.Columns), "column")), details...)
}

// checkRows counts the table's rows (the DAX query a push verifies with)
// against the most a table of its retention policy holds.
func (d *Doctor) checkRows(ctx context.Context) Result {
	if d.dataset == nil || d.table == nil {
		return pass("no rows yet: the dataset does not exist")
	}
	n, err := d.client.CountRows(ctx, d.group.ID, d.dataset.ID, d.table.Name)
	if err != nil {
		r := d.powerbiFailure("counting the rows of "+d.table.Name, err)
		r.Details = append(r.Details, "pbiwb push counts rows the same way to verify a run and to settle an interrupted request")
		return r
	}
	lim, err := d.client.Limits(ctx)
	if err != nil {
		lim = schema.DocumentedLimits()
	}
	policy := d.retentionPolicy(d.dataset)
	fifo := strings.EqualFold(policy, powerbi.RetentionFIFO)
	var details []string
	if n >= int64(lim.LargeTableRows) {
		details = append(details, fmt.Sprintf("over %s rows: Power BI accepts only %d POST requests an hour for this table; pbiwb paces itself to that",
			format.Thousands(int64(lim.LargeTableRows)), lim.PostsPerHourLarge))
	}
	if fifo {
		found := fmt.Sprintf("table %q holds %s rows; basicFIFO keeps the latest %s", d.table.Name, format.Thousands(n), format.Thousands(int64(lim.MaxRowsFIFO)))
		if n >= int64(lim.MaxRowsFIFO) {
			details = append(details, "the table is full: every new row drops one of the oldest")
		}
		return pass(found, details...)
	}
	limit := int64(lim.MaxRowsNoRetention)
	found := fmt.Sprintf("table %q holds %s of the %s rows a table without retention may hold", d.table.Name, format.Thousands(n), format.Thousands(limit))
	if n >= limit {
		return fail(found+": it is full, so Power BI refuses more rows",
			"Use "+d.face().Setting(field.Mode, "replace")+" (deletes the rows first), delete the rows in the dataset, or push into a new dataset with "+d.face().Setting(field.Retention, "fifo")+".", details...)
	}
	if policy == "" {
		details = append(details, "Power BI did not report the retention policy; the limit without retention is shown")
	}
	return pass(found, details...)
}
