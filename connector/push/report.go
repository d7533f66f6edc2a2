package push

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push/internal/pacer"
	"github.com/pbiwb/pbiwb/connector/schema"
	"github.com/pbiwb/pbiwb/format"
)

// PlanReport is what a push would do: the dry run's output (one JSON
// document with --json) and the wizard's plan screen.
type PlanReport struct {
	Input       string       `json:"input"`
	InputBytes  int64        `json:"inputBytes"`
	Fingerprint string       `json:"fingerprint"`
	Rows        int64        `json:"rows"`
	Columns     []PlanColumn `json:"columns"`

	Workspace PlanWorkspace `json:"workspace"`
	Dataset   PlanDataset   `json:"dataset"`
	Table     PlanTable     `json:"table"`
	Mode      string        `json:"mode"`
	Resume    bool          `json:"resume,omitempty"`

	// Actions are the changes the push makes, in order, in words.
	Actions []string `json:"actions"`

	Batches       int   `json:"batches"`
	Bytes         int64 `json:"bytes"`         // request bodies, all batches
	MaxBatchBytes int64 `json:"maxBatchBytes"` // the largest body
	// MinimumSeconds is the shortest time the limits allow; ETASeconds the
	// pacer's estimate (-1 when a batch can never go).
	MinimumSeconds float64       `json:"minimumSeconds"`
	ETASeconds     float64       `json:"etaSeconds"`
	Limits         schema.Limits `json:"limits"`

	Warnings []string `json:"warnings,omitempty"`
	// Findings are what stops the push (the input or target breaks Power
	// BI's rules); empty when it can go.
	Findings *schema.ValidationError `json:"findings,omitempty"`
	// Command is the `pbiwb push` line that runs this plan.
	Command string `json:"command"`
}

// PlanColumn is one input column and what becomes of it.
type PlanColumn struct {
	Name     string      `json:"name"`
	Type     schema.Type `json:"dataType"`
	Inferred bool        `json:"inferred,omitempty"` // the type came from the values, not a declaration
	// Origin is the type as the input states it, when it does: "Excel
	// date", "Parquet DECIMAL(18,2)" (source.Pipeline.Origins).
	Origin string `json:"origin,omitempty"`
	// Action: "create" (with a new table), "add" (PUT onto the table),
	// or "exists".
	Action string `json:"action"`
}

// PlanWorkspace is the resolved workspace.
type PlanWorkspace struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	ReadOnly bool   `json:"readOnly"`
}

// PlanDataset is the push dataset: found, or to be created.
type PlanDataset struct {
	ID        string `json:"id,omitempty"` // empty when it will be created
	Name      string `json:"name"`
	Exists    bool   `json:"exists"`
	Retention string `json:"retention"` // none | fifo | unknown (an existing dataset pbiwb did not create)
	// RetentionSource says how the retention is known, in words: Power BI
	// does not say a dataset's retention.
	RetentionSource string `json:"retentionSource,omitempty"`
}

// PlanTable is the table: found (with its rows), or to be created.
type PlanTable struct {
	Name   string `json:"name"`
	Exists bool   `json:"exists"`
	Rows   int64  `json:"rows"` // what it holds now
	// Uncounted says why Power BI refused to count its rows (Rows is then
	// 0, not known); the push goes on without verifying its end.
	Uncounted string          `json:"uncounted,omitempty"`
	Add       []schema.Column `json:"addColumns,omitempty"`
	Missing   []schema.Column `json:"missingColumns,omitempty"` // table columns the input leaves empty
	// RowsAfter is what the table will hold after the push (capped for a
	// FIFO table).
	RowsAfter int64 `json:"rowsAfter"`
}

