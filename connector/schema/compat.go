package schema

import (
	"fmt"
	"strings"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/format"
)

// Retention is a push dataset's defaultRetentionPolicy.
type Retention string

// The two policies (docs/sources.md, Power BI: creating a push dataset).
const (
	RetentionNone Retention = "None"
	RetentionFIFO Retention = "basicFIFO"
)

// CheckRowCount checks the rows a table would hold after the write (the
// input's rows, plus the rows already there in append mode) against its
// retention. A table without retention holds at most MaxRowsNoRetention:
// more is a finding. A basicFIFO table keeps the newest MaxRowsFIFO rows and
// drops the rest, which is not an error but loses data: that comes back as
// a warning for the plan to show. n names the settings the advice suggests
// (nil is field.Plain{}).
func CheckRowCount(l Limits, r Retention, existing, incoming int, n field.Namer) (findings []Finding, warning string) {
	total := existing + incoming
	what := format.Count(incoming, "row")
	if existing > 0 {
		what = fmt.Sprintf("%s on top of the %s already in the table (%s in all)", format.Count(incoming, "row"), format.Thousands(existing), format.Thousands(total))
	}
	switch {
	case strings.EqualFold(string(r), string(RetentionFIFO)):
		if l.MaxRowsFIFO > 0 && total > l.MaxRowsFIFO {
			warning = fmt.Sprintf("writing %s to a basicFIFO table: Power BI keeps only the newest %s or so and drops the oldest %s", what, format.Thousands(l.MaxRowsFIFO), format.Thousands(total-l.MaxRowsFIFO))
		}
	default:
		if l.MaxRowsNoRetention > 0 && total > l.MaxRowsNoRetention {
			findings = append(findings, Finding{Rule: RuleRowCount,
				Message: fmt.Sprintf("writing %s exceeds the %s a push table without retention may hold: %s", what, format.Count(l.MaxRowsNoRetention, "row"),
					field.Render("split the input, use {mode=replace}, or a basicFIFO dataset ({retention=fifo}) if only the newest rows matter", n))})
		}
	}
	return findings, warning
}

// Compatibility is how an input's columns fit an existing table.
type Compatibility struct {
	// Add are input columns the table lacks: a PUT of the table with them
	// appended adds them (docs/sources.md, Power BI: changing a table's schema) before rows are written.
	Add []Column
	// Missing are table columns the input lacks: rows will leave them empty.
	Missing []Column
	// Findings are what must stop the write: a column whose type differs, or
	// whose name differs only in case (Power BI would treat the two as one).
	Findings []Finding
}

// OK reports whether rows can be written (after adding Add).
func (c Compatibility) OK() bool { return len(c.Findings) == 0 }

// Compare checks the input's columns against an existing table's. Changing
// a column's type in place is not offered: what PUT does to the rows already
// stored is UNCONFIRMED (docs/sources.md, Power BI: changing a table's schema), so a type mismatch stops with
// advice (force the input's type, or write to a new table), naming the
// setting as n does (nil is field.Plain{}).
func Compare(existing, input []Column, l Limits, n field.Namer) Compatibility {
	if n == nil {
		n = field.Plain{}
	}
	var c Compatibility
	byName := make(map[string]Column, len(existing))
	byFold := make(map[string]Column, len(existing))
	for _, col := range existing {
		byName[col.Name] = col
		byFold[strings.ToLower(col.Name)] = col
	}
	used := make(map[string]bool, len(input))
	for i, in := range input {
		have, ok := byName[in.Name]
		if !ok {
			if other, fold := byFold[strings.ToLower(in.Name)]; fold {
				used[other.Name] = true
				c.Findings = append(c.Findings, Finding{Column: i + 1, ColumnName: in.Name, Rule: RuleSchemaMismatch,
					Message: fmt.Sprintf("the table has a column %q, which differs only in case: rename the input column to match", other.Name)})
				continue
			}
			c.Add = append(c.Add, in)
			continue
		}
		used[have.Name] = true
		if have.Type != in.Type {
			c.Findings = append(c.Findings, Finding{Column: i + 1, ColumnName: in.Name, Rule: RuleSchemaMismatch,
				Message: fmt.Sprintf("the table's column is %v but the input's is %v, and Power BI cannot change a column's type: "+
					"force the input's type with %s, or write to a new dataset (pbiwb creates it with the input's types, "+
					"while Power BI still creates push datasets: until 2027-10-31)",
					have.Type, in.Type, n.Setting(field.Column, fmt.Sprintf("%s=%v", in.Name, have.Type)))})
		}
	}
	for _, col := range existing {
		if !used[col.Name] {
			c.Missing = append(c.Missing, col)
		}
	}
	if n := len(existing) + len(c.Add); l.MaxColumns > 0 && len(c.Add) > 0 && n > l.MaxColumns {
		c.Findings = append(c.Findings, Finding{Rule: RuleColumnCount,
			Message: fmt.Sprintf("adding %s to the table's %s makes %s; a push table holds at most %s", format.Count(len(c.Add), "column"), format.Thousands(len(existing)), format.Thousands(n), format.Thousands(l.MaxColumns))})
	}
	return c
}
