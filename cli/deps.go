package cli

import (
	"context"
	"time"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/powerbi"
	"github.com/pbiwb/pbiwb/exitcode"
	"github.com/pbiwb/pbiwb/home"
	"github.com/pbiwb/pbiwb/keystore"
	"github.com/pbiwb/pbiwb/ui"
)

// deps are the services the commands reach the outside world through, beyond
// the standard streams and the environment of Env: built once with the real
// services by OSEnv (realDeps), or by a test with its own, and carried by Env
// to every command and to the wizard's backend. Nothing here is a package
// variable, so tests that build their own never disturb each other.
type deps struct {
	// openStore opens the accounts of dirs; new secrets go to the OS keyring,
	// or to the 0600 file when insecure (--insecure-storage).
	openStore func(dirs home.Dirs, insecure bool) *keystore.Store
	// sandboxEndpoints reaches the sandbox at a URL (cloud.Sandbox).
	sandboxEndpoints func(ctx context.Context, url string) (cloud.Endpoints, error)
	// newSecretReader returns the prompt for env, or nil when stdin is not a
	// terminal (then a missing secret is a usage error naming its variable).
	newSecretReader func(env Env) secretReader
	// runUI is the wizard itself (ui.Run).
	runUI func(ctx context.Context, b ui.Backend, o ui.Options) (exitcode.Code, error)
	// pushReadRetry retries the requests that are safe to repeat (reads,
	// DELETE rows, PUT table) longer than powerbi.DefaultRetry: a push runs
	// for hours, and one unlucky read should not stop it. POST rows and
	// creating a dataset are never retried by the client; the engine decides
	// for them.
	pushReadRetry powerbi.RetryPolicy
}

// realDeps are the process's real services.
func realDeps() *deps {
	return &deps{
		openStore: func(dirs home.Dirs, insecure bool) *keystore.Store {
			if insecure {
				return keystore.Open(dirs, keystore.NewFileBackend(dirs))
			}
			return keystore.Open(dirs, keystore.DefaultBackend())
		},
		sandboxEndpoints: cloud.Sandbox,
		newSecretReader:  ttySecretReader,
		runUI:            ui.Run,
		pushReadRetry:    powerbi.RetryPolicy{Attempts: 6, MaxWait: 2 * time.Minute, Backoff: 500 * time.Millisecond},
	}
}

// withDeps is env with the real services when it carries none (an Env built
// by hand rather than by OSEnv).
func (env Env) withDeps() Env {
	if env.deps == nil {
		env.deps = realDeps()
	}
	return env
}