// Report describes the plan.
func (p *Plan) Report() PlanReport {
	t := p.target
	r := PlanReport{
		Input: p.pipe.Name, InputBytes: p.pipe.Bytes, Fingerprint: p.pipe.Fingerprint, Rows: int64(p.pipe.Rows),
		Workspace: PlanWorkspace{ID: t.group.ID, Name: t.group.Name, ReadOnly: t.group.IsReadOnly},
		Dataset:   PlanDataset{Name: p.req.Dataset, Retention: RetentionNone},
		Table:     PlanTable{Name: p.req.Table},
		Mode:      p.req.Mode, Resume: p.req.Resume,
		Batches: p.batches, Bytes: p.bytes, MaxBatchBytes: p.maxBatchBytes, Limits: p.limits,
		Warnings: p.warnings,
		Command:  command(p.svc, p.req).Line(),
	}
	if t.retention == schema.RetentionFIFO {
		r.Dataset.Retention = RetentionFIFO
	}
	switch t.retentionFrom {
	case retentionUnknown:
		r.Dataset.Retention, r.Dataset.RetentionSource = "unknown", "Power BI does not say it, and pbiwb did not create the dataset"
	case retentionCreated:
		r.Dataset.RetentionSource = "pbiwb created the dataset with it"
	case retentionService:
		r.Dataset.RetentionSource = "as Power BI reports it"
	case retentionGiven:
		r.Dataset.RetentionSource = "as " + p.svc.Fields.Setting(field.Retention, RetentionFIFO) + " says"
	}
	if t.dataset != nil {
		r.Dataset.ID, r.Dataset.Name, r.Dataset.Exists = t.dataset.ID, t.dataset.Name, true
	}
	if t.table != nil {
		r.Table.Name, r.Table.Exists, r.Table.Rows, r.Table.Uncounted = t.table.Name, true, t.tableRows, t.uncounted
		r.Table.Add, r.Table.Missing = p.pipe.Compat.Add, p.pipe.Compat.Missing
	}
	added := map[string]bool{}
	for _, c := range r.Table.Add {
		added[c.Name] = true
	}
	for i, c := range p.pipe.Columns {
		action := "exists"
		switch {
		case t.table == nil:
			action = "create"
		case added[c.Name]:
			action = "add"
		}
		pc := PlanColumn{Name: c.Name, Type: c.Type, Inferred: i < len(p.pipe.Inferred) && p.pipe.Inferred[i], Action: action}
		if i < len(p.pipe.Origins) {
			pc.Origin = p.pipe.Origins[i]
		}
		r.Columns = append(r.Columns, pc)
	}
	var ve *schema.ValidationError
	if errors.As(p.invalid, &ve) {
		r.Findings = ve
	}

	before := int64(0)
	if p.req.Mode == ModeAppend || p.req.Resume {
		before = t.tableRows
	}
	r.Table.RowsAfter = before + r.Rows
	if t.retention == schema.RetentionFIFO {
		r.Table.RowsAfter = min(r.Table.RowsAfter, int64(p.limits.MaxRowsFIFO))
	}
	// The minimum is the limits' own (full batches); the ETA is for the
	// batches as they are cut.
	sz := p.sizing()
	r.MinimumSeconds = seconds(pacer.MinimumDuration(p.limits, int(r.Rows), sz.full, int(before)))
	eta := pacer.EstimateDurationOf(p.limits, int(r.Rows), sz.rows, before, 0)
	r.ETASeconds = -1
	if eta >= 0 {
		r.ETASeconds = seconds(eta)
	}
	r.Actions = p.actions(r)
	if !r.Dataset.Exists && r.Findings == nil {
		if n := powerbi.CreationNotice(p.svc.Clock.Now(), p.svc.Fields); n != "" {
			r.Warnings = append(slices.Clip(r.Warnings), n)
		}
	}
	return r
}

// actions are the plan's changes in words, in the order Run makes them.
func (p *Plan) actions(r PlanReport) []string {
	var a []string
	if r.Findings != nil {
		return []string{"nothing: the input breaks Power BI's rules (see the findings)"}
	}
	if !r.Dataset.Exists {
		cols := make([]string, len(r.Columns))
		for i, c := range r.Columns {
			cols[i] = c.Name + " " + c.Type.String()
		}
		a = append(a, fmt.Sprintf("create push dataset %q (retention %s) in workspace %q with table %q (%s)",
			r.Dataset.Name, r.Dataset.Retention, r.Workspace.Name, r.Table.Name, strings.Join(cols, ", ")))
	}
	if len(r.Table.Add) > 0 {
		cols := make([]string, len(r.Table.Add))
		for i, c := range r.Table.Add {
			cols[i] = c.Name + " " + c.Type.String()
		}
		guard := "the rows are counted before and after, and the push stops if any were lost"
		switch {
		case r.Mode == ModeReplace && !r.Resume:
			guard = "its rows are deleted next anyway"
		case r.Table.Uncounted != "":
			guard = "Power BI refuses to count the rows, so whether they survive cannot be checked"
		}
		a = append(a, fmt.Sprintf("add columns %s to table %q (a PUT of its whole schema: the rows it holds should keep their values "+
			"and read empty in the new columns; %s)", strings.Join(cols, ", "), r.Table.Name, guard))
	}
	switch {
	case r.Resume:
		a = append(a, "resume the interrupted push from its checkpoint (rows already written are not sent again)")
	case r.Mode == ModeReplace && r.Table.Exists:
		a = append(a, fmt.Sprintf("delete the %s rows of table %q", format.Thousands(r.Table.Rows), r.Table.Name))
	}
	a = append(a, fmt.Sprintf("write %s in %s (%s of request bodies)", format.Count(int(r.Rows), "row"), format.Count(r.Batches, "batch"), byteSize(r.Bytes)))
	if r.Table.Uncounted != "" {
		a = append(a, "leave the row count unverified: Power BI refuses to count the table's rows")
	} else {
		a = append(a, "verify the table's row count")
	}
	return a
}

