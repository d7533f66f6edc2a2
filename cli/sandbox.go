package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"time"

	"github.com/pbiwb/pbiwb/connector/sandbox"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
	"github.com/pbiwb/pbiwb/connector/sandbox/domoapi"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/format"
)

func runSandbox(ctx context.Context, _ Globals, args []string, env Env) error {
	fs := flag.NewFlagSet("pbiwb sandbox", flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = defaultUsage(env, fs, "pbiwb sandbox [flags]")
	var opts sandbox.Options
	fs.StringVar(&opts.Addr, "addr", "127.0.0.1:8443", "listen address (`HOST:PORT`; port 0 picks a free one)")
	fs.StringVar(&opts.StateDir, "state", "", "keep the sandbox's state (CA, datasets, rows) in `DIR` across restarts")
	fs.Float64Var(&opts.TimeScale, "time-scale", 1, "make every quota window and Retry-After `N` times shorter")
	fs.DurationVar(&opts.Latency, "latency", 0, "add `DURATION` to every API response")
	fs.DurationVar(&opts.TokenLifetime, "token-lifetime", time.Hour, "lifetime of issued access tokens")
	if err := fs.Parse(args); err != nil {
		return usageError(err)
	}
	if fs.NArg() > 0 {
		return exit(exitcode.Usage, "sandbox takes no arguments (got %q)", fs.Arg(0))
	}
	if opts.TimeScale < 1 {
		return exit(exitcode.Usage, "--time-scale must be 1 or more")
	}
	return serveSandbox(ctx, opts, env.Stdout, env.Stderr)
}

// serveSandbox runs a sandbox until ctx ends, printing the address it listens
// on first (the contract's first line) and then the demo identities; a
// sandbox within reach of other machines is announced on stderr.
func serveSandbox(ctx context.Context, opts sandbox.Options, out, errOut io.Writer) error {
	srv, err := sandbox.New(opts)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		return err
	}
	fmt.Fprintf(out, "sandbox listening on %s\n", srv.ListenURL())
	if !srv.Loopback() {
		fmt.Fprintln(errOut, exposedWarning(srv))
	}
	printIdentities(out, srv.URL(), opts)
	<-ctx.Done()
	fmt.Fprintln(out, "sandbox stopping")
	return srv.Close()
}

// exposedWarning says that a sandbox outside loopback is open to the network
// with public secrets, and where pbiwb on this machine can reach it.
func exposedWarning(srv *sandbox.Server) string {
	u, _ := url.Parse(srv.ListenURL())
	where := srv.ListenURL() + ", which is not a loopback address"
	reach := "pbiwb accepts only a loopback sandbox URL, so it cannot use this one (a browser can, for the device-code page)."
	if ip := net.ParseIP(u.Hostname()); ip != nil && ip.IsUnspecified() {
		// Loopback is one of the interfaces; the certificate covers it alone.
		where = "every network interface (" + srv.ListenURL() + ")"
		reach = "Its certificate is valid only for 127.0.0.1, ::1 and localhost, and pbiwb accepts only a loopback sandbox URL: " +
			"on this machine, use --sandbox " + srv.URL() + "."
	}
	return "! Warning: the sandbox listens on " + where + ": it is reachable from the network, and its demo secrets " +
		"(below) are public, so anyone who reaches it can sign in and read or change its data. " + reach +
		" To keep it on this machine, use --addr 127.0.0.1:" + u.Port() + "."
}

func printIdentities(out io.Writer, url string, opts sandbox.Options) {
	fmt.Fprintf(out, `
Demo identities (fixed; docs/sandbox.md in the repository lists them all):
  tenant ID              %s (%s)
  app (client) ID        %s
  client secret value    %s   (its secret ID: %s)
  user / password        %s / %s
  MFA user               %s (answers AADSTS50076)
  other apps             %s public client flows off
                         %s secret expired
                         %s no admin consent
                         %s certificate: %s/_sandbox/demo-cert.pem
  strict tenant          %s (%s): %s / %s
                         MFA for everyone (password → AADSTS50076), device code blocked (AADSTS53003);
                         browser sign-in and service principals allowed
                         %s: a compliant or registered device required (AADSTS530033 for
                         every interactive sign-in; service principals allowed)
  Domo client / secret   %s / %s
  Domo DataSet           %s (%q)
                         %s (a million rows)
                         %s (the demo Domo client may not read it)
  workspaces             %s, %s, %s, %s
  FIFO dataset           %s › %s, table %s: %s rows, not created by pbiwb
`, demo.TenantID, demo.TenantDomain, demo.ClientID, demo.ClientSecret, demo.SecretID,
		demo.Username, demo.Password, demo.MFAUsername,
		demo.ClientIDNoPublicFlow, demo.ClientIDExpired, demo.ClientIDNoConsent,
		demo.ClientIDCertificate, url, demo.StrictTenantID, demo.StrictTenantDomain, demo.StrictUsername, demo.Password,
		demo.StrictDeviceUsername,
		demo.DomoClientID, demo.DomoClientSecret, demo.DomoDataSetID, demo.DomoDataSetName,
		domoapi.LargeDataSetID, domoapi.RestrictedDataSetID,
		demo.WorkspaceSales, demo.WorkspaceFinance, demo.WorkspaceOperations, demo.WorkspaceExecutive,
		demo.WorkspaceOperations, demo.SensorFeedDatasetName, demo.SensorFeedTable, format.Thousands(demo.SensorFeedRows))
	scale := opts.TimeScale
	if scale < 1 {
		scale = 1
	}
	fmt.Fprintf(out, "  time scale             %g (an hour lasts %s)\n", scale, time.Duration(float64(time.Hour)/scale).Round(time.Millisecond))
	fmt.Fprintf(out, "  browser sign-in        %s/{tenant}/oauth2/v2.0/authorize (a page: fields login, passwd)\n", url)
	fmt.Fprintf(out, "  device-code sign-in    %s/common/oauth2/deviceauth (approve a code as a demo user)\n", url)
	fmt.Fprintf(out, "  tenant settings        %s/_sandbox/tenant (executeQueries, servicePrincipalApis, today)\n", url)
	fmt.Fprintf(out, "  faults                 %s/_sandbox/faults (latency, errorRate, dropAfterCommitRate, throttleFor, putTableClearsRows)\n", url)
	fmt.Fprintf(out, "  CA certificate         %s/_sandbox/ca.pem\n\nPress Ctrl-C to stop.\n", url)
}
