// Command pbiwb-sandbox-browser signs in on a pbiwb sandbox's sign-in page as
// a person at a browser would: set it as $BROWSER for pbiwb --auth browser
// (docs/sandbox.md, "Browser sign-in"). It takes the URL to open as its
// argument, signs in as $PBIWB_SANDBOX_LOGIN (default admin@contoso.example)
// with $PBIWB_SANDBOX_PASSWD (default the demo password), and delivers the
// answer to the app. It trusts the sandbox's CA, fetched from the sandbox
// (loopback only).
package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/sandbox/browser"
	"github.com/pbiwb/pbiwb/connector/sandbox/demo"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: pbiwb-sandbox-browser URL   (as $BROWSER for pbiwb --auth browser against a sandbox)")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "pbiwb-sandbox-browser:", err)
		os.Exit(1)
	}
}

func run(target string) error {
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
	login, passwd := os.Getenv("PBIWB_SANDBOX_LOGIN"), os.Getenv("PBIWB_SANDBOX_PASSWD")
	if login == "" {
		login = demo.Username
	}
	if passwd == "" {
		passwd = demo.Password
	}
	return browser.Follow(ctx, target, browser.Options{Login: login, Password: passwd, Client: ep.HTTP})
}
