package browser

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

// Main is the pbiwb-sandbox-browser command: given args [--login UPN] URL, it
// signs in at URL as UPN (default admin@contoso.example) with the password in
// $PBIWB_SANDBOX_PASSWD (default the demo password) and delivers the answer,
// trusting the sandbox's CA fetched from the URL's host (loopback only). It
// returns the exit code: 0 signed in, 1 refused, 2 usage. Three flags make it
// misbehave, to show the refusals: --wrong-pkce (another code_challenge),
// --wrong-redirect (the code is issued for another localhost port), and
// --code-file FILE (keeps the code issued in FILE; when FILE already holds
// one, delivers that one instead: a code redeemed twice).
func Main(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("pbiwb-sandbox-browser", flag.ContinueOnError)
	fs.SetOutput(stderr)
	login := fs.String("login", demo.Username, "the demo `UPN` to sign in as")
	wrongPKCE := fs.Bool("wrong-pkce", false, "send another code_challenge than the app's")
	wrongRedirect := fs.Bool("wrong-redirect", false, "have the code issued for another redirect URI")
	codeFile := fs.String("code-file", "", "keep the code in `FILE`, or deliver the one FILE holds")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: pbiwb-sandbox-browser [--login UPN] URL   (as $BROWSER for pbiwb --auth browser against a sandbox)")
		return 2
	}
	passwd := os.Getenv("PBIWB_SANDBOX_PASSWD")
	if passwd == "" {
		passwd = demo.Password
	}
	o := Options{Login: *login, Password: passwd}
	if *wrongPKCE || *wrongRedirect {
		o.KeepRedirect = *wrongRedirect
		o.Authorize = func(u *url.URL) {
			q := u.Query()
			if *wrongPKCE {
				q.Set("code_challenge", "bm90LXRoZS1hcHBzLWNoYWxsZW5nZS1ub3QtdGhlLWFwcHMtY2hhbGxlbmdl")
			}
			if *wrongRedirect {
				q.Set("redirect_uri", "http://localhost:1")
			}
			u.RawQuery = q.Encode()
		}
	}
	if *codeFile != "" {
		o.Code = func(issued string) string {
			if b, err := os.ReadFile(*codeFile); err == nil && len(b) > 0 {
				return string(b)
			}
			_ = os.WriteFile(*codeFile, []byte(issued), 0o600)
			return issued
		}
	}
	if err := run(fs.Arg(0), o); err != nil {
		fmt.Fprintln(stderr, "pbiwb-sandbox-browser:", err)
		return 1
	}
	return 0
}

func run(target string, o Options) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	ep, err := cloud.Sandbox(ctx, u.Scheme+"://"+u.Host)
	if err != nil {
		return err
	}
	o.Client = ep.HTTP
	return Follow(ctx, target, o)
}
