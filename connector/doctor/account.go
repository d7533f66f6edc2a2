package doctor

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pbiwb/pbiwb/connector/entra"
	"github.com/pbiwb/pbiwb/connector/field"
	"github.com/pbiwb/pbiwb/keystore"
)

// checkAccount checks that the identity is complete: a saved account's
// fields, that its keyring answers, and that each secret its method needs is
// stored; for unsaved credentials, the flags and environment variables.
// It reads the secrets the sign-in check uses; they never appear in a Result.
func (d *Doctor) checkAccount(ctx context.Context) Result {
	switch {
	case d.cfg.Account != nil:
		return d.checkSaved(ctx)
	case d.cfg.Unsaved != nil:
		return d.checkUnsaved()
	}
	return fail("no account to check", d.cfg.NoIdentity)
}

func (d *Doctor) checkSaved(ctx context.Context) Result {
	a, store := *d.cfg.Account, d.cfg.Store
	c := entra.Credentials{TenantID: a.TenantID, ClientID: a.ClientID, Username: a.Username, Method: entra.Method(a.Auth)}
	who := fmt.Sprintf("account %s (%s", a.Name, a.Auth)
	if a.Username != "" {
		who += ", " + a.Username
	}
	who += ")"
	again := "Save it again: " + d.face().SaveAccount(a, false)

	// The storage first: a keyring that does not answer explains every
	// missing secret at once.
	var details []string
	if a.Insecure() {
		details = append(details, "secrets are in the plain-text insecure-storage file "+store.InsecurePath())
	} else if store.Backend().Kind() == a.Storage { // the OS keyring (or a test's stand-in)
		if err := keystore.Probe(ctx, store.Backend()); err != nil {
			return fail(who+": the OS keyring holding its secrets does not work: "+err.Error(),
				"Unlock or start the keyring (the message above says how on this system), then run pbiwb doctor again.")
		}
		details = append(details, "the OS keyring answers")
	}

	var missing []string
	get := func(kind keystore.Kind, required bool) string {
		v, err := store.Secret(ctx, a.Name, kind)
		switch {
		case errors.Is(err, keystore.ErrNotFound):
			if required {
				missing = append(missing, string(kind))
			}
			return ""
		case err != nil:
			missing = append(missing, fmt.Sprintf("%s (cannot read: %v)", kind, err))
			return ""
		}
		details = append(details, string(kind)+" stored")
		return v
	}
	switch c.Method {
	case entra.MethodPassword:
		c.Password = get(keystore.Password, true)
		if c.ClientSecret = get(keystore.ClientSecret, false); c.ClientSecret == "" {
			details = append(details, "no client secret stored: the app registration must allow public client flows")
		}
	case entra.MethodServicePrincipal:
		if enc := get(keystore.Certificate, false); enc != "" {
			cert, err := base64.StdEncoding.DecodeString(enc)
			if err != nil {
				missing = append(missing, string(keystore.Certificate)+" (damaged)")
			}
			c.Certificate, c.CertificatePassword = cert, get(keystore.CertificatePassword, false)
		} else {
			c.ClientSecret = get(keystore.ClientSecret, true)
		}
	case entra.MethodDeviceCode, entra.MethodBrowser:
		if get(keystore.TokenCache, false) == "" {
			details = append(details, "no saved sign-in (token cache): the "+string(c.Method)+" sign-in must be done again")
		}
	}
	if a.DomoClientID != "" {
		d.domoID = a.DomoClientID
		d.domoSecret = get(keystore.DomoClientSecret, true)
	} else {
		d.domoMissing = fmt.Sprintf("account %s has no Domo API client; to add one: %s", a.Name, d.face().SaveAccount(a, true))
	}
	var invalid []string
	for _, fe := range entra.ValidateCredentials(c) {
		if !fe.Field.Secret() {
			invalid = append(invalid, fe.Error())
		}
	}
	if len(invalid) > 0 {
		return fail(who+": "+strings.Join(invalid, "; "), again, details...)
	}
	if len(missing) > 0 {
		return fail(fmt.Sprintf("%s: missing from its storage (%s): %s", who, a.Storage, strings.Join(missing, ", ")), again, details...)
	}
	if len(c.Certificate) > 0 {
		cd, bad := certificateDetails(c, d.cfg.Now())
		if bad != "" {
			return fail(who+": "+bad, "Export the certificate and key again, or upload a new certificate and save the account again: "+d.face().SaveAccount(a, false), append(details, cd...)...)
		}
		details = append(details, cd...)
	}
	d.creds = c
	if c.Method == entra.MethodDeviceCode || c.Method == entra.MethodBrowser {
		d.cache = store.TokenCache(a.Name)
	}
	return pass(who+", cloud "+cloudName(a.Cloud)+", secrets in "+a.Storage, details...)
}

