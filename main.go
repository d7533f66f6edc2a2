// Command pbiwb writes a Domo DataSet or a local CSV file into a table of a
// Power BI push dataset: a terminal wizard, and the same engine headless.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/pbiwb/pbiwb/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C asks the command to stop cleanly (a push lets its
	// requests in flight finish and saves its checkpoint); once it has, the
	// signal is no longer caught, so a second Ctrl-C ends the process at once.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := int(cli.Main(ctx, os.Args[1:], cli.OSEnv()))
	stop()
	os.Exit(code)
}
