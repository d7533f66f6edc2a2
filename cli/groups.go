package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
)

// groupJSON is one workspace in `groups --json`.
type groupJSON struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	ReadOnly bool   `json:"readOnly"`
}

// runGroups is `pbiwb groups`: the workspaces the identity can see.
func runGroups(ctx context.Context, g Globals, args []string, env Env) error {
	fs := flag.NewFlagSet("pbiwb groups", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	cf := addCredFlags(fs, true)
	fs.Usage = func() {
		fmt.Fprint(env.Stderr, `Usage: pbiwb groups [--account NAME | --tenant ID --client-id ID [--username UPN] --auth METHOD] [--json] [--filter TEXT]

Lists the Power BI workspaces the identity can see (My workspace is not listed).
Unsaved credentials take their secrets from PBIWB_CLIENT_SECRET and PBIWB_PASSWORD.

`)
		printFlags(env, fs)
	}
	asJSON := fs.Bool("json", false, "print a JSON array")
	filter := fs.String("filter", "", "only workspaces whose name contains `TEXT` (case-insensitive)")
	timeout := requestTimeoutFlag(fs)
	if err := parseCredFlags(fs, args); err != nil {
		return err
	}
	if err := positive("--request-timeout", *timeout); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return exit(exitcode.Usage, "groups takes no arguments (got %q)", fs.Arg(0))
	}
	return commandError(listGroups(ctx, g, cf, *filter, *asJSON, *timeout, env))
}

// powerbiClient resolves the identity of a listing command (groups,
// datasets) as push does, and its Power BI client.
func (cf *credFlags) powerbiClient(ctx context.Context, g Globals, timeout time.Duration, env Env) (*identity, *powerbi.Client, error) {
	cf.requestTimeout = timeout
	id, err := cf.resolve(ctx, g, env)
	if err != nil {
		return nil, nil, err
	}
	if err := id.ready(ctx, env); err != nil {
		return nil, nil, err
	}
	return id, powerbi.New(id.Endpoints, id.Session, powerbi.WithRequestTimeout(timeout)), nil
}

func listGroups(ctx context.Context, g Globals, cf *credFlags, filter string, asJSON bool, timeout time.Duration, env Env) error {
	id, client, err := cf.powerbiClient(ctx, g, timeout, env)
	if err != nil {
		return err
	}
	groups, err := client.Groups(ctx, "")
	if err != nil {
		return err
	}
	if dirs, err := home.Resolve(g.Home); err == nil {
		rememberWorkspaces(dirs, id.accountName(), groups) // for completing --group
	}
	groups = nameContains(groups, filter)
	if asJSON {
		out := make([]groupJSON, len(groups))
		for i, gr := range groups {
			out[i] = groupJSON{ID: gr.ID, Name: gr.Name, ReadOnly: gr.IsReadOnly}
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	if len(groups) == 0 {
		if filter != "" {
			fmt.Fprintf(env.Stderr, "No workspace whose name contains %q.\n", filter)
		} else {
			fmt.Fprintln(env.Stderr, "No workspaces: this identity is not a member of any (My workspace is not listed; a service principal has none). "+
				"Add it in the workspace's Manage access.")
		}
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tREAD-ONLY")
	for _, gr := range groups {
		ro := "no"
		if gr.IsReadOnly {
			ro = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", gr.ID, gr.Name, ro)
	}
	return tw.Flush()
}

// nameContains keeps the workspaces whose name contains text, ignoring case.
// It filters here rather than with OData's contains() in $filter because
// whether Power BI compares case-insensitively there is not documented
// (UNCONFIRMED); listing every workspace is one or a few requests.
func nameContains(groups []powerbi.Group, text string) []powerbi.Group {
	if text == "" {
		return groups
	}
	want := strings.ToLower(text)
	var out []powerbi.Group
	for _, g := range groups {
		if strings.Contains(strings.ToLower(g.Name), want) {
			out = append(out, g)
		}
	}
	return out
}
