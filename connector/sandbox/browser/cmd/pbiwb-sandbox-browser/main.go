// Command pbiwb-sandbox-browser signs in on a pbiwb sandbox's sign-in page as
// a person at a browser would: set it as $BROWSER for pbiwb --auth browser
// (docs/sandbox.md, "Browser sign-in"):
//
//	BROWSER="pbiwb-sandbox-browser --login admin@fabrikam.example" pbiwb accounts add ...
//
// It takes the URL to open as its last argument; see browser.Main.
package main

import (
	"os"

	"github.com/pbiwb/pbiwb/connector/sandbox/browser"
)

func main() { os.Exit(browser.Main(os.Args[1:], os.Stderr)) }
