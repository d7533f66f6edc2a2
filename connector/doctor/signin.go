package doctor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/powerbi"
)

// secretExpiryNote is said whenever a client secret was proved: an app
// cannot read its own secret's expiry (that needs Microsoft Graph rights on
// the app registration), so the doctor says where to look instead.
const secretExpiryNote = "Entra ID does not report the secret's expiry to the app; check Certificates & secrets " +
	"(Azure portal → Microsoft Entra ID → App registrations → <app> → Certificates & secrets → Expires) and create a new one before that date"

// consentFix is the seed's admin-consent step.
const consentFix = "Azure portal → Microsoft Entra ID → App registrations → <app> → API permissions → Add a permission → " +
	"Power BI Service → Delegated permissions: Dataset.ReadWrite.All and Workspace.Read.All → Add permissions, " +
	"then Grant admin consent for <tenant> (an administrator must do this); then sign in again."

// checkSignIn signs in for real, bypassing any saved token for the password
// and service-principal methods, so that the stored secrets themselves are
// proved: a token cache can hide a secret that no longer works until the
// refresh token lapses.
func (d *Doctor) checkSignIn(ctx context.Context) Result {
	c := d.creds
	cache := d.cache // device code and browser only: their saved sign-in is all there is
	s, err := entra.New(d.cfg.Endpoints, c, cache, entra.WithBrowser(d.cfg.Browser))
	if err != nil {
		return fail("the credentials cannot be used: "+err.Error(), "Correct the fields named above.")
	}
	d.session = s

	var res entra.Result
	if c.Method == entra.MethodBrowser {
		tok, terr := s.Token(ctx)
		switch {
		case terr == nil:
			d.token = tok
			return pass("the saved browser sign-in still gives tokens" + d.userText(tok))
		case errors.Is(terr, entra.ErrInteractionRequired) || cache == nil:
			if d.cfg.Browser == nil {
				return skip("the browser sign-in was skipped: " + d.cfg.NoBrowser)
			}
			res, err = s.SignIn(ctx, nil)
		default:
			err = terr
		}
	} else if c.Method == entra.MethodDeviceCode {
		tok, terr := s.Token(ctx)
		switch {
		case terr == nil:
			d.token = tok
			return pass("the saved device-code sign-in still gives tokens" + d.userText(tok))
		case errors.Is(terr, entra.ErrInteractionRequired) || cache == nil:
			if d.cfg.Prompt == nil {
				return fail("the device-code sign-in needs the browser step, and there is no terminal to show its code",
					"Run pbiwb doctor (or pbiwb accounts add) in a terminal to sign in with a device code again.")
			}
			res, err = s.SignIn(ctx, d.cfg.Prompt)
		default:
			err = terr
		}
	} else {
		res, err = s.SignIn(ctx, nil)
	}
	if err != nil {
		return signInFailure(err, c, d.face())
	}
	tok, err := s.Token(ctx)
	if err != nil {
		return signInFailure(err, c, d.face())
	}
	d.token = tok

	var found []string
	switch c.Method {
	case entra.MethodServicePrincipal:
		how := "client secret"
		if len(c.Certificate) > 0 {
			how = "certificate"
		}
		found = append(found, "signed in as the app's service principal (client credentials): tenant, app and "+how+" are valid")
	default:
		found = append(found, fmt.Sprintf("signed in as %s by %s: tenant and app exist", res.Username, c.Method))
	}
	var details []string
	if (res.SecretVerified || c.Method == entra.MethodServicePrincipal) && len(c.Certificate) == 0 {
		if c.Method != entra.MethodServicePrincipal {
			found = append(found, "client secret valid")
		}
		details = append(details, secretExpiryNote)
	}
	if c.Method == entra.MethodPassword {
		if res.PublicClientFlows {
			found = append(found, "public client flows on")
		} else {
			found = append(found, "public client flows are off, so the password sign-in used the client secret")
		}
	}
	if !res.ExpiresOn.IsZero() {
		found = append(found, "token valid until "+res.ExpiresOn.Local().Format(time.DateTime))
	}
	for _, n := range res.Notes {
		if n != entra.SPRestrictions { // the permissions check says it
			details = append(details, n)
		}
	}
	return pass(strings.Join(found, "; "), details...)
}

