package cli

// Troubleshooting from the wizard: the doctor's checks (the same as
// `pbiwb doctor`) for the account, credentials and target chosen so far.

import (
	"context"
	"errors"
	"strings"

	"github.com/pbiwb/pbiwb/connector/cloud"
	"github.com/pbiwb/pbiwb/connector/doctor"
	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/history"
	"github.com/pbiwb/pbiwb/keystore"
	"github.com/pbiwb/pbiwb/ui"
)

// Troubleshoot runs every doctor check for t, sending each result as it
// arrives. The wizard has no terminal to show a device code on while the
// checks run, so a device-code account whose sign-in lapsed fails the
// sign-in check with its advice instead of prompting.
func (b *wizardBackend) Troubleshoot(ctx context.Context, t ui.Target, results chan<- ui.CheckResult) error {
	cfg, err := b.doctorConfig(ctx, t)
	if err != nil {
		return wizardError(err)
	}
	cfg.Group = t.WorkspaceID
	if cfg.Group == "" {
		cfg.Group = t.WorkspaceName
	}
	if cfg.Group != "" {
		cfg.Dataset = t.Dataset
		if cfg.Dataset != "" {
			cfg.Table = t.Table
		}
	}
	cfg.Input = t.Input
	cfg.History = history.New(b.dirs.History())
	cfg.Now = b.now
	cfg.Face = wizardFace{}
	doctor.New(cfg).Run(ctx, func(r doctor.Result) {
		select {
		case results <- checkResult(r):
		case <-ctx.Done():
		}
	})
	return ctx.Err()
}

func checkResult(r doctor.Result) ui.CheckResult {
	return ui.CheckResult{Name: r.Name, Title: r.Title, Status: string(r.Status), Found: r.Found, Fix: r.Fix, Details: r.Details}
}

// doctorConfig is the identity and the cloud to check: the credentials typed
// on the Credentials screen when they carry their secret, else the account
// signed in during this run, else the saved account of that name.
func (b *wizardBackend) doctorConfig(ctx context.Context, t ui.Target) (doctor.Config, error) {
	var cfg doctor.Config
	cloudName := ""
	s, _ := b.session(t.Account)
	switch {
	case t.Credentials != nil && hasSecret(*t.Credentials):
		c := entraCredentials(*t.Credentials)
		cfg.Unsaved, cloudName = &c, cloudOrDefault(t.Credentials.Cloud)
		cfg.DomoClientID, cfg.DomoClientSecret = strings.TrimSpace(t.Credentials.DomoClientID), t.Credentials.DomoClientSecret
		s = nil // other credentials than the session's, maybe another cloud
	case s != nil && s.creds != nil:
		c := *s.creds
		cfg.Unsaved = &c
		cfg.DomoClientID, cfg.DomoClientSecret = s.domoID, s.domoSecret
	case t.Account != "":
		store := b.deps.openStore(b.dirs, false)
		a, err := store.Get(t.Account)
		switch {
		case errors.Is(err, keystore.ErrNotFound) && t.Credentials != nil:
			// A new account whose secret is not typed yet: the checks say
			// what is missing.
			c := entraCredentials(*t.Credentials)
			cfg.Unsaved, cloudName = &c, cloudOrDefault(t.Credentials.Cloud)
		case errors.Is(err, keystore.ErrNotFound):
			cfg.NoIdentity = "Add the account on the first screen (+ Add a new account)."
		case err != nil:
			return cfg, err
		default:
			if err := refuseSandboxFor(b.g, a); err != nil {
				return cfg, err
			}
			cfg.Store, cfg.Account, cloudName = store, &a, a.Cloud
		}
	default:
		cfg.NoIdentity = "Choose an account on the first screen, or add one (+ Add a new account), then troubleshoot again."
	}

	if s != nil {
		cfg.Endpoints = s.ep
		return cfg, nil
	}
	if b.g.Sandbox && b.g.SandboxURL != "" {
		// A sandbox that does not answer is a finding of the network check.
		ep, err := b.deps.sandboxEndpoints(ctx, b.g.SandboxURL)
		if err != nil {
			u := strings.TrimRight(b.g.SandboxURL, "/")
			ep = cloud.Endpoints{Name: cloudSandbox, AuthorityHost: u, APIBase: u, DomoBase: u, Sandbox: true}
			cfg.EndpointsErr = err
		}
		cfg.Endpoints = ep
		return cfg, nil
	}
	ep, err := b.deps.endpoints(ctx, b.g, cloudOrDefault(cloudName))
	cfg.Endpoints = ep
	return cfg, err
}

// hasSecret reports whether typed credentials carry what their method signs
// in with (a device code needs no secret).
func hasSecret(c ui.Credentials) bool {
	switch entra.Method(c.Method) {
	case entra.MethodPassword:
		return c.Password != ""
	case entra.MethodServicePrincipal:
		return c.ClientSecret != "" || c.Certificate != ""
	}
	return true
}
