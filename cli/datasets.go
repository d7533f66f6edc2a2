package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pbiwb/pbiwb/cmdline"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/connector/push"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
	"github.com/pbiwb/pbiwb/home"
)

// datasetsFlags are `pbiwb datasets`'s own flags.
type datasetsFlags struct {
	group, dataset string
	schema, asJSON bool
	timeout        time.Duration
}

// datasetJSON is one push dataset in `datasets --json`.
type datasetJSON struct {
	Workspace groupJSON `json:"workspace"`
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Retention string    `json:"retention"` // none | fifo | unknown
	// RetentionFrom says where Retention comes from: "remembered" (pbiwb
	// created the dataset and keeps its retention in the home), "service"
	// (Power BI said it), or "unknown".
	RetentionFrom string      `json:"retentionFrom"`
	Tables        []tableJSON `json:"tables"`
}

// Where a dataset's retention comes from (datasetJSON.RetentionFrom).
const (
	retentionRemembered = "remembered"
	retentionService    = "service"
	retentionNotKnown   = "unknown"
)

// tableJSON is one table of a push dataset: its columns as Power BI lists
// them, and its rows when counting is allowed (else why not).
type tableJSON struct {
	Name       string           `json:"name"`
	Columns    []powerbi.Column `json:"columns"`
	Rows       *int64           `json:"rows,omitempty"`
	NotCounted string           `json:"notCounted,omitempty"`
}

// runDatasets is `pbiwb datasets`: the push datasets the identity can see,
// or one dataset's definition (--schema).
func runDatasets(ctx context.Context, g Globals, args []string, env Env) error {
	fs := flag.NewFlagSet("pbiwb datasets", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cf := addCredFlags(fs, true)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, `Usage: pbiwb datasets [--account NAME | --tenant ID --client-id ID [--username UPN] --auth METHOD] [--group G] [--dataset D] [--json]
       pbiwb datasets --schema --group G --dataset D

Lists the push datasets the identity can see: workspace, dataset, id, retention when Power BI says it,
tables with their columns, and row counts where counting (executeQueries) is allowed.
--schema prints one dataset's definition as the JSON body of the POST that would create it again.
Unsaved credentials take their secrets from PBIWB_CLIENT_SECRET and PBIWB_PASSWORD.

`)
		printFlags(env, fs)
	}
	var df datasetsFlags
	fs.StringVar(&df.group, cmdline.Group, "", "only the workspace with this `NAME or ID` (\"My workspace\" for the personal one)")
	fs.StringVar(&df.dataset, cmdline.Dataset, "", "only the dataset with this `NAME or ID`")
	fs.BoolVar(&df.schema, "schema", false, "print the dataset's definition (needs --group and --dataset)")
	fs.BoolVar(&df.asJSON, "json", false, "print a JSON array")
	timeout := requestTimeoutFlag(fs)
	if err := parseCredFlags(fs, args); err != nil {
		return err
	}
	df.timeout = *timeout
	if err := positive("--request-timeout", df.timeout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return exit(exitcode.Usage, "datasets takes no arguments (got %q)", fs.Arg(0))
	}
	if df.schema && (strings.TrimSpace(df.group) == "" || strings.TrimSpace(df.dataset) == "") {
		return exit(exitcode.Usage, "--schema prints one dataset's definition: give --%s WORKSPACE and --%s DATASET", cmdline.Group, cmdline.Dataset)
	}
	return commandError(listDatasets(ctx, g, cf, df, env))
}