func (d *Doctor) checkUnsaved() Result {
	c := *d.cfg.Unsaved
	who := fmt.Sprintf("unsaved credentials (%s", c.Method)
	if c.Username != "" {
		who += ", " + c.Username
	}
	who += ")"
	set := "no secret environment variable is set"
	if len(d.cfg.EnvSet) > 0 {
		set = "set: " + strings.Join(d.cfg.EnvSet, ", ")
	}
	if d.cfg.DomoClientID != "" {
		d.domoID, d.domoSecret = d.cfg.DomoClientID, d.cfg.DomoClientSecret
		if d.domoSecret == "" {
			d.domoMissing = fmt.Sprintf("a Domo client ID is given but %s is empty: give the Domo API client's secret", d.face().Name(field.DomoClientSecret))
			d.domoID = ""
		}
	} else {
		d.domoMissing = fmt.Sprintf("no Domo API client: give %s and %s", d.face().Name(field.DomoClientID), d.face().Name(field.DomoClientSecret))
	}
	if errs := entra.ValidateCredentials(c); len(errs) > 0 {
		var lines, where []string
		for _, fe := range errs {
			name := d.face().Name(fe.Field)
			lines = append(lines, string(fe.Field)+" ("+name+"): "+fe.Message)
			where = append(where, name)
		}
		return fail(who+": "+strings.Join(lines, "; ")+" ("+set+")",
			"Give each credential named above where pbiwb reads it: "+strings.Join(where, ", ")+".")
	}
	if c.Method == entra.MethodPassword && c.ClientSecret == "" {
		set += "; no client secret: the app registration must allow public client flows"
	}
	var details []string
	if len(c.Certificate) > 0 {
		cd, bad := certificateDetails(c, d.cfg.Now())
		if bad != "" {
			return fail(who+": "+bad, "Give a current certificate with its private key in "+d.face().Name(field.Certificate)+".", cd...)
		}
		details = cd
	}
	d.creds = c
	return pass(who+", "+set, details...)
}

// certificateDetails describes a service principal's certificate: its
// thumbprint (to compare with Azure portal's) and expiry, with a warning
// entra.ExpiryWarning ahead; bad is why it cannot be used, or "".
func certificateDetails(c entra.Credentials, now time.Time) (details []string, bad string) {
	info, err := entra.DescribeCertificate(c.Certificate, c.CertificatePassword)
	if err != nil {
		return nil, "the certificate cannot be used: " + err.Error()
	}
	details = []string{fmt.Sprintf("certificate %s, thumbprint %s, valid until %s", info.Subject, info.Thumbprint, info.NotAfter.UTC().Format(time.DateOnly))}
	switch left := info.NotAfter.Sub(now); {
	case left <= 0:
		return details, fmt.Sprintf("the certificate (thumbprint %s) expired on %s", info.Thumbprint, info.NotAfter.UTC().Format(time.DateOnly))
	case left < entra.ExpiryWarning:
		details = append(details, fmt.Sprintf("! the certificate expires in %d days (%s): create a new one and upload it to the app registration (Certificates & secrets) before then",
			int(left.Hours()/24), info.NotAfter.UTC().Format(time.DateOnly)))
	}
	return details, ""
}

func cloudName(c string) string {
	if c == "" {
		return "public"
	}
	return c
}