// signInFailure lays out entra's *Error: the code, the credential at fault,
// what Entra said, and its fix.
func signInFailure(err error, c entra.Credentials, face Face) Result {
	var ae *entra.Error
	if !errors.As(err, &ae) {
		return fail("sign-in failed: "+err.Error(), "Run pbiwb doctor again; if it persists, report it with this message.")
	}
	var b strings.Builder
	if ae.Code != 0 {
		fmt.Fprintf(&b, "AADSTS%d", ae.Code)
	} else {
		b.WriteString("no answer from Entra ID")
	}
	if ae.Field != "" {
		fmt.Fprintf(&b, " (%s)", ae.Field)
	}
	b.WriteString(": " + ae.Summary)
	var details []string
	if ae.CorrelationID != "" {
		details = append(details, "Correlation ID "+ae.CorrelationID+" (an administrator finds it in Microsoft Entra ID → Sign-in logs)")
	}
	if ae.Code == 7000222 {
		details = append(details, "Entra ID says the secret has expired; its expiry date is under Certificates & secrets")
	}
	if c.Method == entra.MethodPassword && ae.Code == 7000218 && c.ClientSecret == "" {
		details = append(details, "no client secret was given; with one, pbiwb can sign in even with public client flows off")
	}
	return fail(b.String(), ae.FixIn(face), details...)
}

// userText describes the token's user, for a device-code session.
func (d *Doctor) userText(tok string) string {
	cl, err := entra.ParseClaims(tok)
	if err != nil || cl.UPN == "" {
		return ""
	}
	return " (" + cl.UPN + ")"
}

// checkPermissions reads the token's claims without verifying them (a client
// may read its own token) to see whether they cover a writeback: listing
// workspaces (Workspace.Read.All or Workspace.ReadWrite.All) and creating
// and writing push datasets (Dataset.ReadWrite.All). A service principal's
// token carries no Power BI permissions: Power BI decides by its tenant
// setting and workspace membership instead.
func (d *Doctor) checkPermissions(ctx context.Context) Result {
	d.client = powerbi.New(d.cfg.Endpoints, d.session)
	cl, err := entra.ParseClaims(d.token)
	if err != nil {
		return skip("the access token's claims cannot be read (" + err.Error() + "); the workspace check shows what Power BI allows")
	}
	exp := ""
	if cl.Expires > 0 {
		exp = "; expires " + time.Unix(cl.Expires, 0).Local().Format(time.DateTime)
	}
	if cl.IsApp() {
		d.appOnly = true
		found := "app-only token (service principal): Power BI does not use API permissions for a service principal"
		if len(cl.Roles) > 0 {
			found += "; roles " + strings.Join(cl.Roles, ", ")
		}
		return pass(found+exp, entra.SPRestrictions)
	}
	var missing []string
	if !cl.HasScope("Workspace.Read.All", "Workspace.ReadWrite.All") {
		missing = append(missing, "Workspace.Read.All (or Workspace.ReadWrite.All)")
	}
	if !cl.HasScope("Dataset.ReadWrite.All") {
		missing = append(missing, "Dataset.ReadWrite.All")
	}
	scp := cl.Scope
	if scp == "" {
		scp = "no delegated permissions"
	}
	who := "token"
	if cl.UPN != "" {
		who = "token of " + cl.UPN
	}
	if len(missing) > 0 {
		return fail(fmt.Sprintf("the %s carries %q but a writeback also needs %s", who, scp, strings.Join(missing, " and ")), consentFix)
	}
	return pass(fmt.Sprintf("the %s carries %s%s", who, scp, exp))
}
