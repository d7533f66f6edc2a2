package doctor

import (
	"context"
	"fmt"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/powerbi"
)

// CheckCounting is the check that Power BI counts the target table's rows.
const CheckCounting = "counting"

// countingCheck is the check, placed after the table's: pbiwb push counts a
// table's rows (executeQueries, COUNTROWS) to settle a POST whose answer was
// lost and to verify each run. Power BI refuses when the tenant setting
// "Dataset Execute Queries REST API" is off or the identity lacks Build
// permission; a push then still writes, but cannot verify or settle.
func (d *Doctor) countingCheck() Check {
	return Check{Name: CheckCounting, Title: "Counting rows allowed (" + powerbi.ExecuteQueriesSetting + ")",
		Needs: []string{CheckTable}, Run: d.checkCounting}
}

func (d *Doctor) checkCounting(ctx context.Context) Result {
	ds, table := d.dataset, d.table
	tried := ""
	if ds == nil || table == nil {
		// No target table yet: the tenant setting can still be tried on
		// another push dataset of the workspace (Build permission is the
		// new dataset's owner's: pbiwb's identity, once it creates it).
		var ok bool
		ds, table, ok = d.anyPushTable(ctx)
		if !ok {
			return pass("nothing to count yet: the dataset does not exist and the workspace has no other push table to try; " +
				"pbiwb push tries counting before it writes")
		}
		tried = fmt.Sprintf(" (tried on table %q of dataset %q, as the target does not exist yet)", table.Name, ds.Name)
	}
	_, err := d.client.CountRows(ctx, d.group.ID, ds.ID, table.Name)
	n := d.face()
	switch {
	case powerbi.CountingRefused(err):
		return fail(powerbi.CountingRefusal(err)+tried,
			fmt.Sprintf("Ask a Power BI administrator to turn on %q (Admin portal › Tenant settings › Integration settings), "+
				"or the dataset's owner for Build permission. Until then pbiwb push still writes, but ends \"written, not verified\", "+
				"and a batch whose answer is lost stops the run for you to say what became of it (%s with %s or %s).",
				powerbi.ExecuteQueriesSetting, n.Name(field.Resume), n.Name(field.AssumeSent), n.Name(field.AssumeLost)))
	case err != nil:
		r := d.powerbiFailure("counting the rows of "+table.Name, err)
		r.Details = append(r.Details, "pbiwb push counts rows the same way to verify a run and to settle an interrupted request")
		return r
	}
	return pass(fmt.Sprintf("Power BI counts the rows of table %q%s: %q is on and the identity may query the dataset, "+
		"so pbiwb push verifies each run and settles a request whose answer is lost", table.Name, tried, powerbi.ExecuteQueriesSetting))
}

// anyPushTable is a table of some push dataset of the workspace, to try
// counting on.
func (d *Doctor) anyPushTable(ctx context.Context) (*powerbi.Dataset, *powerbi.Table, bool) {
	list, err := d.client.Datasets(ctx, d.group.ID)
	if err != nil {
		return nil, nil, false
	}
	for i := range list {
		if !list[i].IsPush() {
			continue
		}
		tables, err := d.client.Tables(ctx, d.group.ID, list[i].ID)
		if err == nil && len(tables) > 0 {
			return &list[i], &tables[0], true
		}
	}
	return nil, nil, false
}