// WriteText prints the report for people.
func (r PlanReport) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Input      %s (%s, %s, %s)\n", r.Input, byteSize(r.InputBytes), format.Count(r.Rows, "row"), format.Count(len(r.Columns), "column"))
	for _, c := range r.Columns {
		note := ""
		switch {
		case c.Inferred && c.Origin != "":
			note = " (inferred from " + c.Origin + ")"
		case c.Inferred:
			note = " (inferred)"
		case c.Origin != "":
			note = " (" + c.Origin + ")"
		}
		if c.Action == "add" {
			note += " — added to the table"
		}
		fmt.Fprintf(&b, "  %-24s %s%s\n", c.Name, c.Type, note)
	}
	fmt.Fprintf(&b, "Workspace  %s (%s)\n", r.Workspace.Name, orMy(r.Workspace.ID))
	if r.Dataset.Exists {
		src := ""
		if r.Dataset.RetentionSource != "" {
			src = ": " + r.Dataset.RetentionSource
		}
		fmt.Fprintf(&b, "Dataset    %s (%s, retention %s%s)\n", r.Dataset.Name, r.Dataset.ID, r.Dataset.Retention, src)
	} else {
		fmt.Fprintf(&b, "Dataset    %s (new, retention %s)\n", r.Dataset.Name, r.Dataset.Retention)
	}
	if r.Table.Exists && r.Table.Uncounted != "" {
		fmt.Fprintf(&b, "Table      %s (rows not counted: Power BI refuses)\n", r.Table.Name)
	} else if r.Table.Exists {
		fmt.Fprintf(&b, "Table      %s (%s rows now; %s after)\n", r.Table.Name, format.Thousands(r.Table.Rows), format.Thousands(r.Table.RowsAfter))
	} else {
		fmt.Fprintf(&b, "Table      %s (new; %s rows after)\n", r.Table.Name, format.Thousands(r.Table.RowsAfter))
	}
	fmt.Fprintf(&b, "Mode       %s\n", r.Mode)
	b.WriteString("Plan\n")
	for i, a := range r.Actions {
		fmt.Fprintf(&b, "  %d. %s\n", i+1, a)
	}
	if r.Findings == nil {
		fmt.Fprintf(&b, "Batches    %s, largest %s (limits: %s rows, %s per POST)\n", format.Thousands(int64(r.Batches)),
			byteSize(r.MaxBatchBytes), format.Thousands(int64(r.Limits.MaxRowsPerPost)), byteSize(r.Limits.MaxBytesPerPost))
		eta := "never (a batch exceeds the hourly quota)"
		if r.ETASeconds >= 0 {
			eta = format.Seconds(r.ETASeconds)
		}
		fmt.Fprintf(&b, "ETA        %s (the limits allow %s at best", eta, format.Seconds(r.MinimumSeconds))
		if r.Limits.TimeScale > 1 {
			fmt.Fprintf(&b, "; sandbox time scale %g", r.Limits.TimeScale)
		}
		b.WriteString(")\n")
	}
	for _, wn := range r.Warnings {
		fmt.Fprintf(&b, "Warning: %s\n", wn)
	}
	if r.Findings != nil {
		fmt.Fprintf(&b, "Findings (%d):\n", r.Findings.Total)
		for _, f := range r.Findings.Findings {
			fmt.Fprintf(&b, "  %s\n", f)
		}
		if more := r.Findings.Total - len(r.Findings.Findings); more > 0 {
			fmt.Fprintf(&b, "  ... and %s more\n", format.Thousands(int64(more)))
		}
	}
	fmt.Fprintf(&b, "Command    %s\n", r.Command)
	_, err := io.WriteString(w, b.String())
	return err
}

func orMy(id string) string {
	if id == "" {
		return "My workspace"
	}
	return id
}

// byteSize is n in B, KB, MB (powers of 1000, as the limits are written).
func byteSize(n int64) string {
	switch {
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000*1000:
		return fmt.Sprintf("%.1f KB", float64(n)/1000)
	default:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
}