func listDatasets(ctx context.Context, g Globals, cf *credFlags, df datasetsFlags, env Env) error {
	id, client, err := cf.powerbiClient(ctx, g, df.timeout, env)
	if err != nil {
		return err
	}
	app := id.Session.Method() == entra.MethodServicePrincipal
	groups, err := datasetWorkspaces(ctx, client, df.group, app)
	if err != nil {
		return err
	}
	if df.schema {
		return printSchema(ctx, client, homeDirs(g), groups[0], df.dataset, env)
	}
	if dirs, err := home.Resolve(g.Home); err == nil && df.group == "" {
		shared := groups
		if !app {
			shared = groups[1:] // after My workspace
		}
		rememberWorkspaces(dirs, id.accountName(), shared) // for completing --group, as groups does
	}
	inv := inventory{client: client, dirs: homeDirs(g)}
	out := []datasetJSON{}
	for _, gr := range groups {
		list, err := client.Datasets(ctx, gr.ID)
		if err != nil {
			return err
		}
		for _, ds := range list {
			if !ds.IsPush() || (df.dataset != "" && !datasetIs(ds, df.dataset)) {
				continue
			}
			d, err := inv.dataset(ctx, gr, ds)
			if err != nil {
				return err
			}
			out = append(out, d)
		}
	}
	if df.asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(out) == 0 {
		fmt.Fprintln(env.Stderr, noDatasets(df, app))
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKSPACE\tDATASET\tID\tRETENTION\tTABLE\tROWS\tCOLUMNS")
	for _, d := range out {
		if len(d.Tables) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t-\t-\t-\n", d.Workspace.Name, d.Name, d.ID, retentionCell(d))
		}
		for _, t := range d.Tables {
			rows := "not counted"
			if t.Rows != nil {
				rows = format.Thousands(*t.Rows)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.Workspace.Name, d.Name, d.ID, retentionCell(d), t.Name, rows, columnsText(t.Columns))
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if slices.ContainsFunc(out, func(d datasetJSON) bool { return d.RetentionFrom == retentionNotKnown }) {
		fmt.Fprintln(env.Stderr, "Retention: Power BI does not say a dataset's retention; pbiwb remembers it for the datasets it created "+
			"(\"remembered\"), and another's is unknown (a FIFO dataset keeps only its newest ~200,000 rows).")
	}
	for _, n := range inv.notes {
		fmt.Fprintln(env.Stderr, "Rows not counted: "+n)
	}
	return nil
}

// datasetWorkspaces are the workspaces to look in: the one --group names,
// else every workspace the identity sees, after My workspace for a user (a
// service principal has none).
func datasetWorkspaces(ctx context.Context, c *powerbi.Client, group string, app bool) ([]powerbi.Group, error) {
	if strings.TrimSpace(group) == "" {
		groups, err := c.Groups(ctx, "")
		if err != nil {
			return nil, err
		}
		if app {
			return groups, nil
		}
		return append([]powerbi.Group{powerbi.MyWorkspaceGroup}, groups...), nil
	}
	gr, err := c.FindGroup(ctx, group)
	switch {
	case errors.Is(err, powerbi.ErrNoSuchGroup):
		return nil, exit(exitcode.Refused, "--%s %q: %v (pbiwb groups lists the workspaces this identity sees)", cmdline.Group, group, err)
	case err != nil:
		return nil, err
	case gr.ID == powerbi.MyWorkspace && app:
		return nil, exit(exitcode.Refused, "--%s %q: a service principal has no My workspace; name a workspace it is a member of (pbiwb groups lists them)", cmdline.Group, group)
	}
	return []powerbi.Group{gr}, nil
}

// datasetIs reports whether ds is the dataset named by want: its ID, or its
// exact name.
func datasetIs(ds powerbi.Dataset, want string) bool {
	return strings.EqualFold(ds.ID, want) || ds.Name == want
}

func noDatasets(df datasetsFlags, app bool) string {
	switch {
	case df.dataset != "":
		return fmt.Sprintf("No push dataset %q where this identity looked (a dataset imported or published from Power BI Desktop is not a push dataset).", df.dataset)
	case df.group != "":
		return fmt.Sprintf("No push datasets in workspace %q yet: pbiwb push creates one.", df.group)
	case app:
		return "No push datasets in the workspaces this service principal is a member of (a service principal has no My workspace)."
	}
	return "No push datasets in My workspace or the workspaces this identity is a member of."
}

// inventory reads datasets' tables and counts their rows until Power BI
// refuses counting for the whole tenant; notes say once why rows were not
// counted.
type inventory struct {
	client *powerbi.Client
	dirs   *home.Dirs // where pbiwb remembers the retention of the datasets it created; nil when the home cannot be resolved
	off    string     // counting refused everywhere: why
	notes  []string   // each reason once, in the order met
}

func (inv *inventory) dataset(ctx context.Context, gr powerbi.Group, ds powerbi.Dataset) (datasetJSON, error) {
	d := datasetJSON{Workspace: groupJSON{ID: gr.ID, Name: gr.Name, ReadOnly: gr.IsReadOnly}, ID: ds.ID, Name: ds.Name, Tables: []tableJSON{}}
	d.Retention, d.RetentionFrom = datasetRetention(inv.dirs, inv.client, ds)
	tables, err := inv.client.Tables(ctx, gr.ID, ds.ID)
	if err != nil {
		return d, err
	}
	for _, t := range tables {
		tj := tableJSON{Name: t.Name, Columns: t.Columns}
		if tj.Columns == nil {
			tj.Columns = []powerbi.Column{}
		}
		n, why, err := inv.count(ctx, gr.ID, ds.ID, t.Name)
		if err != nil {
			return d, err
		}
		if why == "" {
			tj.Rows = &n
		} else {
			tj.NotCounted = why
			if !slices.Contains(inv.notes, why) {
				inv.notes = append(inv.notes, why)
			}
		}
		d.Tables = append(d.Tables, tj)
	}
	return d, nil
}

// count counts a table's rows; why says why it did not. An error is returned
// only when the command cannot go on (interrupted).
func (inv *inventory) count(ctx context.Context, groupID, datasetID, table string) (n int64, why string, err error) {
	if inv.off != "" {
		return 0, inv.off, nil
	}
	n, err = inv.client.CountRows(ctx, groupID, datasetID, table)
	if err == nil {
		return n, "", nil
	}
	if ctx.Err() != nil {
		return 0, "", ctx.Err()
	}
	var pe *powerbi.Error
	switch {
	case errors.As(err, &pe) && (pe.Status == http.StatusUnauthorized || pe.Code == powerbi.CodeNotAuthorized):
		inv.off = "Power BI refused to count (401 " + powerbi.CodeNotAuthorized + "): counting uses executeQueries, which needs the " +
			"tenant setting \"Dataset Execute Queries REST API\" (Admin portal › Tenant settings › Integration settings), turned on by " +
			"a Fabric administrator, and Build permission on the dataset."
		return 0, inv.off, nil
	case errors.As(err, &pe) && pe.Status == http.StatusTooManyRequests:
		inv.off = "Power BI allows 120 executeQueries a minute per user, and this listing reached it; run it again for one workspace (--group)."
		return 0, inv.off, nil
	case errors.As(err, &pe) && pe.Status == http.StatusNotFound:
		return 0, "Power BI answered 404 to counting a dataset it lists: the identity most likely lacks Build permission on it (dataset › Manage permissions).", nil
	}
	return 0, "counting failed: " + err.Error(), nil
}

// homeDirs is the home of g, or nil when it cannot be resolved (the
// listing goes on without what the home remembers).
func homeDirs(g Globals) *home.Dirs {
	dirs, err := home.Resolve(g.Home)
	if err != nil {
		return nil
	}
	return &dirs
}

// datasetRetention is a dataset's retention and where it comes from: what
// pbiwb remembers of a dataset it created (push.RememberedRetention), else
// what Power BI says (its swagger has no such field, so mostly nothing),
// else unknown.
func datasetRetention(dirs *home.Dirs, c *powerbi.Client, ds powerbi.Dataset) (retention, from string) {
	if dirs != nil {
		if r, ok := push.RememberedRetention(*dirs, c.Endpoints().APIBase, ds.ID); ok {
			return retentionName(string(r)), retentionRemembered
		}
	}
	if r := retentionName(ds.DefaultRetentionPolicy); r != retentionNotKnown {
		return r, retentionService
	}
	return retentionNotKnown, retentionNotKnown
}

// retentionCell is the retention as the table prints it, with where it
// comes from: "fifo (remembered)", "none (Power BI)", "unknown".
func retentionCell(d datasetJSON) string {
	switch d.RetentionFrom {
	case retentionRemembered:
		return d.Retention + " (remembered)"
	case retentionService:
		return d.Retention + " (Power BI)"
	}
	return d.Retention
}

// retentionName is a dataset's retention as the plan words it; Power BI's
// swagger does not return it, so it is mostly unknown.
func retentionName(p string) string {
	switch {
	case strings.EqualFold(p, powerbi.RetentionFIFO):
		return "fifo"
	case strings.EqualFold(p, powerbi.RetentionNone):
		return "none"
	}
	return "unknown"
}

func columnsText(cols []powerbi.Column) string {
	if len(cols) == 0 {
		return "(not listed by Power BI)"
	}
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = c.Name + " " + c.DataType
	}
	return strings.Join(parts, ", ")
}

// printSchema prints the definition of dataset want in gr as the body of
// POST …/datasets that would create it again; the retention, a query
// parameter of that POST, is said on stderr.
func printSchema(ctx context.Context, c *powerbi.Client, dirs *home.Dirs, gr powerbi.Group, want string, env Env) error {
	list, err := c.Datasets(ctx, gr.ID)
	if err != nil {
		return err
	}
	var found []powerbi.Dataset
	var push []string
	for _, ds := range list {
		if datasetIs(ds, want) {
			found = append(found, ds)
		}
		if ds.IsPush() {
			push = append(push, fmt.Sprintf("%q", ds.Name))
		}
	}
	switch {
	case len(found) == 0:
		has := "it has none"
		if len(push) > 0 {
			has = "its push datasets: " + strings.Join(push, ", ")
		}
		return exit(exitcode.Invalid, "--%s %q: workspace %q has no dataset of that name or ID (%s)", cmdline.Dataset, want, gr.Name, has)
	case len(found) > 1:
		ids := make([]string, len(found))
		for i, ds := range found {
			ids[i] = ds.ID
		}
		return &powerbi.DuplicateNameError{Kind: "dataset", Name: want, IDs: ids}
	case !found[0].IsPush():
		return exit(exitcode.Invalid, "dataset %q (%s) is not a push dataset (it was imported or published from Power BI Desktop): "+
			"its definition is not a push dataset's body", found[0].Name, found[0].ID)
	}
	ds := found[0]
	tables, err := c.Tables(ctx, gr.ID, ds.ID)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if len(t.Columns) == 0 {
			return exit(exitcode.Failure, "Power BI did not list the columns of table %q of dataset %q, so its definition cannot be written", t.Name, ds.Name)
		}
	}
	body := powerbi.CreateDataset{Name: ds.Name, DefaultMode: "Push", Tables: tables}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(body); err != nil {
		return err
	}
	switch r, _ := datasetRetention(dirs, c, ds); r {
	case "fifo":
		fmt.Fprintln(env.Stderr, "Retention basicFIFO is not part of the body: create with POST …/datasets?defaultRetentionPolicy=basicFIFO to keep it.")
	case "unknown":
		fmt.Fprintln(env.Stderr, "Power BI does not say this dataset's retention: add ?defaultRetentionPolicy=basicFIFO to the POST if it keeps only the newest rows.")
	}
	if powerbi.CreationEnded(time.Now()) {
		fmt.Fprintln(env.Stderr, "Power BI no longer creates push datasets (creation ended after "+powerbi.PushCreationLastDay+"): this body cannot be used to create one.")
	}
	return nil
}
